#!/usr/bin/env bash
# Builds and runs each test where it tells something: in Release with GCC
# (build/, target ser_release_pass) the tests labelled `release` (numeric suites, Python,
# benchmarks, the command line, the external checks; see the end of
# tests/CMakeLists.txt), with AddressSanitizer + UndefinedBehaviorSanitizer
# under clang (build-asan/) every test of ser's own code; then the fuzz
# targets of that second build a fixed number of times.
# SER_SKIP_SANITIZE=1 skips the second pass and SER_SKIP_FUZZ=1 the fuzzing,
# for a quick local loop.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
# What this pass runs and what users get; the suites that run only under the
# sanitizers are built in the second pass (tests/CMakeLists.txt, ser_release_pass).
cmake --build build -j"$jobs" --target ser_release_pass
# Verbose: the suites print one line per checked case (gradient checks,
# PyTorch cases with their largest relative error, MNIST accuracy).
ctest --test-dir build --verbose -j"$jobs" --timeout 900 -L release

if [ "${SER_SKIP_SANITIZE:-0}" != 1 ]; then
  # clang, so that one build of the libraries serves the suites and the
  # libFuzzer targets (SER_FUZZ: ASan, UBSan and coverage); the Release pass
  # is GCC's, so both compilers see every line.
  # The Python module is left out: a sanitized module would need the sanitizer runtimes
  # preloaded into python3 itself; its tests run in the first pass.
  # Line tables only (-g1): the sanitizers' stack traces keep file:line, and
  # the build takes a fraction of full debug information's time; -O1 halves
  # the build again (nn/ and dsp/ keep -O2, see CMakeLists.txt). bench/ is
  # built and smoke-run in the first pass; its kernels are the tests' too.
  # Linked by lld: a sanitized suite links in 0.3 s instead of ld's 2.3 s
  # (tests/test_runner), 45 links in this build.
  CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DSER_FUZZ=ON -DSER_PYTHON=OFF \
    -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld
  cmake --build build-asan -j"$jobs"
  # Leaks of libraries outside ser (the window system under ser faces --show) are suppressed, each named there.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    LSAN_OPTIONS=suppressions="$PWD/tests/lsan_suppressions.txt" \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 1500 -LE external
  if [ "${SER_SKIP_FUZZ:-0}" != 1 ]; then
    # Every reader of untrusted bytes under libFuzzer: 2000 runs each from seeds made of the
    # shared data and the inputs that once crashed (tests/fuzz/regressions); a finding fails CI.
    bash scripts/fuzz.sh --build build-asan --runs 2000
  fi
fi
