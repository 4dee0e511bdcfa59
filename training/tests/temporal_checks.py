"""Checks of the temporal filter's stream builder, baselines and metrics on hand-made inputs.

usage: python3 temporal_checks.py   (prints one "ok <name>" line per check; exits 1 at the first failure)"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from fer_trainer import sequences as seq  # noqa: E402
from fer_trainer import temporal_eval as ev  # noqa: E402


def stream(labels):
    """Features [1,T,10] from per-frame labels: an int is a confident reading of that class, None a no-face beat."""
    f = np.zeros((1, len(labels), seq.FEATURES), dtype=np.float32)
    for t, c in enumerate(labels):
        if c is None:
            f[0, t, seq.FLAG_NO_FACE] = 1
        else:
            f[0, t, :7] = 0.1 / 6
            f[0, t, c] = 0.9
            f[0, t, seq.FLAG_FACE] = 1
    return f


def check(name, cond):
    if not cond:
        print(f"FAILED {name}", flush=True)
        sys.exit(1)
    print(f"ok {name}", flush=True)


def main():
    f = stream([None, 4, None, 3, 3, None])
    check("raw holds the last reading and shows nothing before the first", ev.labels_of(ev.raw_probs(f), f).tolist() == [[-1, 4, 4, 3, 3, 3]])
    e = ev.ema_probs(f, 0.5)
    check("ema starts at the first reading and averages the next", np.allclose(e[0, 1], f[0, 1, :7]) and np.allclose(e[0, 3], 0.5 * f[0, 1, :7] + 0.5 * f[0, 3, :7]))
    check("majority window: ties go to the most recent", ev.mode_labels(stream([1, 2, 2, 1]), 10).tolist() == [[1, 2, 2, 1]])
    check("majority window forgets readings older than the window", ev.mode_labels(stream([1, 1, 1, 2, 2]), 3).tolist() == [[1, 1, 1, 1, 2]])
    shown = np.array([[0] * ev.WARMUP_FRAMES + [1, 2, 2, 2, 1] + [1] * 236])
    check("flips per minute counts changes after the warm-up", abs(ev.flips_per_minute(shown) - 2 / (240 / 4 / 60)) < 1e-9)
    labels = [3] * 20 + [4] * 20
    f = stream(labels)
    label = np.array([labels])
    segment = np.array([[0] * 20 + [1] * 20])
    delayed = np.array([[3] * 25 + [4] * 15])
    lag = ev.change_lag(delayed, f, label, segment)
    check("lag is the frames from the new face until its expression shows", lag["changes"] == 1 and lag["meanFrames"] == 5.0)
    check("the lag to the classifier's verdict is the same here", ev.change_lag(delayed, f, label, segment, "classifier")["meanFrames"] == 5.0)
    stuck = np.full((1, 40), 3)
    never = ev.change_lag(stuck, f, label, segment, "classifier")
    check("a change of the classifier's verdict the tile never shows is counted as never shown", never["neverShown"] == 1.0 and never["meanFrames"] is None)
    check("a tile that settles on the same label shows no change of its own", ev.change_lag(stuck, f, label, segment)["changes"] == 0)
    flicker = np.array([[3] * 12 + [3, 5, 3, 3, 3, 3, 3, 3] + [4] * 20])
    check("flips within faces skip each face's first frames",
          abs(ev.flips_within_faces(flicker, label, segment) - 2 / ((7 + 7) / 4 / 60)) < 1e-9)

    votes = np.array([[0, 0, 0, 0.5, 0.5, 0, 0], [0] * 7], dtype=np.float32)
    t = seq.soft_targets(np.array([3, 5]), votes)
    check("FER+ votes are the target; one-hot FER2013 where FER+ has none", np.allclose(t[0], votes[0]) and t[1].tolist() == np.eye(7)[5].tolist())
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 48, 48)).astype(np.uint8)
    targets = np.eye(7, dtype=np.float32)[[0, 1, 2, 3, 4]]
    calls = []

    def classify(crops):
        calls.append(crops.shape[0])
        check("crops are 48x48 grey in 0..255", tuple(crops.shape[1:]) == (1, 48, 48) and 0 <= float(crops.min()) and float(crops.max()) <= 255)
        return torch.softmax(torch.randn(crops.shape[0], 7), 1).numpy()

    s = seq.build_sequences(images, targets, classify, 3, 200, seed=5)
    flags = s["features"][..., 7:]
    check("exactly one quality flag per frame", np.all(flags.sum(-1) == 1))
    check("probabilities only on face frames", np.all((s["features"][..., :7].sum(-1) > 0) == (flags[..., 0] > 0)))
    check("one classifier reading per face frame", sum(calls) == int(flags[..., 0].sum()))
    check("no-face, refused and face frames all occur", all(flags[..., k].sum() > 0 for k in range(3)))
    absent = s["label"] < 0
    check("absences are no-face frames without a target", np.all(flags[absent][:, 1] == 1) and np.all(s["target"][absent] == 0))
    check("targets follow the face shown", np.all(s["target"][~absent].argmax(-1) == s["label"][~absent]))
    c = seq.build_sequences(images, targets, classify, 2, 60, seed=6, constant=True)
    check("a constant stream holds one face", all(len(set(row.tolist())) == 1 and row[0] >= 0 for row in c["label"]))
    again = seq.build_sequences(images, targets, lambda x: np.full((len(x), 7), 1 / 7, dtype=np.float32), 3, 200, seed=5)
    check("the same seed gives the same streams", np.array_equal(again["label"], s["label"]) and np.array_equal(flags, again["features"][..., 7:]))


if __name__ == "__main__":
    main()
