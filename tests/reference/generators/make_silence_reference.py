#!/usr/bin/python3
"""Golden values for dsp/silence: librosa.effects.trim and split (0.10.1).

    PYTHONPATH=../shared/tools/librosa:../shared/tools/librosa/stubs /usr/bin/python3 \
        tests/reference/generators/make_silence_reference.py ../shared/data tests/reference/silence.json

Signals: shared RAVDESS files (long silence before and after the speech,
one of them stereo), TESS files, and concatenations of them with stretches
of digital silence and of a quiet 50 Hz hum between (a formula, so the
C++ test builds the same samples). Each signal is decoded as ser decodes
it: libsndfile to float32, channels averaged. For each signal and setting
the file stores librosa's trim interval, split intervals and the frames'
dB (for telling a true disagreement from a tie at the threshold).
"""
import json
import os
import sys

import numpy as np
import soundfile

import librosa

FILES = [
    "ravdess/Actor_01/03-01-01-01-01-01-01.flac",
    "ravdess/Actor_01/03-01-05-02-01-02-01.flac",
    "ravdess/Actor_02/03-01-06-01-02-01-02.flac",
    "ravdess/Actor_01/03-01-02-01-01-02-01.flac",  # stereo
    "tess/OAF_angry/OAF_base_angry.flac",
    "tess/YAF_sad/YAF_bone_sad.flac",
]
SETTINGS = [
    dict(top_db=60, frame_length=2048, hop_length=512, ref=0.0),
    dict(top_db=30, frame_length=2048, hop_length=512, ref=0.0),
    dict(top_db=20, frame_length=1024, hop_length=256, ref=0.0),
    dict(top_db=40, frame_length=512, hop_length=128, ref=0.05),
]


def decode(path):
    y, sr = soundfile.read(path, dtype="float32", always_2d=True)
    return y.mean(axis=1, dtype=np.float32) if y.shape[1] > 1 else y[:, 0], sr


def hum(n, sr, amplitude):
    t = np.arange(n, dtype=np.float64) / sr
    return (amplitude * np.sin(2 * np.pi * 50.0 * t)).astype(np.float32)


def concatenation(data, parts, sr):
    """parts: file paths and gaps ("silence", seconds) or ("hum", seconds, amplitude)."""
    out = []
    for p in parts:
        if isinstance(p, str):
            y, file_sr = decode(os.path.join(data, p))
            assert file_sr == sr, p
            out.append(y)
        elif p[0] == "silence":
            out.append(np.zeros(int(round(p[1] * sr)), dtype=np.float32))
        else:
            out.append(hum(int(round(p[1] * sr)), sr, p[2]))
    return np.concatenate(out)


CONCATS = [
    ["ravdess/Actor_01/03-01-01-01-01-01-01.flac", ["silence", 1.5], "ravdess/Actor_02/03-01-06-01-02-01-02.flac",
     ["hum", 2.0, 0.0005], "ravdess/Actor_01/03-01-05-02-01-02-01.flac"],
    [["hum", 0.7, 0.001], "tess/OAF_angry/OAF_base_angry.flac", ["silence", 0.8], "tess/OAF_angry/OAF_base_angry.flac",
     ["hum", 1.1, 0.002]],
]


def cases_for(name, spec, y):
    out = []
    for s in SETTINGS:
        ref = np.max if s["ref"] == 0 else s["ref"]
        kw = dict(top_db=s["top_db"], frame_length=s["frame_length"], hop_length=s["hop_length"], ref=ref)
        _, interval = librosa.effects.trim(y, **kw)
        intervals = librosa.effects.split(y, **kw)
        rms = librosa.feature.rms(y=y, frame_length=s["frame_length"], hop_length=s["hop_length"])
        db = librosa.amplitude_to_db(rms[0], ref=ref, top_db=None)
        out.append({"signal": name, "parts": spec, "samples": int(len(y)), "settings": s,
                    "trim": [int(v) for v in interval], "split": [[int(a), int(b)] for a, b in intervals],
                    "db": [round(float(v), 5) for v in db]})
    return out


def main():
    data, path = sys.argv[1], sys.argv[2]
    cases = []
    for f in FILES:
        y, _ = decode(os.path.join(data, f))
        cases += cases_for(f, [f], y)
    tess_sr = decode(os.path.join(data, FILES[4]))[1]
    for parts in CONCATS:
        sr = tess_sr if parts[1] == FILES[4] else 48000
        cases += cases_for("concatenation", parts, concatenation(data, parts, sr))
    out = {"generator": "tests/reference/generators/make_silence_reference.py", "librosa": librosa.__version__,
           "cases": cases}
    with open(path, "w") as f:
        json.dump(out, f)
        f.write("\n")


if __name__ == "__main__":
    main()
