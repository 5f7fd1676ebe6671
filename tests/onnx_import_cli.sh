#!/usr/bin/env bash
# ser export, then ser import of what it wrote: the imported .sermodel predicts
# what the run's model predicts (same probabilities, to the printed digits),
# and the config --config-out writes fine-tunes from the imported weights: one
# epoch at a learning rate of 1e-9 scores the run's own test accuracy (a
# model trained from scratch for one such epoch would be near chance).
# usage: onnx_import_cli.sh SER DEMO_DIR WORK_DIR
set -euo pipefail
ser=$1 demo=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
"$ser" export "$demo/run" --onnx "$work/demo.onnx"
"$ser" import "$work/demo.onnx" --config-out "$work/finetune.yaml" --like "$demo/demo.yaml"
files=("$demo"/corpus/*/*.wav)
sample=("${files[@]:0:3}" "${files[@]: -3}")
"$ser" predict "${sample[@]}" --model "$demo/run" --json > "$work/run.json"
"$ser" predict "${sample[@]}" --model "$work/demo.sermodel" --json > "$work/imported.json"
cmp "$work/run.json" "$work/imported.json" || { echo "FAILED: the imported model predicts otherwise"; diff "$work/run.json" "$work/imported.json"; exit 1; }
echo "predictions of ${#sample[@]} files: identical"
"$ser" train "$work/finetune.yaml" --set training.epochs=1 --set training.optimizer.lr=1e-9 \
  --set output="$work/runs" --cache "$demo/cache" > "$work/train.log"
run_dir=$(ls -d "$work"/runs/finetune/*/ | head -1)
/usr/bin/python3 - "$demo/run/metrics.json" "$run_dir/metrics.json" <<'PY'
import json, sys
before, after = (json.load(open(p))["test"]["accuracy"] for p in sys.argv[1:3])
print(f"test accuracy: trained run {before:.4f}, imported and fine-tuned 1 epoch at lr 1e-9: {after:.4f}")
sys.exit(0 if abs(before - after) < 1e-9 else 1)
PY
