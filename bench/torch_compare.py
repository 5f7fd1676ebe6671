#!/usr/bin/python3
"""Side-by-side training and inference speed: ser's kernels vs PyTorch (CPU).

Runs build/bench/ser_bench for train_step/<model> and infer/<model>, then
the same four models in PyTorch (Debian's python3-torch) with 1 and with 2
threads, keeping the better, and prints one table: model, ours, PyTorch,
ratio, in samples per second (medians of repeated runs).

PyTorch's speed on a small virtual machine changes from one process to the
next (tess_cnn1d: 570 to 1450 samples/s seen here), so each PyTorch setting
runs in --torch-processes fresh processes and the best median counts: the
ratio is the least favourable to us that was seen.

    /usr/bin/python3 bench/torch_compare.py [--bench build/bench/ser_bench] [--reps 5] [--torch-processes 3]

PyTorch is a reference for this comparison only, never a dependency of ser.
"""
import argparse
import json
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


MODELS = {  # name: (builder, input shape, classes, batch)
    "tess_cnn1d": (tess_cnn1d, (1, 2400), 14, 32),
    "fer_cnn": (fer_cnn, (1, 48, 48), 7, 64),
    "ravdess_mel_cnn": (ravdess_mel_cnn, (1, 128, 165), 8, 64),
    "lstm": (LastStepLstm, (100, 40), 7, 32),
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


def torch_rates(name, threads, reps):
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
    model.eval()
    x1 = torch.randn(1, *shape)

    def infer():
        with torch.no_grad():
            model(x1)

    return train_rate, median_rate(infer, 1, reps)


def ours(bench, reps):
    out = subprocess.run(
        [bench, "--benchmark_filter=^(train_step|infer)/[a-z_0-9]+(/1)?/real_time$",
         f"--benchmark_repetitions={reps}", "--benchmark_report_aggregates_only=true",
         "--benchmark_format=json", "--benchmark_min_time=1"],
        check=True, capture_output=True, text=True).stdout
    rates = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            kind, model = b["run_name"].split("/")[:2]
            rates[(kind, model)] = b["items_per_second"]
    return rates


def torch_rates_in_fresh_process(name, threads, reps):
    out = subprocess.run([sys.executable, __file__, "--worker", name, str(threads), str(reps)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench", default="build/bench/ser_bench")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--torch-processes", type=int, default=3)
    p.add_argument("--worker", nargs=3, metavar=("MODEL", "THREADS", "REPS"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:  # one PyTorch measurement in this fresh process
        print(json.dumps(torch_rates(a.worker[0], int(a.worker[1]), int(a.worker[2]))))
        return
    mine = ours(a.bench, a.reps)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads by default", file=sys.stderr)
    rows = []
    for name in MODELS:
        best_train, best_infer, best_t = 0.0, 0.0, 0
        for threads in (1, 2):
            for _ in range(a.torch_processes):
                tr, inf = torch_rates_in_fresh_process(name, threads, a.reps)
                print(f"  torch {name} threads={threads}: train {tr:.0f}/s, infer(batch 1) {inf:.0f}/s", file=sys.stderr)
                if tr > best_train:
                    best_train, best_t = tr, threads
                best_infer = max(best_infer, inf)
        rows.append((f"train_step/{name}", mine.get(("train_step", name), 0.0), best_train, best_t))
        rows.append((f"infer/{name} (batch 1)", mine.get(("infer", name), 0.0), best_infer, 0))
    print(f"{'model':32} {'ours (samples/s)':>17} {'PyTorch (samples/s)':>20} {'ratio':>7}")
    for label, ours_rate, torch_rate, t in rows:
        note = f"  (PyTorch best with {t} thread{'s' if t > 1 else ''})" if t else ""
        print(f"{label:32} {ours_rate:17.0f} {torch_rate:20.0f} {ours_rate / torch_rate:6.2f}x{note}")


if __name__ == "__main__":
    main()
