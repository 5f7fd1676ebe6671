#!/usr/bin/python3
"""The face pipeline side by side: `ser faces` against the same pipeline in
Python, OpenCV's cv2 (Debian's python3-opencv) for decoding and the Haar
cascade, PyTorch (python3-torch) for the FER CNN.

Both read the same 640 x 480 video of FER2013 test faces (3 per frame) and
run the published FER CNN (2,345,607 parameters, fresh weights), each frame:
decode, grayscale, detect (scaleFactor 1.3, minNeighbors 5, minSize 30),
crop and resize each face to 48 x 48 (INTER_AREA), classify the frame's
faces as one batch, softmax. Reported: frames and faces per second, and the
detector's and the classifier's time apart, medians of --reps runs; PyTorch
at 1 and 2 threads, the better counted.

    /usr/bin/python3 bench/faces_compare.py [--build build] [--reps 5] [--frames 150]

PyTorch and cv2 are references for this comparison only, never dependencies of ser.
"""
import argparse
import re
import statistics
import subprocess
import time

import cv2
import torch
from torch import nn

CASCADE = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"


def fer_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Conv2d(64, 128, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(128, 128, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(2048, 1024), nn.ReLU(), nn.Dropout(0.5), nn.Linear(1024, 7)).eval()


def python_pipeline(video, threads):
    torch.set_num_threads(threads)
    model = fer_cnn()
    cascade = cv2.CascadeClassifier(CASCADE)
    cap = cv2.VideoCapture(video)
    frames = faces = 0
    detect = classify = 0.0
    t0 = time.perf_counter()
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        t = time.perf_counter()
        boxes = cascade.detectMultiScale(gray, scaleFactor=1.3, minNeighbors=5, minSize=(30, 30))
        detect += time.perf_counter() - t
        t = time.perf_counter()
        crops = [cv2.resize(gray[y:y + h, x:x + w], (48, 48), interpolation=cv2.INTER_AREA) for (x, y, w, h) in boxes]
        if crops:
            batch = torch.from_numpy(__import__("numpy").stack(crops)[:, None].astype("float32") / 255.0)
            with torch.no_grad():
                torch.softmax(model(batch), dim=1)
        classify += time.perf_counter() - t
        frames += 1
        faces += len(boxes)
    seconds = time.perf_counter() - t0
    return dict(fps=frames / seconds, faces_per_s=faces / seconds, detect=detect, classify=classify, frames=frames,
                faces=faces)


SUMMARY = re.compile(r"(\d+) frames, (\d+) faces .* in ([\d.]+) s: ([\d.]+) frames/s, ([\d.]+) faces/s "
                     r"\(detector ([\d.]+) s, classifier ([\d.]+) s\)")


def ser_pipeline(ser, video, model):
    r = subprocess.run([ser, "faces", video, "--model", model, "--json"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, check=True)
    m = SUMMARY.search(r.stderr)
    frames, faces, seconds, fps, fs, detect, classify = m.groups()
    return dict(fps=float(fps), faces_per_s=float(fs), detect=float(detect), classify=float(classify),
                frames=int(frames), faces=int(faces))


def median_of(runs):
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--out", default="/tmp/ser_faces_bench")
    a = ap.parse_args()
    subprocess.run([f"{a.build}/bench/face_bench_inputs", a.out, str(a.frames)], check=True)
    video, model = f"{a.out}/faces_640x480.avi", f"{a.out}/fer_cnn.sermodel"
    rows = {}
    for rep in range(a.reps):  # interleaved, so both see the same machine
        rows.setdefault("ser", []).append(ser_pipeline(f"{a.build}/ser", video, model))
        for t in (1, 2):
            rows.setdefault(f"python, torch {t} thread{'s' if t > 1 else ''}", []).append(python_pipeline(video, t))
    print(f"{a.frames} frames of 640 x 480, medians of {a.reps} runs (commit: see git log)\n")
    print("| pipeline | frames/s | faces/s | detector (ms/frame) | classifier (ms/frame) | faces found |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, runs in rows.items():
        m = median_of(runs)
        print(f"| {name} | {m['fps']:.1f} | {m['faces_per_s']:.1f} | {1000 * m['detect'] / m['frames']:.2f} | "
              f"{1000 * m['classify'] / m['frames']:.2f} | {int(m['faces'])} |")


if __name__ == "__main__":
    main()
