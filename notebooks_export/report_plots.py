# Helpers of the notebooks `ser report` writes. The notebook carries this file
# in its first cell, so it runs on its own; the cells after it call these
# functions on the run folders, which they read as they are on disk.
import csv
import html
import json
import os

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import HTML, display
from matplotlib.ticker import MaxNLocator

plt.rcParams.update({"figure.dpi": 100, "font.size": 10, "axes.grid": False})


def _json(path):
    with open(path) as f:
        return json.load(f)


def _history(path):
    # history.csv: epoch, train_loss, train_accuracy, val_loss, val_accuracy, lr, seconds
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}
    return {k: np.array([float(r[k]) if r[k] not in ("", "nan") else np.nan for r in rows]) for k in rows[0]}


def load_run(name, path, examples=None):
    """A run folder as `ser train` wrote it (run.json, config.yaml, history.csv, metrics.json)."""
    run = {"name": name, "dir": path}
    run["metrics"] = _json(os.path.join(path, "metrics.json"))
    info = os.path.join(path, "run.json")
    run["info"] = _json(info) if os.path.exists(info) else {}
    run["history"] = _history(os.path.join(path, "history.csv"))
    timings = os.path.join(path, "timings.json")
    run["timings"] = _json(timings) if os.path.exists(timings) else {}
    data = os.path.join(path, "data.json")
    run["data"] = _json(data) if os.path.exists(data) else None
    run["examples"] = []
    run["faces"] = None
    if examples and "faces" in _json(examples):
        faces = _json(examples)
        faces["faces"] = np.load(os.path.join(os.path.dirname(examples), faces["faces"]))
        run["faces"] = faces
    elif examples:
        base = os.path.dirname(examples)
        for e in _json(examples)["examples"]:
            e = dict(e)
            for k in ("wave", "mel", "mfcc"):
                e[k] = os.path.join(base, e[k])
            run["examples"].append(e)
    return run


def _table(header, rows):
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return HTML(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _pct(x):
    return "" if x is None else f"{100 * x:.1f}%"


def show_facts(run):
    i = run["info"]
    m = i.get("machine", {})
    rows = [("folder", run["dir"]), ("config", i.get("config", "")),
            ("overrides (--set)", " ".join(i.get("overrides", [])) or "none"),
            ("seed", i.get("seed", "")), ("threads", i.get("threads", "")),
            ("git commit", i.get("git_commit", "") + (" (with uncommitted changes)" if i.get("git_dirty") else "")),
            ("machine", f"{m.get('cpu', '')}, {m.get('system', '')} {m.get('release', '')} {m.get('arch', '')}"),
            ("compiler", i.get("compiler", ""))]
    t = run["timings"]
    if t:
        rows.append(("wall time", ", ".join(f"{k} {v:.1f} s" for k, v in t.items() if isinstance(v, (int, float)))))
    display(_table(["", ""], rows))


def show_config(run):
    resolved = os.path.join(run["dir"], "config.resolved.yaml")
    written = os.path.join(run["dir"], "config.yaml")
    path = resolved if os.path.exists(resolved) else written
    if not os.path.exists(path):
        print("(no config.yaml in this folder: a fold of a k-fold run; see its parent)")
        return
    if path == resolved:
        print("# config.yaml with the --set overrides of run.json applied\n")
    with open(path) as f:
        print(f.read())


def _sections(metrics):
    return [(k, v) for k, v in metrics.items() if isinstance(v, dict) and "accuracy" in v]


def metrics_table(run):
    rows = []
    for name, s in _sections(run["metrics"]):
        acc = _pct(s["accuracy"]) + (f" ± {100 * s['accuracy_std']:.1f}" if "accuracy_std" in s else "")
        f1 = _pct(s["macro_f1"]) + (f" ± {100 * s['macro_f1_std']:.1f}" if "macro_f1_std" in s else "")
        support = s.get("macro avg", {}).get("support", "")
        rows.append((name, support, acc, f1, _pct(s.get("weighted_f1"))))
    display(_table(["section", "files", "accuracy", "macro-F1", "weighted-F1"], rows))
    folds = run["metrics"].get("folds")
    if folds:
        display(_table(["fold", "test group", "test files", "accuracy", "macro-F1"],
                       [(f["fold"], f.get("test_group", ""), f["test_files"], _pct(f["accuracy"]), _pct(f["macro_f1"]))
                        for f in folds]))


def classification_report(run, section="test"):
    """Precision, recall, F1 and support per class, then accuracy and the two averages (sklearn's layout)."""
    s = run["metrics"][section]
    rows = [(c, f"{v['precision']:.3f}", f"{v['recall']:.3f}", f"{v['f1']:.3f}", v["support"])
            for c, v in s["per_class"].items()]
    total = s["macro avg"]["support"]
    rows.append(("accuracy", "", "", f"{s['accuracy']:.3f}", total))
    for avg in ("macro avg", "weighted avg"):
        a = s[avg]
        rows.append((avg, f"{a['precision']:.3f}", f"{a['recall']:.3f}", f"{a['f1']:.3f}", a["support"]))
    display(_table(["", "precision", "recall", "f1-score", "support"], rows))


def plot_curves(run):
    h = run["history"]
    if not h:
        print("(no history.csv)")
        return
    epoch = h["epoch"]
    fig, ax = plt.subplots(1, 3, figsize=(15, 3.8))
    for a, key, title in ((ax[0], "loss", "Loss"), (ax[1], "accuracy", "Accuracy")):
        a.plot(epoch, h[f"train_{key}"], "o-", ms=3, label="train")
        if not np.all(np.isnan(h[f"val_{key}"])):
            a.plot(epoch, h[f"val_{key}"], "o-", ms=3, label="validation")
        a.set(title=title, xlabel="epoch", ylabel=key)
        a.legend()
    for a in ax:
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax[2].plot(epoch, h["lr"], "o-", ms=3, color="tab:green")
    ax[2].set(title="Learning rate", xlabel="epoch", ylabel="learning rate")
    ax[2].ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    fig.suptitle(f"{run['name']}: training curves")
    fig.tight_layout()
    plt.show()


def _heatmap(ax, m, labels, fmt, title, fig):
    im = ax.imshow(m, cmap="Blues", vmin=0)
    n = len(labels)
    ax.set_xticks(range(n), labels, rotation=45 if n > 4 else 0, ha="right" if n > 4 else "center")
    ax.set_yticks(range(n), labels)
    ax.set(title=title, xlabel="predicted", ylabel="true")
    top = m.max() if m.size else 0
    size = 9 if n <= 8 else 7
    for i in range(n):
        for j in range(n):
            ax.text(j, i, fmt(m[i, j]), ha="center", va="center", fontsize=size,
                    color="white" if m[i, j] > 0.6 * top else "black")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)


def plot_confusion(run, section="test"):
    s = run["metrics"][section]
    labels = s["labels"]
    m = np.array(s["confusion_matrix"], dtype=float)
    rows = m.sum(axis=1, keepdims=True)
    norm = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    side = max(4.5, 0.45 * len(labels) + 2.5)
    # Side by side while both fit the page at full size; above one another beyond 8 classes.
    wide = len(labels) <= 8
    fig, ax = plt.subplots(1, 2, figsize=(2 * side + 1, side)) if wide else plt.subplots(2, 1, figsize=(side + 1, 2 * side))
    _heatmap(ax[0], m, labels, lambda v: f"{int(v)}", "Counts", fig)
    _heatmap(ax[1], norm, labels, lambda v: f"{v:.2f}", "Row-normalised (recall)", fig)
    fig.suptitle(f"{run['name']}: confusion matrix ({section}, {int(m.sum())} files)")
    fig.tight_layout()
    plt.show()


def plot_f1(run, section="test"):
    s = run["metrics"][section]
    labels = list(s["per_class"])
    f1 = [s["per_class"][c]["f1"] for c in labels]
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(labels) + 2), 3.8))
    bars = ax.bar(labels, f1, color="tab:blue")
    ax.axhline(s["macro_f1"], color="tab:red", ls="--", label=f"macro-F1 {s['macro_f1']:.3f}")
    ax.bar_label(bars, fmt="%.2f", fontsize=8, label_type="center", color="white")
    ax.set(ylim=(0, 1.1), xlabel="class", ylabel="F1", title=f"{run['name']}: F1 per class ({section})")
    if len(labels) > 6:
        ax.tick_params(axis="x", labelrotation=45)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    plt.show()


def plot_classes(run):
    """Files per class on the train, validation and test sides, as grouped bars."""
    sides = {k: v for k, v in run["data"]["split_classes"].items() if sum(v.values()) > 0}
    labels = run["data"]["labels"]
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(labels) + 2), 3.8))
    width = 0.8 / max(len(sides), 1)
    x = np.arange(len(labels))
    for k, (side, counts) in enumerate(sides.items()):
        bars = ax.bar(x + (k - (len(sides) - 1) / 2) * width, [counts[lab] for lab in labels], width,
                      label=f"{side} ({sum(counts.values())})")
        ax.bar_label(bars, fontsize=7)
    ax.set_xticks(x, labels)
    ax.set(xlabel="class", ylabel="files", title=f"{run['name']}: files per class and split side")
    if len(labels) > 6:
        ax.tick_params(axis="x", labelrotation=45)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    plt.show()
    print_side_speakers(run)


def print_side_speakers(run):
    """Each side's speakers, and whether any is on two sides (then the split is not speaker-independent)."""
    sides = {k: v for k, v in run["data"].get("split_speakers", {}).items() if v}
    if not sides:
        return
    for side, speakers in sides.items():
        print(f"{side} speakers ({len(speakers)}): {' '.join(speakers)}")
    shared = run["data"].get("split_shared_speakers", [])
    if shared:
        every = {s for speakers in sides.values() for s in speakers}
        print(f"{len(shared)} of {len(every)} speakers are on more than one side: not speaker-independent")
    else:
        print("no speaker is on two sides")


def plot_example(run, label):
    """The published projects' waveplot, beside the mel spectrogram and the MFCCs, of one file of `label`."""
    e = next(x for x in run["examples"] if x["label"] == label)
    wave, mel, mfcc = np.load(e["wave"]), np.load(e["mel"]), np.load(e["mfcc"])
    sr, hop = e["sample_rate"], e["hop_length"]
    seconds = len(wave) / sr
    fig, ax = plt.subplots(1, 3, figsize=(16, 3.4))
    ax[0].plot(np.arange(len(wave)) / sr, wave, lw=0.5)
    ax[0].set(title="waveform", xlabel="time (s)", ylabel="amplitude", xlim=(0, seconds))
    frames = mel.shape[1] * hop / sr
    im = ax[1].imshow(mel, origin="lower", aspect="auto", cmap="magma", extent=(0, frames, 0, mel.shape[0]))
    ax[1].set(title=f"mel spectrogram ({mel.shape[0]} bands)", xlabel="time (s)", ylabel="mel band")
    fig.colorbar(im, ax=ax[1], label="dB")
    # The colours follow coefficients 1 and up: the 0th (the log energy) is
    # several times larger and would leave the others one flat colour.
    top = np.percentile(np.abs(mfcc[1:]), 99) if mfcc.shape[0] > 1 else np.abs(mfcc).max()
    im = ax[2].imshow(mfcc, origin="lower", aspect="auto", cmap="coolwarm", vmin=-top, vmax=top,
                      extent=(0, frames, 0, mfcc.shape[0]))
    ax[2].set(title=f"MFCC ({mfcc.shape[0]} coefficients)", xlabel="time (s)", ylabel="coefficient")
    fig.colorbar(im, ax=ax[2])
    fig.suptitle(f"{label}: {os.path.basename(e['file'])} ({sr} Hz, {seconds:.2f} s)")
    fig.tight_layout()
    plt.show()


def plot_faces(run, section="test"):
    """A page of faces, a row per true class, titled with the prediction (green: right, red: wrong)."""
    f = run["faces"]
    faces, truth, predicted, labels = f["faces"], f["truth"], f["predicted"], f["labels"]
    rows = [lab for lab in labels if lab in truth]
    cols = max(truth.count(lab) for lab in rows)
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.6 * cols, 1.85 * len(rows)), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    seen = {lab: 0 for lab in rows}
    for img, t, p in zip(faces, truth, predicted):
        r, c = rows.index(t), seen[t]
        seen[t] += 1
        ax = axes[r][c]
        ax.imshow(img, cmap="gray", vmin=0, vmax=1)
        ax.set_title(p, color="green" if p == t else "red", fontsize=9)
        if c == 0:
            ax.text(-0.15, 0.5, t, transform=ax.transAxes, ha="right", va="center", fontsize=10)
    right = sum(t == p for t, p in zip(truth, predicted))
    what = "faces" if section == "all" else f"{section} faces"
    fig.suptitle(f"{what} by true class (rows), predicted label above each: {right} of {len(truth)} right")
    fig.tight_layout()
    plt.show()


def _score(run, key):
    t = run["metrics"].get("test", {})
    return t.get(key), t.get(f"{key}_std", 0.0)


def comparison_table(runs):
    rows = []
    for r in runs:
        i = r["info"]
        (acc, acc_sd), (f1, f1_sd) = _score(r, "accuracy"), _score(r, "macro_f1")
        t = r["metrics"].get("test", {})
        folds = r["metrics"].get("folds", [])
        files = t.get("macro avg", {}).get("support") or sum(f["test_files"] for f in folds) or ""
        rows.append((r["name"], os.path.basename(i.get("config", "")), " ".join(i.get("overrides", [])), files,
                     _pct(acc) + (f" ± {100 * acc_sd:.1f}" if acc_sd else ""),
                     _pct(f1) + (f" ± {100 * f1_sd:.1f}" if f1_sd else ""),
                     len(r["history"].get("epoch", [])) or ""))
    display(_table(["run", "config", "overrides", "test files", "accuracy", "macro-F1", "epochs"], rows))


def plot_comparison(runs):
    names = [r["name"] for r in runs]
    x = np.arange(len(runs))
    w = 0.38
    fig, ax = plt.subplots(figsize=(max(7, 1.3 * len(runs) + 3), 4.2))
    for k, (key, title) in enumerate((("accuracy", "accuracy"), ("macro_f1", "macro-F1"))):
        vals = [_score(r, key) for r in runs]
        bars = ax.bar(x + (k - 0.5) * w, [v or 0 for v, _ in vals], w, yerr=[sd for _, sd in vals],
                      capsize=3, label=title)
        ax.bar_label(bars, fmt="%.3f", fontsize=8, padding=2)
    slanted = len(runs) > 3 or max(len(n) for n in names) > 10  # long names would run into each other
    ax.set_xticks(x, names, rotation=20 if slanted else 0, ha="right" if slanted else "center")
    ax.set(ylim=(0, 1.12), ylabel="test score", xlabel="run", title="Test accuracy and macro-F1 per run")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    plt.show()


def plot_comparison_curves(runs):
    fig, ax = plt.subplots(1, 2, figsize=(15, 4))
    shown = False
    for r in runs:
        h = r["history"]
        if not h:
            continue
        shown = True
        val = h["val_accuracy"]
        ax[0].plot(h["epoch"], h["train_loss"], label=r["name"])
        ax[1].plot(h["epoch"], h["train_accuracy"] if np.all(np.isnan(val)) else val, label=r["name"])
    if not shown:
        plt.close(fig)
        print("(none of these runs has a history.csv)")
        return
    ax[0].set(title="Training loss", xlabel="epoch", ylabel="loss")
    ax[1].set(title="Validation accuracy (training accuracy where there is no validation set)",
              xlabel="epoch", ylabel="accuracy")
    for a in ax:
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), title="run")
    fig.tight_layout()
    plt.show()


def plot_comparison_f1(runs):
    with_classes = [r for r in runs if "per_class" in r["metrics"].get("test", {})]
    groups = {}
    for r in with_classes:
        groups.setdefault(tuple(r["metrics"]["test"]["labels"]), []).append(r)
    if not groups:
        print("(no run here has per-class scores: k-fold runs keep them in their folds)")
        return
    for labels, rs in groups.items():
        x = np.arange(len(labels))
        w = 0.8 / len(rs)
        fig, ax = plt.subplots(figsize=(max(8, 0.5 * len(labels) * len(rs) + 3), 4))
        for k, r in enumerate(rs):
            ax.bar(x + (k - (len(rs) - 1) / 2) * w, [r["metrics"]["test"]["per_class"][c]["f1"] for c in labels], w,
                   label=r["name"])
        ax.set_xticks(x, labels, rotation=45 if len(labels) > 6 else 0, ha="right" if len(labels) > 6 else "center")
        ax.set(ylim=(0, 1.1), xlabel="class", ylabel="F1", title="F1 per class and run")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), title="run")
        fig.tight_layout()
        plt.show()
