#!/usr/bin/env bash
# Data-parallel training steps side by side, in one run (figures in bench/README.md):
#   1 process x 2 threads and x 1 thread (the plain step), 1 process x 1 thread with the batch in 2 shards
#   (what sharding alone costs), 2 ranks x 1 thread over shared memory, 2 ranks x 1 thread
#   over TCP on loopback. ser_bench_mpi prints the median step, the median gradient exchange
#   and the bytes each rank sends per step, for each of the four benchmark models.
# usage: bench/data_parallel.sh [BUILD_DIR] [STEPS] | python3 bench/scaling_model.py
set -euo pipefail
build=${1:-build}
steps=${2:-20}
bench="$build/bench/ser_bench_mpi"
mpirun=(mpirun --oversubscribe -np 2)
[ "$(id -u)" -eq 0 ] && mpirun+=(--allow-run-as-root)
SER_BENCH_TRANSPORT=none "$bench" --threads 2 --steps "$steps"
SER_BENCH_TRANSPORT=none "$bench" --threads 1 --steps "$steps"
SER_BENCH_TRANSPORT=none "$bench" --threads 1 --shards 2 --steps "$steps"
SER_BENCH_TRANSPORT=shm "${mpirun[@]}" --mca btl self,vader -x SER_BENCH_TRANSPORT "$bench" --threads 1 --steps "$steps"
SER_BENCH_TRANSPORT=tcp "${mpirun[@]}" --mca btl self,tcp -x SER_BENCH_TRANSPORT "$bench" --threads 1 --steps "$steps"
