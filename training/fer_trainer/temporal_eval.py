"""Baselines and metrics for the temporal filter, over streams from sequences.build_sequences.

Every method shows one label per frame, as a dashboard tile would: -1 until the stream's first face
reading, and through "no face" / refused frames it keeps showing what it showed before (the raw
reading holds the last reading; the EMA and the window do not update; the GRU gets the flag)."""
import numpy as np
import torch

from .sequences import FLAG_FACE, FPS

WARMUP_FRAMES = 10  # flips are counted after the first 2.5 s, once every filter has seen some readings
MIN_SEGMENT_FRAMES = 12


def _seen(features: np.ndarray) -> np.ndarray:
    """[S,T] bool: the stream has had at least one face reading up to and including frame t."""
    return np.maximum.accumulate(features[..., FLAG_FACE] > 0, axis=1)


def raw_probs(features: np.ndarray) -> np.ndarray:
    """The latest single reading, held through frames without one (an EMA with alpha 1)."""
    return ema_probs(features, 1.0)


def ema_probs(features: np.ndarray, alpha: float) -> np.ndarray:
    """e_t = alpha * p_t + (1 - alpha) * e_{t-1} on face readings, started at the first reading; held otherwise."""
    s, t_len, _ = features.shape
    out = np.zeros((s, t_len, 7), dtype=np.float32)
    e = np.zeros((s, 7), dtype=np.float32)
    seen = np.zeros(s, dtype=bool)
    for t in range(t_len):
        ok = features[:, t, FLAG_FACE] > 0
        p = features[:, t, :7]
        a = np.where(seen, alpha, 1.0)[:, None]
        e = np.where(ok[:, None], a * p + (1 - a) * e, e)
        seen |= ok
        out[:, t] = e
    return out


def labels_of(probs: np.ndarray, features: np.ndarray) -> np.ndarray:
    """argmax per frame, -1 before the first reading."""
    return np.where(_seen(features), probs.argmax(-1), -1)


def mode_labels(features: np.ndarray, window: int = 10) -> np.ndarray:
    """The most frequent label of the last `window` face readings (ties: the most recent of the tied)."""
    s, t_len, _ = features.shape
    out = np.full((s, t_len), -1, dtype=np.int64)
    for i in range(s):
        recent = []
        for t in range(t_len):
            if features[i, t, FLAG_FACE] > 0:
                recent = (recent + [int(features[i, t, :7].argmax())])[-window:]
            if recent:
                counts = np.bincount(recent, minlength=7)
                best = counts.max()
                out[i, t] = next(c for c in reversed(recent) if counts[c] == best)
    return out


def accuracy(shown: np.ndarray, label: np.ndarray) -> float:
    """Share of the frames that show a face on which the tile's label is the face's FER+ majority label."""
    mask = label >= 0
    return float((shown[mask] == label[mask]).mean())


def flips_per_minute(shown: np.ndarray) -> float:
    """Label changes per minute of stream after the warm-up (for streams that hold one face throughout)."""
    s = shown[:, WARMUP_FRAMES:]
    changes = ((s[:, 1:] != s[:, :-1]) & (s[:, 1:] >= 0) & (s[:, :-1] >= 0)).sum()
    minutes = s.shape[0] * (s.shape[1] - 1) / FPS / 60
    return float(changes / minutes)


def _segments(label_row: np.ndarray, segment_row: np.ndarray):
    """(start, end) of each face segment of one stream, in order."""
    out = []
    for k in np.unique(segment_row):
        idx = np.flatnonzero(segment_row == k)
        if label_row[idx[0]] >= 0:
            out.append((idx[0], idx[-1] + 1))
    return out


def _mode(values: np.ndarray) -> int:
    return int(np.bincount(values, minlength=7).argmax())


def change_lag(shown: np.ndarray, features: np.ndarray, label: np.ndarray, segment: np.ndarray, reference: str = "own") -> dict:
    """Frames from the start of a new face until the tile first shows the new face's expression.

    The new face's expression is, with reference "own", the label the method itself settles on (the
    mode of what it shows over the segment's second half), so each method is timed to its own
    verdict; with reference "classifier", the mode of the classifier's readings of the face. Counted
    where that differs from the previous face's, on segments of at least MIN_SEGMENT_FRAMES frames;
    "neverShown" is the share of such changes the tile never showed within the segment."""
    lags, missed = [], 0
    for i in range(shown.shape[0]):
        prev = None
        for start, end in _segments(label[i], segment[i]):
            ok = features[i, start:end, FLAG_FACE] > 0
            if ok.sum() < 4 or end - start < MIN_SEGMENT_FRAMES:
                prev = None
                continue
            if reference == "own":
                settled = shown[i, (start + end) // 2:end]
                if (settled < 0).any():
                    prev = None
                    continue
                mode = _mode(settled)
            else:
                mode = _mode(features[i, start:end][ok, :7].argmax(-1))
            if prev is not None and mode != prev:
                hit = np.flatnonzero(shown[i, start:end] == mode)
                if len(hit):
                    lags.append(int(hit[0]))
                else:
                    missed += 1
            prev = mode
    lags = np.array(lags)
    n = len(lags) + missed
    return {"changes": int(n), "meanFrames": float(lags.mean()) if len(lags) else None,
            "medianFrames": float(np.median(lags)) if len(lags) else None,
            "neverShown": float(missed / n) if n else None}


def flips_within_faces(shown: np.ndarray, label: np.ndarray, segment: np.ndarray) -> float:
    """Label changes per minute inside face segments, after each segment's first MIN_SEGMENT_FRAMES frames
    (what held-out switching streams can say about flicker, for choosing among trained variants)."""
    changes, frames = 0, 0
    for i in range(shown.shape[0]):
        for start, end in _segments(label[i], segment[i]):
            s = shown[i, start + MIN_SEGMENT_FRAMES:end]
            if len(s) > 1:
                changes += int(((s[1:] != s[:-1]) & (s[1:] >= 0) & (s[:-1] >= 0)).sum())
                frames += len(s) - 1
    return float(changes / (frames / FPS / 60)) if frames else 0.0


def evaluate_method(shown_switch, shown_const, switch: dict, const: dict) -> dict:
    """The three figures of one method: accuracy and lag on switching streams, flips on constant ones."""
    return {"accuracy": accuracy(shown_switch, switch["label"]),
            "flipsPerMinute": flips_per_minute(shown_const),
            "constantAccuracy": accuracy(shown_const, const["label"]),
            "flipsPerMinuteWithinFaces": flips_within_faces(shown_switch, switch["label"], switch["segment"]),
            "lag": change_lag(shown_switch, switch["features"], switch["label"], switch["segment"]),
            "lagToClassifierMode": change_lag(shown_switch, switch["features"], switch["label"], switch["segment"], "classifier")}


def tune_ema(features: np.ndarray, label: np.ndarray, alphas=(0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 1.0)):
    """The alpha of best per-frame accuracy (on training streams), and the accuracy of each alpha."""
    scores = {a: accuracy(labels_of(ema_probs(features, a), features), label) for a in alphas}
    return max(scores, key=scores.get), scores


def fit_calibration(features: np.ndarray, target: np.ndarray, label: np.ndarray, steps: int = 100):
    """A per-frame recalibration of the readings to the FER+ targets (softmax of an affine map of the
    log-probabilities), fitted on face frames: tells how much of a learned filter's gain needs no memory."""
    ok = (features[..., FLAG_FACE] > 0) & (label >= 0)
    x = torch.log(torch.from_numpy(features[ok][:, :7]).clamp_min(1e-4))
    y = torch.from_numpy(target[ok])
    w = torch.eye(7, requires_grad=True)
    b = torch.zeros(7, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = -(y * torch.log_softmax(x @ w + b, 1)).sum(1).mean()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach(), b.detach()


def calibrated(features: np.ndarray, cal) -> np.ndarray:
    """The streams with each face reading replaced by its recalibrated probabilities."""
    w, b = cal
    out = features.copy()
    ok = out[..., FLAG_FACE] > 0
    x = torch.log(torch.from_numpy(out[ok][:, :7]).clamp_min(1e-4))
    out[ok, :7] = torch.softmax(x @ w + b, 1).numpy()
    return out
