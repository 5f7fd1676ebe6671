#!/usr/bin/python3
"""Side-by-side: `ser timeline` against the same windows done with librosa + PyTorch.

The recording is ten minutes of shared TESS files with pauses and noise
(build/bench/timeline_bench_input, seeded); the model is the published TESS
1D CNN (configs/tess_cnn1d_mfcc.yaml, trained here for one epoch: speed does
not depend on the weights). ser runs the whole command, reading the file
included; its windows (from --json) are then done in Python the way a
researcher would write it with librosa 0.10.1 and PyTorch:

  soundfile.read -> librosa.resample to 22,050 Hz -> librosa.effects.split
  (top_db 30, as ser's default) -> librosa.feature.mfcc of the whole signal
  once -> each window's 120 frames, flattened time-major and standardised ->
  the PyTorch CNN, all windows in one batch (and, for live use, one by one).

librosa's default resampler (soxr_hq) needs the `soxr` Python module, which
Debian does not package (../shared/tools/librosa/README.md); the Python side
resamples with res_type='polyphase', the fastest of librosa's others, and
the figure says so. Each side's best of --reps runs counts, taken alternately
in one sitting.

Then `ser listen`'s latency: the recording's first minute at 16 kHz
(ffmpeg), played at its own pace (--realtime, blocks of 10 ms as a device
delivers them) on one core (taskset -c 0, --threads 1), from the arrival of
each window's last sample to its prediction.

    PYTHONPATH=../shared/tools/librosa:../shared/tools/librosa/stubs \\
        /usr/bin/python3 bench/timeline_compare.py [--reps 5] [--out /tmp/ser_timeline_bench]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import soundfile
import torch

import librosa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_compare import tess_cnn1d  # noqa: E402  the same network, PyTorch layout


def inputs(out, ser):
    wav = os.path.join(out, "ten_minutes.wav")
    if not os.path.exists(wav):
        subprocess.run(["build/bench/timeline_bench_input", wav, "600"], check=True)
    run = os.path.join(out, "run")
    if not os.path.exists(os.path.join(run, "model.sermodel")):
        subprocess.run([ser, "train", "configs/tess_cnn1d_mfcc.yaml", "--set", "training.epochs=1", "--out", run,
                        "--cache", os.path.join(out, "cache"), "--force"], check=True, capture_output=True,
                       env=dict(os.environ, SER_DATA=os.environ.get("SER_DATA", "../shared/data")))
    return wav, run


def ser_once(ser, wav, run, out, extra):
    j = os.path.join(out, "t.json")
    t0 = time.perf_counter()
    subprocess.run([ser, "timeline", wav, "--model", run, "--hop", "0.5", "--json", j] + extra, check=True,
                   capture_output=True)
    return time.perf_counter() - t0, json.load(open(j))


def python_once(wav, windows, model, per_window):
    """The same windows: (start frame, frame count) at 22,050 Hz, hop 512, 120 frames each."""
    t0 = time.perf_counter()
    y, sr = soundfile.read(wav, dtype="float32")
    y = librosa.resample(y, orig_sr=sr, target_sr=22050, res_type="polyphase")
    librosa.effects.split(y, top_db=30)
    mfcc = librosa.feature.mfcc(y=y, sr=22050, n_mfcc=20)  # [20, frames]
    x = np.zeros((len(windows), 1, 2400), dtype=np.float32)
    for i, (first, count) in enumerate(windows):
        m = mfcc[:, first:first + count]
        m = np.pad(m, ((0, 0), (0, 120 - m.shape[1])))
        x[i, 0] = m.T.ravel()
    x = (x - x.mean()) / (x.std() + 1e-9)  # stands in for the training statistics: the same arithmetic
    with torch.no_grad():
        if per_window:
            for i in range(len(windows)):
                torch.softmax(model(torch.from_numpy(x[i:i + 1])), 1)
        else:
            torch.softmax(model(torch.from_numpy(x)), 1)
    return time.perf_counter() - t0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ser", default="build/ser")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--out", default="/tmp/ser_timeline_bench")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    wav, run = inputs(a.out, a.ser)
    seconds = soundfile.info(wav).duration
    torch.manual_seed(0)
    model = tess_cnn1d().eval()
    rows = {}
    for mode, extra in (("gated (default)", []), ("--no-gate", ["--no-gate"])):
        hop_frames = None
        best = {"ser": 1e9, "py_batch": 1e9, "py_one": 1e9}
        for _ in range(a.reps):
            took, t = ser_once(a.ser, wav, run, a.out, extra)
            best["ser"] = min(best["ser"], took)
            hop = 512 / t["sample_rate"]
            windows = [(int(round(w["start"] / hop)), int(round((w["end"] - w["start"]) / hop))) for w in t["windows"]]
            windows = [(f, min(c, 120)) for f, c in windows]
            best["py_batch"] = min(best["py_batch"], python_once(wav, windows, model, False))
            best["py_one"] = min(best["py_one"], python_once(wav, windows, model, True))
        rows[mode] = (len(windows), best)
        print(f"{mode}: {len(windows)} windows; ser {best['ser']:.3f} s, librosa+PyTorch batched {best['py_batch']:.3f} s, "
              f"one by one {best['py_one']:.3f} s", file=sys.stderr)
    print(f"recording: {seconds:.0f} s; ser timeline (the whole command) against librosa {librosa.__version__} + PyTorch "
          f"{torch.__version__} on ser's windows, best of {a.reps}\n")
    print("| windows | ser | real time | librosa + PyTorch (batched) | real time | one by one | ser faster |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for mode, (n, b) in rows.items():
        py = min(b["py_batch"], b["py_one"])
        print(f"| {mode}: {n} | {b['ser']:.3f} s | {seconds / b['ser']:.0f}x | {b['py_batch']:.3f} s | "
              f"{seconds / b['py_batch']:.0f}x | {b['py_one']:.3f} s | {py / b['ser']:.1f}x |")
    print()
    listen_latency(a.ser, wav, run, a.out)


def listen_latency(ser, wav, run, out):
    minute = os.path.join(out, "minute_16k.wav")
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", wav, "-t", "60", "-ar", "16000",
                    "-c:a", "pcm_f32le", minute], check=True)
    for extra in ([], ["--no-gate"]):
        r = subprocess.run(["taskset", "-c", "0", ser, "listen", "--realtime", minute, "--model", run, "--threads", "1",
                            "--json"] + extra, check=True, capture_output=True, text=True)
        print(f"ser listen --realtime (16 kHz, one core{', ' + extra[0] if extra else ''}): {r.stderr.strip()}")


if __name__ == "__main__":
    main()
