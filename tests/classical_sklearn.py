#!/usr/bin/env python3
"""scikit-learn beside ser's classical baselines, on the rows test_classical wrote.

For each of logistic regression (multinomial, L2, lbfgs), linear SVM (hinge
loss, one-vs-rest, liblinear) and k nearest neighbours (k = 5, brute force),
scikit-learn is fitted on the same training rows with the same settings and
its test accuracy must be within one point of ser's; kNN, the same algorithm
with no solver in between, must predict every test row alike.
Exits 77 (CTest: skipped) when scikit-learn or the rows are missing.
"""
import os
import sys
import warnings

import numpy as np

try:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import LinearSVC
except ImportError:
    print("SKIPPED: scikit-learn is missing (apt-get install python3-sklearn)")
    sys.exit(77)

cases = sys.argv[1] if len(sys.argv) > 1 else "classical_cases"
if not os.path.exists(os.path.join(cases, "x_train.npy")):
    print(f"SKIPPED: {cases}/x_train.npy not found (test_classical writes it)")
    sys.exit(77)


def load(name):
    return np.load(os.path.join(cases, name + ".npy"))


x_train, x_test = load("x_train").astype(np.float64), load("x_test").astype(np.float64)
y_train, y_test = load("y_train").astype(int), load("y_test").astype(int)
models = {
    "logistic": LogisticRegression(C=1.0, max_iter=1000, tol=1e-6),
    "linear_svm": LinearSVC(loss="hinge", C=1.0, max_iter=1000, tol=1e-4, random_state=0),
    "knn": KNeighborsClassifier(n_neighbors=5, algorithm="brute"),
}
failed = False
print(f"{'model':12} {'ser':>8} {'sklearn':>8} {'agree':>7}")
for name, model in models.items():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LinearSVC's ConvergenceWarning: ser's solver stops at the same max_iter
        model.fit(x_train, y_train)
    theirs = model.predict(x_test)
    ours = load("pred_" + name).astype(int)
    ser_acc, sk_acc = (ours == y_test).mean(), (theirs == y_test).mean()
    agree = (ours == theirs).mean()
    print(f"{name:12} {ser_acc:8.4f} {sk_acc:8.4f} {agree:7.4f}")
    if abs(ser_acc - sk_acc) > 0.01:
        print(f"FAILED: {name}: ser {ser_acc:.4f} and scikit-learn {sk_acc:.4f} differ by more than a point")
        failed = True
    if name == "knn" and agree < 1.0:
        print(f"FAILED: knn predicts {int((ours != theirs).sum())} test rows unlike scikit-learn")
        failed = True
sys.exit(1 if failed else 0)
