"""ser.feature.mfcc against librosa.feature.mfcc in one Python process, on
the same TESS recordings (decoded once by ser.load at their own rate, so both
see the same float32 samples), alternating per repetition; medians of the
whole set's time, and the largest difference between the two (dB).

  PYTHONPATH=build/python:../shared/tools/librosa:../shared/tools/librosa/stubs \\
    /usr/bin/python3 bench/python_mfcc.py [--files 200] [--reps 7]
"""
import argparse
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
    worst = max(float(np.max(np.abs(ser.feature.mfcc(y=y, sr=sr, n_mfcc=40) - librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40))))
                for y, sr in clips)
    runs = {"ser": [], "librosa": []}
    for rep in range(args.reps):
        order = [("ser", ser.feature.mfcc), ("librosa", librosa.feature.mfcc)]
        for name, mfcc in order if rep % 2 == 0 else order[::-1]:
            t = time.perf_counter()
            for y, sr in clips:
                mfcc(y=y, sr=sr, n_mfcc=40)
            runs[name].append(time.perf_counter() - t)
    s, l = statistics.median(runs["ser"]), statistics.median(runs["librosa"])
    print(f"{len(clips)} TESS files, {seconds:.1f} s of audio, mfcc(n_mfcc=40), {args.reps} repetitions, medians:")
    print(f"  ser.feature.mfcc      {1000 * s:8.1f} ms  ({1000 * s / len(clips):.2f} ms per file)")
    print(f"  librosa.feature.mfcc  {1000 * l:8.1f} ms  ({1000 * l / len(clips):.2f} ms per file)")
    print(f"  ratio {l / s:.1f}x; largest difference {worst:.2e} dB; numpy {np.__version__}, librosa {librosa.__version__}")


if __name__ == "__main__":
    main()
