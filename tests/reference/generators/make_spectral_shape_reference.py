#!/usr/bin/python3
"""Golden values for dsp/spectral_shape: librosa 0.10.1's spectral_centroid,
spectral_bandwidth, spectral_rolloff, spectral_flatness and spectral_contrast
with their defaults (n_fft 2048, hop 512, centred, constant padding; p = 2;
roll_percent 0.85; power 2, amin 1e-10; 6 bands from 200 Hz, quantile 0.02),
again with other settings ("custom": p 1, roll_percent 0.5, power 1; 4 bands
from 300 Hz, quantile 0.05, in dB and linear), and ser's loudness built from
librosa's pieces: power_to_db(mean over bins of |stft|^2 *
db_to_power(A_weighting(fft_frequencies)), top_db=None). All in float64 from
the y.npy of each file of ../shared/reference/librosa (the signal exactly as
decoded).

    PYTHONPATH=../shared/tools/librosa:../shared/tools/librosa/stubs /usr/bin/python3 \\
        tests/reference/generators/make_spectral_shape_reference.py ../shared/reference/librosa \\
        tests/reference/spectral_shape.json
"""
import json
import os
import sys

import numpy as np

import librosa


def loudness(y, sr):
    power = np.abs(librosa.stft(y)) ** 2
    weight = librosa.db_to_power(librosa.A_weighting(librosa.fft_frequencies(sr=sr)))
    return librosa.power_to_db(np.mean(power * weight[:, None], axis=0), top_db=None)


def main():
    src, out = sys.argv[1], sys.argv[2]
    manifest = json.load(open(os.path.join(src, "manifest.json")))
    files = {}
    for name, info in sorted(manifest["files"].items()):
        y = np.load(os.path.join(src, name, "y.npy")).astype(np.float64)
        sr = info["sample_rate"]
        files[name] = {
            "sample_rate": sr,
            "centroid": librosa.feature.spectral_centroid(y=y, sr=sr)[0].tolist(),
            "bandwidth": librosa.feature.spectral_bandwidth(y=y, sr=sr)[0].tolist(),
            "rolloff": librosa.feature.spectral_rolloff(y=y, sr=sr)[0].tolist(),
            "flatness": librosa.feature.spectral_flatness(y=y)[0].tolist(),
            "contrast": librosa.feature.spectral_contrast(y=y, sr=sr).tolist(),
            "loudness": loudness(y, sr).tolist(),
            "custom": {
                "bandwidth": librosa.feature.spectral_bandwidth(y=y, sr=sr, p=1)[0].tolist(),
                "rolloff": librosa.feature.spectral_rolloff(y=y, sr=sr, roll_percent=0.5)[0].tolist(),
                "flatness": librosa.feature.spectral_flatness(y=y, power=1.0)[0].tolist(),
                "contrast": librosa.feature.spectral_contrast(y=y, sr=sr, n_bands=4, fmin=300.0,
                                                              quantile=0.05).tolist(),
                "contrast_linear": librosa.feature.spectral_contrast(y=y, sr=sr, n_bands=4, fmin=300.0,
                                                                     quantile=0.05, linear=True).tolist(),
            },
        }
    with open(out, "w") as f:
        json.dump({"generator": "tests/reference/generators/make_spectral_shape_reference.py",
                   "librosa": librosa.__version__, "files": files}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
