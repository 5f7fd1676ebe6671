#!/usr/bin/python3
"""Golden values for datasets/image_augment: Keras' image transform, as
keras_preprocessing's apply_affine_transform computes it with scipy.

    /usr/bin/python3 tests/reference/generators/make_image_augment_reference.py \
        tests/reference/image_augment.json

Keras builds one 3x3 matrix, rotation @ shift @ zoom, moves its origin to
the centre (h/2 + 0.5, w/2 + 0.5) and hands the 2x2 part and the offset to
scipy.ndimage.affine_transform (order 1, mode "nearest"), which maps each
output position to the input position it reads; a horizontal flip comes
after. The same steps are written out here with numpy and scipy only, so
that Keras need not be installed. The image is a non-square ramp with a
bright block, so that a row/column mix-up or an off-by-one centre shows.
"""
import json
import sys

import numpy as np
from scipy import ndimage

H, W = 12, 10


def image():
    x = (np.arange(H * W) % 97 / 97.0).reshape(H, W)
    x[2:5, 6:9] = 1.0
    return x


def keras_transform(x, theta, tx, ty, zx, zy, flip):
    rotation = np.array([[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0], [0, 0, 1]])
    shift = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    zoom = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
    m = rotation @ shift @ zoom
    o_x, o_y = H / 2 + 0.5, W / 2 + 0.5  # Keras' transform_matrix_offset_center
    offset = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    m = offset @ m @ reset
    y = ndimage.affine_transform(x, m[:2, :2], m[:2, 2], order=1, mode="nearest", cval=0.0)
    return y[:, ::-1] if flip else y


CASES = [  # theta in radians, shifts in pixels (rows, columns), zooms of rows and columns
    dict(theta=0.0, tx=0.0, ty=0.0, zx=1.0, zy=1.0, flip=False),
    dict(theta=0.0, tx=0.0, ty=0.0, zx=1.0, zy=1.0, flip=True),
    dict(theta=np.deg2rad(10), tx=0.0, ty=0.0, zx=1.0, zy=1.0, flip=False),
    dict(theta=np.deg2rad(-7.5), tx=0.0, ty=0.0, zx=1.0, zy=1.0, flip=False),
    dict(theta=0.0, tx=1.2, ty=-0.7, zx=1.0, zy=1.0, flip=False),
    dict(theta=0.0, tx=0.0, ty=0.0, zx=0.9, zy=1.08, flip=False),
    dict(theta=np.deg2rad(8), tx=-1.1, ty=0.9, zx=1.05, zy=0.93, flip=True),
    dict(theta=np.deg2rad(35), tx=3.0, ty=-2.5, zx=1.3, zy=0.7, flip=False),  # far past the edges
]


def main():
    x = image()
    cases = [{"draw": c, "output": keras_transform(x, **c).ravel().tolist()} for c in CASES]
    out = {"generator": "tests/reference/generators/make_image_augment_reference.py",
           "h": H, "w": W, "image": x.ravel().tolist(), "cases": cases}
    with open(sys.argv[1], "w") as f:
        json.dump(out, f, indent=None)
        f.write("\n")


if __name__ == "__main__":
    main()
