// Runs every model test_onnx exported in ONNX Runtime (onnxruntime-node, CPU)
// and compares its outputs with ser's for the same inputs: the largest
// difference must be within 1e-5 of the outputs' largest magnitude. The
// batch is run whole and its first sample alone, which checks the dynamic
// batch axis too.
// usage: node onnx_run.mjs CASES_DIR   (exit 0: all agree)
import { readFileSync } from "node:fs";
import { join } from "node:path";

let ort;
try {
  ort = await import("onnxruntime-node");
} catch {
  console.log("SKIPPED: tests/node's packages are not installed (scripts/setup.sh --test)");
  process.exit(77);
}
const tolerance = 1e-5;
const dir = process.argv[2];
const cases = JSON.parse(readFileSync(join(dir, "cases.json"), "utf8"));

function floats(path) {
  const b = readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

// Largest |a - b| over the largest |b|.
function relativeError(got, want) {
  let diff = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

let failed = 0;
for (const c of cases) {
  const session = await ort.InferenceSession.create(join(dir, `${c.name}.onnx`), { intraOpNumThreads: 1 });
  const x = floats(join(dir, `${c.name}.input.f32`));
  const want = floats(join(dir, `${c.name}.output.f32`));
  const problems = [];
  if (session.inputNames.join() !== "features" || session.outputNames.join() !== c.output_name)
    problems.push(`names ${session.inputNames} -> ${session.outputNames}`);
  const whole = await session.run({ features: new ort.Tensor("float32", x, c.input) });
  const y = whole[c.output_name];
  if (!y || y.dims.join() !== c.output.join()) problems.push(`output dims ${y && y.dims}, expected ${c.output}`);
  const error = y ? relativeError(y.data, want) : Infinity;
  if (!(error <= tolerance)) problems.push(`relative error ${error.toExponential(2)} > ${tolerance}`);
  // The first sample alone: the batch axis is the model's to take, whatever its size.
  const per = x.length / c.input[0], perOut = want.length / c.output[0];
  const one = await session.run({ features: new ort.Tensor("float32", x.slice(0, per), [1, ...c.input.slice(1)]) });
  const oneError = relativeError(one[c.output_name].data, want.slice(0, perOut));
  if (!(oneError <= tolerance)) problems.push(`batch of 1: relative error ${oneError.toExponential(2)}`);
  console.log(`${c.name}: ${problems.length ? "DISAGREES: " + problems.join("; ") : "agrees"} ` +
              `(largest difference ${error.toExponential(2)} of the outputs' scale)`);
  failed += problems.length > 0;
}
console.log(`${cases.length - failed} of ${cases.length} models agree with ser in ONNX Runtime ${ort.env.versions?.common ?? ""}`);
process.exit(failed || cases.length === 0 ? 1 : 0);
