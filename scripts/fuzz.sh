#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan into
# build-fuzz/ (or --build DIR), writes their seed corpora from the shared data, and runs each
# target.
#
#   bash scripts/fuzz.sh                 # 2000 runs per target, fixed seed
#   bash scripts/fuzz.sh --minutes 10    # a campaign: 10 minutes per target
#   bash scripts/fuzz.sh --build build-asan --runs 2000
#                                        # CI: the targets of the sanitizer pass's
#                                        # build (clang, SER_FUZZ=ON), built there
#
# A crash stops with the input saved as <build>/crash-<target>-*; copy it
# to tests/fuzz/regressions/<target>/ (CTest replays that folder in both test
# builds) and fix the reader. The corpus a campaign grows stays in
# <build>/corpus/ for the next one.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=2000
seconds=0
build=build-fuzz
while (($#)); do
  case "$1" in
    --minutes) seconds=$(($2 * 60)); shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) echo "usage: scripts/fuzz.sh [--runs N | --minutes M] [--build DIR]" >&2; exit 2 ;;
  esac
done
data=${SER_DATA:-../shared/data}
reference=${SER_REFERENCE:-../shared/reference}
targets=(audio config model_file checkpoint npy fer_csv image onnx)

if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DSER_FUZZ=ON -DSER_BUILD_TESTS=OFF > /dev/null
elif ! grep -q "^SER_FUZZ:BOOL=ON" "$build/CMakeCache.txt"; then
  echo "scripts/fuzz.sh: $build was not configured with -DSER_FUZZ=ON (clang); give another --build folder" >&2
  exit 2
fi
cmake --build "$build" -j"$(nproc)" --target fuzz_all
"$build"/tests/fuzz/fuzz_seeds "$build"/seeds "$data" "$reference" configs

status=0
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t" "tests/fuzz/regressions/$t"
  if ((seconds > 0)); then limit=(-max_total_time="$seconds"); else limit=(-runs="$runs" -seed=1); fi
  # 4 GB: a config may legitimately ask for a model of 268 million parameters (1 GB).
  if ! "$build"/tests/fuzz/fuzz_"$t" "${limit[@]}" -rss_limit_mb=4096 -timeout=60 -max_len=65536 \
      -artifact_prefix="$build/crash-$t-" -print_final_stats=1 \
      "$build/corpus/$t" "$build/seeds/$t" "tests/fuzz/regressions/$t" > "$build/fuzz_$t.log" 2>&1; then
    echo "fuzz_$t: FOUND A CRASH (see $build/fuzz_$t.log, input $build/crash-$t-*)"
    tail -40 "$build/fuzz_$t.log"
    status=1
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$build/fuzz_$t.log" | tr '\n' ' ' |
    sed "s/^/fuzz_$t: /; s/stat:://g"
  grep -E "cov: [0-9]+" -o "$build/fuzz_$t.log" | tail -1
done
exit $status
