#!/usr/bin/env python3
"""Data-parallel speed-up on paper, from what bench/data_parallel.sh measured.

Reads data_parallel.sh's lines on stdin (it needs the one-process, two-thread
step and the parameter count of each model) and prints, for 2 to 64 machines
like this one on 10 and 100 Gbit/s, the step time

    T(N) = T1 / N + 2 (N - 1) / N * 4 P / bandwidth + 2 (N - 1) * latency

(T1: the measured step on one machine; the exchange is a reduce-scatter then
an all-gather, each rank sending (N - 1)/N of the 4P gradient bytes in each:
a ring all-reduce's cost) and the speed-up T1 / T(N). N is bounded by the
batch (every rank needs a shard of at least one sample). It also prints the
batch each model would need for 80% efficiency on 64 machines, when the
per-sample compute is the measured one.
"""
import re
import sys

BATCH = {"tess_cnn1d": 32, "fer_cnn": 64, "ravdess_mel_cnn": 64, "lstm": 32}
NETWORKS = {"10 Gbit/s": (1.25e9, 20e-6), "100 Gbit/s": (12.5e9, 5e-6)}  # bytes/s, per-message latency (TCP, RDMA)
MACHINES = [2, 4, 8, 16, 32, 64]

models = {}
for line in sys.stdin:
    m = re.match(r"(\S+)\s+ranks 1\s+threads 2\s+shards\s+1\s.*params\s+(\d+)\s+step\s+([\d.]+) ms", line)
    if m:
        models[m.group(1)] = (int(m.group(2)), float(m.group(3)) / 1e3)

def step_time(t1, params, n, bandwidth, latency):
    return t1 / n + 2 * (n - 1) / n * 4 * params / bandwidth + 2 * (n - 1) * latency

for net, (bw, lat) in NETWORKS.items():
    print(f"\n{net} (latency {lat * 1e6:.0f} us per message): speed-up over one machine at the published batch")
    print(f"{'model':16} {'T1 ms':>7} {'comm ms':>8} " + " ".join(f"{'N=' + str(n):>7}" for n in MACHINES) +
          "   best   batch for 80% at N=64")
    for name, (params, t1) in models.items():
        comm = 2 * 4 * params / bw * 1e3
        cells = []
        for n in MACHINES:
            cells.append(f"{t1 / step_time(t1, params, n, bw, lat):7.1f}" if n <= BATCH[name] else f"{'-':>7}")
        best = t1 / (2 * 4 * params / bw)  # the limit as N grows without bound
        per_sample = t1 / BATCH[name]
        # b samples per machine: b * per_sample >= 4 * exchange, on 64 machines
        exchange = step_time(0, params, 64, bw, lat)
        need = 64 * max(1, round(4 * exchange / per_sample + 0.5))
        print(f"{name:16} {t1 * 1e3:7.1f} {comm:8.2f} " + " ".join(cells) + f"  {best:5.1f}x  {need}")
