"""ser.feature.mfcc against librosa.feature.mfcc in one Python process, on
the same TESS recordings (decoded once by ser.load at their own rate, so both
see the same float32 samples), in turn, the order rotated per repetition;
medians of the whole set's time, and the largest difference from librosa
(dB). ser runs twice: at its default double precision, and with
precision="single", librosa's own arithmetic on float32 audio (a complex64
STFT and float32 from there on).

  PYTHONPATH=build/python:../shared/tools/librosa:../shared/tools/librosa/stubs \\
    /usr/bin/python3 bench/python_mfcc.py [--files 200] [--reps 7]
"""
import argparse
import functools
import glob
import os
import statistics
import time

import numpy as np

import librosa
import ser


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--data", default=os.environ.get("SER_DATA", "../shared/data"))
    a.add_argument("--files", type=int, default=200)
    a.add_argument("--reps", type=int, default=7)
    args = a.parse_args()
    every = sorted(glob.glob(os.path.join(args.data, "tess", "*", "*.*")))
    paths = [every[int(k)] for k in np.linspace(0, len(every) - 1, min(args.files, len(every)))]
    clips = [ser.load(p) for p in paths]
    seconds = sum(len(y) / sr for y, sr in clips)
    for y, sr in clips[:3]:  # numba compiles librosa's kernels on first use
        librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40)
    single = functools.partial(ser.feature.mfcc, precision="single")
    contenders = [("ser", ser.feature.mfcc), ("ser single", single), ("librosa", librosa.feature.mfcc)]
    worst = {name: max(float(np.max(np.abs(f(y=y, sr=sr, n_mfcc=40) - librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40))))
                       for y, sr in clips) for name, f in contenders[:2]}
    runs = {name: [] for name, _ in contenders}
    for rep in range(args.reps):
        k = rep % len(contenders)
        for name, mfcc in contenders[k:] + contenders[:k]:
            t = time.perf_counter()
            for y, sr in clips:
                mfcc(y=y, sr=sr, n_mfcc=40)
            runs[name].append(time.perf_counter() - t)
    median = {name: statistics.median(times) for name, times in runs.items()}
    print(f"{len(clips)} TESS files, {seconds:.1f} s of audio, mfcc(n_mfcc=40), {args.reps} repetitions, medians:")
    for name, label in [("ser", "ser.feature.mfcc"), ("ser single", "ser.feature.mfcc, single"),
                        ("librosa", "librosa.feature.mfcc")]:
        t = median[name]
        line = f"  {label:26s} {1000 * t:8.1f} ms  ({1000 * t / len(clips):.2f} ms per file)"
        if name != "librosa":
            line += f"  {median['librosa'] / t:.1f}x librosa, largest difference {worst[name]:.2e} dB"
        print(line)
    print(f"  numpy {np.__version__}, librosa {librosa.__version__}")

if __name__ == "__main__":
    main()
