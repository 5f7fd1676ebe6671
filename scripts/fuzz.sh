#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan into
# build-fuzz/, writes their seed corpora from the shared data, and runs each
# target.
#
#   bash scripts/fuzz.sh                 # CI: 2000 runs per target, fixed seed
#   bash scripts/fuzz.sh --minutes 10    # a campaign: 10 minutes per target
#
# A crash stops with the input saved as build-fuzz/crash-<target>-*; copy it
# to tests/fuzz/regressions/<target>/ (CTest replays that folder in both test
# builds) and fix the reader. The corpus a campaign grows stays in
# build-fuzz/corpus/ for the next one.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=2000
seconds=0
while (($#)); do
  case "$1" in
    --minutes) seconds=$(($2 * 60)); shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: scripts/fuzz.sh [--runs N | --minutes M]" >&2; exit 2 ;;
  esac
done
data=${SER_DATA:-../shared/data}
reference=${SER_REFERENCE:-../shared/reference}
targets=(audio config model_file checkpoint npy fer_csv image onnx)

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DSER_FUZZ=ON > /dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_all
build-fuzz/tests/fuzz/fuzz_seeds build-fuzz/seeds "$data" "$reference" configs

status=0
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "tests/fuzz/regressions/$t"
  if ((seconds > 0)); then limit=(-max_total_time="$seconds"); else limit=(-runs="$runs" -seed=1); fi
  # 4 GB: a config may legitimately ask for a model of 268 million parameters (1 GB).
  if ! build-fuzz/tests/fuzz/fuzz_"$t" "${limit[@]}" -rss_limit_mb=4096 -timeout=60 -max_len=65536 \
      -artifact_prefix="build-fuzz/crash-$t-" -print_final_stats=1 \
      "build-fuzz/corpus/$t" "build-fuzz/seeds/$t" "tests/fuzz/regressions/$t" > "build-fuzz/fuzz_$t.log" 2>&1; then
    echo "fuzz_$t: FOUND A CRASH (see build-fuzz/fuzz_$t.log, input build-fuzz/crash-$t-*)"
    tail -40 "build-fuzz/fuzz_$t.log"
    status=1
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "build-fuzz/fuzz_$t.log" | tr '\n' ' ' |
    sed "s/^/fuzz_$t: /; s/stat:://g"
  grep -E "cov: [0-9]+" -o "build-fuzz/fuzz_$t.log" | tail -1
done
exit $status
