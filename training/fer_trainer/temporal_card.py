"""Model card and samples file of the temporal filter."""
import datetime
import json
import os

import numpy as np

from . import sequences as seq
from .data import CLASS_NAMES
from .temporal_eval import flips_per_minute, labels_of, raw_probs
from .temporal_model import LOG_FLOOR, gru_probs

REFERENCE_FRAMES = 40


def _dump(path, obj, indent=2):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=indent, separators=(",", ": ") if indent else (",", ":"))
        f.write("\n")
    os.replace(tmp, path)


def _pick_constant(co) -> list:
    """The first constant streams of sad (twice, the issue's case), fear (worried), happy, neutral, angry and
    surprise faces: fixed by order, not by how well any filter does on them."""
    picked = []
    for name in ("sad", "sad", "fear", "happy", "neutral", "angry", "surprise"):
        rows = [j for j in np.flatnonzero(co["label"][:, 0] == CLASS_NAMES.index(name)) if j not in picked]
        if rows:
            picked.append(int(rows[0]))
    return picked or [0]


def write_samples(path, net, sw, co) -> dict:
    """Sequences for runtimes to check themselves against: a reference stream (PyTorch's filtered
    probabilities per frame, from a zero state, exact float32 values) and constant streams that hold
    one PublicTest face for a minute (rounded to 6 decimals), with the raw reading's and the GRU's flips per minute."""
    f = sw["features"][:, :REFERENCE_FRAMES]
    i = int(np.argmax((f[..., seq.FLAG_NO_FACE] > 0).any(1) * 2 + (f[..., seq.FLAG_REFUSED] > 0).any(1)
                      + (f[..., seq.FLAG_FACE] > 0).sum(1) / 1000))
    ref_in = sw["features"][i, :REFERENCE_FRAMES]
    ref_out = gru_probs(net, ref_in[None])[0]
    picked = _pick_constant(co)
    feats = np.round(co["features"][picked].astype(np.float64), 6).astype(np.float32)
    raw = labels_of(raw_probs(feats), feats)
    gru = labels_of(gru_probs(net, feats), feats)
    constant = [{"label": CLASS_NAMES[int(co["label"][j, 0])], "input": np.round(feats[k].astype(np.float64), 6).tolist(),
                 "rawFlipsPerMinute": flips_per_minute(raw[k:k + 1]), "gruFlipsPerMinute": flips_per_minute(gru[k:k + 1])}
                for k, j in enumerate(picked)]
    out = {
        "reference": {"note": "inputs [frames][10] and PyTorch's filtered probabilities [frames][7], stepping from a zero state",
                      "input": ref_in.tolist(), "probabilities": ref_out.tolist()},
        "constant": {"note": "PublicTest faces, each held for the whole stream, read by the shipped classifier; flips counted "
                             "after the warm-up frames at 4 readings/s",
                     "warmupFrames": 10, "streams": constant},
    }
    _dump(path, out, indent=None)  # thousands of numbers: compact
    return {"file": os.path.basename(path), "referenceFrames": REFERENCE_FRAMES,
            "constant": [{k: c[k] for k in ("label", "rawFlipsPerMinute", "gruFlipsPerMinute")} for c in constant]}


def _stream_stats(s) -> dict:
    f = s["features"]
    return {"streams": int(f.shape[0]), "framesPerStream": int(f.shape[1]),
            "faceReadings": int((f[..., seq.FLAG_FACE] > 0).sum()), "noFaceFrames": int((f[..., seq.FLAG_NO_FACE] > 0).sum()),
            "refusedFrames": int((f[..., seq.FLAG_REFUSED] > 0).sum())}


def write_card(path, *, a, net, params, digest, classifier_sha, alpha, alpha_scores, results, run, streams, samples, fps) -> dict:
    card = {
        "name": "emotion-temporal-gru",
        "architecture": f"one-layer GRU (hidden {net.hidden}) over the classifier's readings, linear head, softmax",
        "classNames": CLASS_NAMES,
        "readingsPerSecond": fps,
        "input": {
            "name": "input", "shape": [None, None, seq.FEATURES], "layout": "[listeners, frames, features]",
            "features": [f"p({c})" for c in CLASS_NAMES] + ["face", "noFace", "refused"],
            "encoding": "a face reading: its 7 probabilities and face=1; no face detected: zeros and noFace=1; a face the "
                        "quality gate refused (too small, too blurred, turned away): zeros and refused=1. Exactly one flag is 1.",
            "logFloor": LOG_FLOOR,
        },
        "state": {"input": "h", "output": "h_out", "shape": [1, None, net.hidden], "layout": "[1, listeners, hidden]",
                  "initial": "zeros (a new listener, or one back after a long absence)"},
        "output": {"name": "probabilities", "shape": [None, 7], "activation": "softmax",
                   "note": "filtered probabilities after the last frame of the input"},
        "streaming": "one run per reading: input [N,1,10] and h [1,N,H] of N listeners -> probabilities [N,7], h_out [1,N,H]; "
                     "listener n's h_out[0,n] is its state for its next reading. Several frames of one listener may be fed at once as [1,T,10].",
        "runtime": "@emotion/vision/temporal: createTemporalFilter({ ort, model, card }) -> { step(state | null, { quality, probabilities }) "
                   "-> Promise<{ probabilities | null, state }>, stepMany([{ state, reading }]) for N listeners in one run }; "
                   "createEmaFilter({ alpha: emaAlphaTunedOnTraining }) is the pure-TS fallback with the same interface",
        "opset": 13,
        "parameters": params,
        "training": {
            "data": os.path.basename(a.csv), "dataSha256": digest, "split": "Training", "selection": "15% of the Training streams, held out",
            "classifier": os.path.basename(a.classifier), "classifierSha256": classifier_sha,
            "targets": "FER+ vote distribution of the face shown (FER2013 one-hot where FER+ has no votes); frames without a face are not scored",
            "sequences": {
                "recipe": "each stream chains segments; a segment holds one face (random image of the split, mirrored half the time) for "
                          f"{seq.SEGMENT_FRAMES[0]}-{seq.SEGMENT_FRAMES[1]} frames (log-uniform); with p={seq.ABSENCE_P} an absence of "
                          f"{seq.ABSENCE_FRAMES[0]}-{seq.ABSENCE_FRAMES[1]} no-face frames comes between segments. Per frame: AR(1) pose drift "
                          "(shift 3%, rotation 3 deg, scale 3%) plus detector jitter (1.5%), AR(1) brightness/contrast drift about a "
                          "per-segment level (gain 0.7-1.25, offset +-30), Gaussian sensor noise (sigma 2-12 per segment), drifting blur "
                          f"(sigma ~0.3-1.5 px) and blur bursts (p={seq.BLUR_BURST_P}, sigma 1.5-3.5; refused with p=0.7 above {seq.REFUSE_SIGMA}), "
                          f"dropped frames (no face, p={seq.DROP_P}, continuing with p={seq.DROP_CONTINUE_P}), turned-away refusals (p={seq.TURNED_AWAY_P}). "
                          "The 7 probabilities of a face frame are the classifier's on that rendered 48x48 crop.",
                "train": _stream_stats(streams["train"]), "publicTest": _stream_stats(streams["publicTest"]),
                "constant": _stream_stats(streams["constant"]),
            },
            "loss": "soft cross-entropy per face frame" + (f" + {a.smooth} x L1 of the frame-to-frame output change within a face" if a.smooth else ""),
            "optimizer": f"Adam lr {a.lr}, cosine decay, gradient norm clipped at 1, batch {a.batch_size} streams, state carried "
                         "from the previous batch for half the streams",
            **run, "seed": a.seed,
        },
        "emaAlphaTunedOnTraining": alpha,
        "emaAlphaScores": {str(k): v for k, v in alpha_scores.items()},
        "publicTest": {
            "metrics": "accuracy: share of face-shown frames whose shown label is the FER+ majority label of the face shown "
                       "(switching streams); flipsPerMinute: label changes per minute on constant streams after 10 warm-up "
                       "frames; flipsPerMinuteWithinFaces: the same on switching streams, inside faces after their first 12 frames; "
                       "lag: frames from a new face until the tile first shows the label it settles on for it (the mode of what it "
                       "shows over the face's second half), where that differs from its label for the previous face; "
                       "lagToClassifierMode: the same timed to the mode of the classifier's readings of the face, with neverShown the "
                       "share of those changes the tile never showed; constantAccuracy: accuracy on the constant streams",
            "methods": results,
        },
        "samples": samples,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    _dump(path, card)
    return card
