#!/usr/bin/python3
"""Golden values for dsp/yin and dsp/pyin: librosa 0.10.1's yin and pyin on
the y.npy of each file of ../shared/reference/librosa (the signal exactly as
decoded), in float64. "default": fmin C2, fmax C7 (librosa's example),
frame_length 2048, hop 512, centred with constant padding, librosa's other
defaults. "custom": fmin 75, fmax 600 (Praat's speech range), frame_length
1024, hop 256, win_length 400, trough_threshold 0.2; pyin with resolution
0.2, switch_prob 0.05, beta (1, 10). pyin is run with fill_na=None, so its
f0 names the decoded bin of unvoiced frames too.

    PYTHONPATH=../shared/tools/librosa:../shared/tools/librosa/stubs /usr/bin/python3 \\
        tests/reference/generators/make_pitch_reference.py ../shared/reference/librosa \\
        tests/reference/pitch.json
"""
import json
import os
import sys

import numpy as np

import librosa

DEFAULT = dict(fmin=librosa.note_to_hz("C2"), fmax=librosa.note_to_hz("C7"))
CUSTOM = dict(fmin=75.0, fmax=600.0, frame_length=1024, hop_length=256, win_length=400)
CUSTOM_PYIN = dict(resolution=0.2, switch_prob=0.05, beta_parameters=(1, 10))


def both(y, sr, common, yin_extra, pyin_extra):
    f0 = librosa.yin(y, sr=sr, **common, **yin_extra)
    pf0, voiced, prob = librosa.pyin(y, sr=sr, fill_na=None, **common, **pyin_extra)
    return {"yin": f0.tolist(), "pyin_f0": pf0.tolist(), "pyin_voiced": voiced.astype(int).tolist(),
            "pyin_probability": prob.tolist()}


def main():
    src, out = sys.argv[1], sys.argv[2]
    manifest = json.load(open(os.path.join(src, "manifest.json")))
    files = {}
    for name, info in sorted(manifest["files"].items()):
        y = np.load(os.path.join(src, name, "y.npy")).astype(np.float64)
        sr = info["sample_rate"]
        files[name] = {"sample_rate": sr,
                       "default": both(y, sr, DEFAULT, {}, {}),
                       "custom": both(y, sr, CUSTOM, {"trough_threshold": 0.2}, CUSTOM_PYIN)}
    with open(out, "w") as f:
        json.dump({"generator": "tests/reference/generators/make_pitch_reference.py",
                   "librosa": librosa.__version__, "default": DEFAULT, "custom": CUSTOM,
                   "custom_pyin": CUSTOM_PYIN, "files": files}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
