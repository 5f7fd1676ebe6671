#!/usr/bin/python3
"""Golden values for dsp/voice_quality from Praat itself (Debian's praat,
headless): local jitter, local shimmer, mean HNR and the number of pulses of
30 shared files (the first file of each TESS speaker-emotion folder, the
first two of RAVDESS actors 1-8), by voice_quality.praat beside this script.

    /usr/bin/python3 tests/reference/generators/make_voice_quality_reference.py \\
        ../shared/data tests/reference/voice_quality.json
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def chosen(data):
    files = []
    tess = os.path.join(data, "tess")
    for folder in sorted(os.listdir(tess)):
        files.append(os.path.join("tess", folder, sorted(os.listdir(os.path.join(tess, folder)))[0]))
    for actor in range(1, 9):
        folder = os.path.join("ravdess", "Actor_%02d" % actor)
        files += [os.path.join(folder, f) for f in sorted(os.listdir(os.path.join(data, folder)))[:2]]
    return files


def main():
    data, out = sys.argv[1], sys.argv[2]
    version = subprocess.run(["praat", "--version"], capture_output=True, text=True).stdout.strip()
    values = {}
    for rel in chosen(data):
        line = subprocess.run(["praat", "--run", os.path.join(HERE, "voice_quality.praat"), os.path.join(data, rel)],
                              capture_output=True, text=True, check=True).stdout.split()
        values[rel] = {"jitter": float(line[0]), "shimmer": float(line[1]), "hnr": float(line[2]),
                       "pulses": int(line[3])}
    with open(out, "w") as f:
        json.dump({"generator": "tests/reference/generators/make_voice_quality_reference.py", "praat": version,
                   "files": values}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
