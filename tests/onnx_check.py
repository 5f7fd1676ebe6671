"""ONNX's own checker on every model test_onnx exported (python3-onnx from
Debian; never a dependency of ser): the full check, with shape inference,
then what a runtime needs to know: one float input "features" and one
output, each with a symbolic batch axis first and fixed sizes after, as
cases.json records them, and opset 17 of the default domain.

usage: python3 onnx_check.py CASES_DIR   (exit 0: all accepted; 77: onnx missing)
       python3 onnx_check.py --exported FILE.onnx
The second form checks one model `ser export` wrote: the full check, and
metadata that says what to feed it (labels, one per output, and the recipe).
"""
import json
import os
import sys

try:
    import onnx
    from onnx import checker, shape_inference
except ImportError:
    print("SKIPPED: python3-onnx is not installed (scripts/setup.sh --test installs it)")
    sys.exit(77)


def dims(value):
    return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]


def check(path, case):
    model = onnx.load(path)
    checker.check_model(model, full_check=True)
    problems = []
    graph = model.graph
    if [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] != [17]:
        problems.append(f"opset {[(o.domain, o.version) for o in model.opset_import]}, expected 17")
    if [i.name for i in graph.input] != ["features"]:
        problems.append(f"inputs {[i.name for i in graph.input]}")
    if [o.name for o in graph.output] != [case["output_name"]]:
        problems.append(f"outputs {[o.name for o in graph.output]}, expected {case['output_name']}")
    if graph.input and dims(graph.input[0]) != ["batch"] + case["input"][1:]:
        problems.append(f"input dims {dims(graph.input[0])}")
    if graph.output and dims(graph.output[0]) != ["batch"] + case["output"][1:]:
        problems.append(f"output dims {dims(graph.output[0])}")
    # Shape inference through every node must reach the declared output shape.
    inferred = shape_inference.infer_shapes(model, strict_mode=True)
    known = {v.name: dims(v) for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    if known.get(case["output_name"]) != ["batch"] + case["output"][1:]:
        problems.append(f"inferred output dims {known.get(case['output_name'])}")
    return problems


def check_exported(path):
    model = onnx.load(path)
    checker.check_model(model, full_check=True)
    meta = {p.key: p.value for p in model.metadata_props}
    labels = json.loads(meta["ser.labels"])
    outputs = dims(model.graph.output[0])
    recipe = json.loads(meta["ser.feature_settings"])
    print(f"{path}: accepted; {len(labels)} labels {labels}, output dims {outputs}, recipe {recipe['format']}")
    return 0 if outputs == ["batch", len(labels)] and recipe.get("features") else 1


def main():
    if sys.argv[1] == "--exported":
        return check_exported(sys.argv[2])
    folder = sys.argv[1]
    cases = json.load(open(os.path.join(folder, "cases.json")))
    failed = 0
    for case in cases:
        path = os.path.join(folder, case["name"] + ".onnx")
        try:
            problems = check(path, case)
        except Exception as e:  # the checker's own errors name the node
            problems = [f"{type(e).__name__}: {e}"]
        status = "ok" if not problems else "REFUSED: " + "; ".join(problems)
        print(f"{case['name']}: {status}")
        failed += bool(problems)
    print(f"{len(cases) - failed} of {len(cases)} models accepted by onnx {onnx.__version__}'s checker")
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
