#!/usr/bin/python3
"""Side-by-side training and inference speed: ser's kernels vs PyTorch (CPU).

Runs build/bench/ser_bench for train_step/<model> (ser's default thread
setting, and fixed at 1 and 2 threads) and infer/<model>/<batch> (batch 1,
8 and 64), then the same models in PyTorch (Debian's python3-torch)
with 1 and with 2 threads, and prints two tables in samples per second
(medians of repeated runs), with ser's GFLOP/s, fraction of the machine's
FMA peak (measured by ser_bench in the same run) and peak resident memory.

PyTorch's speed on a small virtual machine changes from one process to the
next (tess_cnn1d: 570 to 1450 samples/s seen here), so each PyTorch setting
runs in --torch-processes fresh processes and the best median counts: the
ratio is the least favourable to us that was seen.

With --contention every measurement, ours and PyTorch's, runs beside
another process's busy loop on one core (ser_bench --contention starts its
own; this script starts one for the PyTorch processes).

    /usr/bin/python3 bench/torch_compare.py [--bench build/bench/ser_bench] [--reps 5]
        [--torch-processes 3] [--contention] [--models tess_cnn1d,fer_cnn,...]

PyTorch is a reference for this comparison only, never a dependency of ser.
"""
import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import torch
from torch import nn


def tess_cnn1d():
    return nn.Sequential(
        nn.Conv1d(1, 8, 13), nn.ReLU(), nn.MaxPool1d(3), nn.Dropout(0.3),
        nn.Conv1d(8, 16, 11), nn.ReLU(), nn.MaxPool1d(3), nn.Dropout(0.3),
        nn.Conv1d(16, 32, 9), nn.ReLU(), nn.MaxPool1d(3), nn.Dropout(0.3),
        nn.Conv1d(32, 64, 7), nn.ReLU(), nn.MaxPool1d(3), nn.Dropout(0.3),
        nn.Flatten(), nn.Linear(1664, 256), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 14))


def fer_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(128, 128, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(2048, 1024), nn.ReLU(), nn.Linear(1024, 7))


def fer_cnn_bn():
    """The headline's batch-norm FER CNN (configs/fer2013_cnn_bn.yaml, 4,478,727 parameters)."""
    layers, c = [], 1
    for f, k in ((64, 3), (128, 5), (512, 3), (512, 3)):
        layers += [nn.Conv2d(c, f, k, padding="same"), nn.BatchNorm2d(f), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25)]
        c = f
    layers.append(nn.Flatten())
    for n_in, units in ((512 * 3 * 3, 256), (256, 512)):
        layers += [nn.Linear(n_in, units), nn.BatchNorm1d(units), nn.ReLU(), nn.Dropout(0.25)]
    return nn.Sequential(*layers, nn.Linear(512, 7))


def ravdess_mel_cnn():
    layers = []
    c = 1
    for f in (32, 64, 128):
        layers += [nn.Conv2d(c, f, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2, stride=3)]
        c = f
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(3840, 150), nn.ReLU(),
                         nn.Linear(150, 75), nn.ReLU(), nn.Linear(75, 8))


class LastStepLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(40, 128, batch_first=True)
        self.out = nn.Linear(128, 7)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.out(y[:, -1])


class SamePool1d(nn.Module):
    """Keras' MaxPool1D(pool, strides=2, padding="same"): ceil(L / 2) outputs,
    the padding split with its smaller half first, as ser's pool has it."""

    def __init__(self, pool):
        super().__init__()
        self.pool = pool

    def forward(self, x):
        n = x.shape[-1]
        total = max(((n + 1) // 2 - 1) * 2 + self.pool - n, 0)
        x = nn.functional.pad(x, (total // 2, total - total // 2), value=float("-inf"))
        return nn.functional.max_pool1d(x, self.pool, 2)


def kaggle_cnn1d():
    """The Kaggle recipe at its published width (configs/multi_zcr_rms_mfcc_cnn1d.yaml)."""
    layers, c = [], 1
    for f, k, pool, dropout in ((512, 5, 5, False), (512, 5, 5, True), (256, 5, 5, False), (256, 3, 5, True),
                                (128, 3, 3, True)):
        layers += [nn.Conv1d(c, f, k, padding="same"), nn.ReLU(), nn.BatchNorm1d(f), SamePool1d(pool)]
        layers += [nn.Dropout(0.2)] if dropout else []
        c = f
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(128 * 75, 512), nn.ReLU(), nn.BatchNorm1d(512),
                         nn.Linear(512, 7))


MODELS = {  # name: (builder, input shape, classes, batch)
    "tess_cnn1d": (tess_cnn1d, (1, 2400), 14, 32),
    "fer_cnn": (fer_cnn, (1, 48, 48), 7, 64),
    "fer_cnn_bn": (fer_cnn_bn, (1, 48, 48), 7, 64),
    "ravdess_mel_cnn": (ravdess_mel_cnn, (1, 128, 165), 8, 64),
    "lstm": (LastStepLstm, (100, 40), 7, 32),
    "kaggle_cnn1d": (kaggle_cnn1d, (1, 2376), 7, 64),
}


def median_rate(step, samples, reps, min_seconds=1.0):
    for _ in range(2):
        step()
    rates = []
    for _ in range(reps):
        n, start = 0, time.perf_counter()
        while True:
            step()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                break
        rates.append(n * samples / elapsed)
    return statistics.median(rates)


BATCHES = (1, 8, 64)


def torch_rates(name, threads, reps):
    """Training samples/s, peak RSS after training (MB), inference samples/s per batch."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    build, shape, classes, batch = MODELS[name]
    model = build()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, *shape)
    y = torch.arange(batch) % classes
    loss_fn = nn.CrossEntropyLoss()

    def train():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    model.train()
    train_rate = median_rate(train, batch, reps)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    model.eval()
    infer = {}
    for b in BATCHES:
        xb = torch.randn(b, *shape)

        def step():
            with torch.no_grad():
                model(xb)

        infer[b] = median_rate(step, b, reps)
    return {"train": train_rate, "rss_mb": rss_mb, "infer": infer}


def ours(bench, reps, contention, names):
    models = "|".join(names)
    cmd = [bench, f"--benchmark_filter=^(train_step/({models})(/threads:[0-9]+)?|infer/({models})/(1|8|64))/real_time$",
           f"--benchmark_repetitions={reps}", "--benchmark_report_aggregates_only=true",
           "--benchmark_format=json", "--benchmark_min_time=1"]
    if contention:
        cmd.append("--contention")
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    rows = {}
    for b in out["benchmarks"]:  # medians; with one repetition there are no aggregates
        if b.get("aggregate_name") == "median" or (reps == 1 and b.get("run_type") == "iteration"):
            rows[b["run_name"].removesuffix("/real_time")] = b
    return rows, out["context"].get("fma_peak_gflops", "?")


def torch_rates_in_fresh_process(name, threads, reps):
    out = subprocess.run([sys.executable, __file__, "--worker", name, str(threads), str(reps)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def best_torch(name, reps, processes):
    """Over 1 and 2 threads and several processes: best training rate (and its threads),
    the RSS of that process, best inference rate per batch."""
    best = {"train": 0.0, "threads": 0, "rss_mb": 0.0, "infer": {b: 0.0 for b in BATCHES}}
    for threads in (1, 2):
        for _ in range(processes):
            r = torch_rates_in_fresh_process(name, threads, reps)
            print(f"  torch {name} threads={threads}: train {r['train']:.0f}/s, infer "
                  + ", ".join(f"b{b} {r['infer'][str(b)]:.0f}/s" for b in BATCHES), file=sys.stderr)
            if r["train"] > best["train"]:
                best.update(train=r["train"], threads=threads, rss_mb=r["rss_mb"])
            for b in BATCHES:
                best["infer"][b] = max(best["infer"][b], r["infer"][str(b)])
    return best


def print_tables(mine, peak, theirs, names):
    print(f"ser_bench FMA peak: {peak} GFLOP/s")
    print("\nTraining (samples/s; ser's default is its thread setting as shipped, 'of best' its share of its own"
          " better fixed count)")
    print("| model | ser default | ser 1 thread | ser 2 threads | of best | PyTorch best | ratio | GFLOP/s | of peak"
          " | peak RSS ser / PyTorch (MB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in names:
        d = mine.get(f"train_step/{name}", {})
        t1 = mine.get(f"train_step/{name}/threads:1", {}).get("items_per_second", 0.0)
        t2 = mine.get(f"train_step/{name}/threads:2", {}).get("items_per_second", 0.0)
        rate = d.get("items_per_second", 0.0)
        tb = theirs[name]
        print(f"| `{name}` | {rate:.0f} | {t1:.0f} | {t2:.0f} | {rate / max(t1, t2, 1e-9):.0%} | {tb['train']:.0f}"
              f" ({tb['threads']} thr.) | {rate / tb['train']:.2f}x | {d.get('GFLOP/s', 0):.1f} |"
              f" {d.get('peak', 0):.0%} | {d.get('rss_MB', 0):.0f} / {tb['rss_mb']:.0f} |")
    print("\nInference (samples/s, ser's default thread setting; PyTorch the best of 1 and 2 threads)")
    print("| model | batch | ser | per sample | PyTorch best | ratio | GFLOP/s | of peak |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in names:
        for b in BATCHES:
            d = mine.get(f"infer/{name}/{b}", {})
            rate = d.get("items_per_second", 0.0)
            tr = theirs[name]["infer"][b]
            print(f"| `{name}` | {b} | {rate:.0f} | {1e6 / max(rate, 1e-9):.0f} us | {tr:.0f} |"
                  f" {rate / max(tr, 1e-9):.2f}x | {d.get('GFLOP/s', 0):.1f} | {d.get('peak', 0):.0%} |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench", default="build/bench/ser_bench")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--torch-processes", type=int, default=3)
    p.add_argument("--contention", action="store_true",
                   help="measure everything beside another process's busy loop on one core")
    p.add_argument("--models", default=",".join(MODELS),
                   help="comma-separated models to compare (default: all: " + ", ".join(MODELS) + ")")
    p.add_argument("--worker", nargs=3, metavar=("MODEL", "THREADS", "REPS"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:  # one PyTorch measurement in this fresh process
        print(json.dumps(torch_rates(a.worker[0], int(a.worker[1]), int(a.worker[2]))))
        return
    names = a.models.split(",")
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        p.error(f"unknown model {unknown[0]!r}; the models are {', '.join(MODELS)}")
    mine, peak = ours(a.bench, a.reps, a.contention, names)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads by default", file=sys.stderr)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if a.contention else None
    try:
        theirs = {name: best_torch(name, a.reps, a.torch_processes) for name in names}
    finally:
        if busy:
            busy.kill()
    print_tables(mine, peak, theirs, names)


if __name__ == "__main__":
    main()
