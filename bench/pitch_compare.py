#!/usr/bin/python3
"""Pitch and voice quality, ser against librosa 0.10.1 and Praat, side by side.

One RAVDESS sentence (Actor_01, angry, 3.9 s at 48 kHz) resampled once to
16 kHz; the settings of configs/ravdess_functionals_mlp.yaml (n_fft 1024,
hop 256, f0 65-600 Hz; Praat's voice report with its 75-600 Hz speech
range). Runs build/bench/ser_bench's pitch_feature items, then librosa's
yin and pyin (warmed up: numba compiles on the first call) and Praat's
pulses, jitter, shimmer and HNR, each timed REPS times in one process, and
prints medians and ratios. Neither librosa nor Praat is a dependency of ser.

  SER_DATA=../shared/data /usr/bin/python3 bench/pitch_compare.py [--reps 7]
(Debian's interpreter: librosa's dependencies are its packages.)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLIP = "ravdess/Actor_01/03-01-05-01-01-01-01.flac"

PRAAT_SCRIPT = """form Time
  sentence file
  natural reps
endform
sound = Read from file: file$
sound16 = Resample: 16000, 50
for i to reps
  selectObject: sound16
  stopwatch
  pulses = To PointProcess (periodic, cc): 75, 600
  jitter = Get jitter (local): 0, 0, 0.0001, 0.02, 1.3
  selectObject: sound16, pulses
  shimmer = Get shimmer (local): 0, 0, 0.0001, 0.02, 1.3, 1.6
  selectObject: sound16
  harmonicity = To Harmonicity (cc): 0.01, 75, 0.1, 1.0
  hnr = Get mean: 0, 0
  t = stopwatch
  appendInfoLine: fixed$ (t * 1000, 3)
  removeObject: pulses, harmonicity
endfor
"""


def ser_medians(data, reps):
    out = subprocess.run(
        [os.path.join(ROOT, "build/bench/ser_bench"), "--benchmark_filter=pitch_feature",
         f"--benchmark_repetitions={reps}", "--benchmark_format=json"],
        env={**os.environ, "SER_DATA": data}, check=True, capture_output=True, text=True).stdout
    medians = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            name = b["run_name"].split("/")[1].split("_")[0]
            unit = {"ms": 1.0, "us": 1e-3, "ns": 1e-6}[b["time_unit"]]
            medians[name] = b["real_time"] * unit
    return medians


def librosa_medians(data, reps):
    lib = os.environ.get("LIBROSA_DIR", os.path.join(ROOT, "..", "shared", "tools", "librosa"))
    sys.path[:0] = [lib, os.path.join(lib, "stubs")]
    import librosa
    import numpy as np
    import scipy.signal
    import soundfile
    y48, sr = soundfile.read(os.path.join(data, CLIP), dtype="float32")
    y = scipy.signal.resample_poly(y48, 1, sr // 16000).astype(np.float32)
    calls = {
        "yin": lambda: librosa.yin(y, fmin=65, fmax=600, sr=16000, frame_length=1024, hop_length=256),
        "pyin": lambda: librosa.pyin(y, fmin=65, fmax=600, sr=16000, frame_length=1024, hop_length=256),
    }
    medians = {}
    for name, call in calls.items():
        call()  # numba compiles here
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            call()
            times.append((time.perf_counter() - t0) * 1000)
        medians[name] = statistics.median(times)
    return medians, librosa.__version__


def praat_median(data, reps):
    with tempfile.NamedTemporaryFile("w", suffix=".praat", delete=False) as f:
        f.write(PRAAT_SCRIPT)
    try:
        out = subprocess.run(["praat", "--run", f.name, os.path.join(data, CLIP), str(reps)],
                             check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)
    return statistics.median(float(line) for line in out.split())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=7)
    a = ap.parse_args()
    data = os.environ.get("SER_DATA", os.path.join(ROOT, "..", "shared", "data"))
    ours = ser_medians(data, a.reps)
    theirs, version = librosa_medians(data, a.reps)
    theirs["voice"] = praat_median(data, a.reps)
    praat = subprocess.run(["praat", "--version"], capture_output=True, text=True).stdout.split()[1]
    rows = [("yin (f0 per frame)", "yin", f"librosa {version} yin"),
            ("pyin (f0, voicing, probability)", "pyin", f"librosa {version} pyin"),
            ("jitter, shimmer, HNR", "voice", f"Praat {praat} (pulses cc, jitter, shimmer, harmonicity cc)")]
    print(f"{CLIP} at 16 kHz, median of {a.reps}, milliseconds\n")
    print("| what | ser | other | other is | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for what, key, other in rows:
        print(f"| {what} | {ours[key]:.2f} | {theirs[key]:.2f} | {other} | {theirs[key] / ours[key]:.1f}x |")


if __name__ == "__main__":
    main()
