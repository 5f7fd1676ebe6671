#!/usr/bin/env bash
# `ser train` of a config end to end (features extracted afresh each run, no
# cache shared between runs), on a quiet machine and beside another program's
# busy loop on one core, with ser's default thread setting and with the
# thread count fixed at 1 and at 2. Prints wall seconds, peak resident
# memory and test accuracy per run, alternating the settings round by round,
# then whether every run wrote the same metrics.json (it must: no result
# depends on the thread count).
#
#   bash bench/train_under_load.sh [CONFIG] [ROUNDS]      (defaults: configs/tess_cnn1d_mfcc.yaml, 3)
#
# Reads SER_DATA like ser (default ../shared/data).
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-configs/tess_cnn1d_mfcc.yaml}
rounds=${2:-3}
ser=build/ser
export SER_DATA=${SER_DATA:-$(cd .. && pwd)/shared/data}
work=$(mktemp -d)
busy=
trap '[ -n "$busy" ] && kill "$busy" 2>/dev/null; rm -rf "$work"' EXIT

run() {  # LOAD THREADS ROUND
  local out="$work/$1-$2-$3" set=()
  [ "$2" != default ] && set=(--set "threads=$2")
  /usr/bin/time -f "%e %M" -o "$work/time" "$ser" train "$config" --out "$out" --cache "$work/cache-$1-$2-$3" \
    "${set[@]}" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
  read -r seconds kb <"$work/time"
  acc=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['test']['accuracy'])" "$out/metrics.json")
  printf '%-6s %-8s round %s: %7.2f s  peak RSS %4d MB  test accuracy %s\n' "$1" "$2" "$3" "$seconds" $((kb / 1024)) "$acc"
  [ -f "$work/first_metrics.json" ] || cp "$out/metrics.json" "$work/first_metrics.json"
  cmp -s "$out/metrics.json" "$work/first_metrics.json" || echo "  metrics.json differs from the first run's"
  rm -rf "$out" "$work/cache-$1-$2-$3"
}

for load in quiet loaded; do
  if [ "$load" = loaded ]; then
    ( while :; do :; done ) &
    busy=$!
  fi
  for r in $(seq "$rounds"); do
    for t in default 1 2; do run "$load" "$t" "$r"; done
  done
done
echo "every run above that printed no difference wrote the first run's metrics.json, byte for byte"
