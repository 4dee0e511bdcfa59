"""Baselines and metrics for the temporal filter, over streams from sequences.build_sequences.

Every method shows one label per frame, as a dashboard tile would: -1 until the stream's first face
reading, and through "no face" / refused frames it keeps showing what it showed before (the raw
reading holds the last reading; the EMA and the window do not update; the GRU gets the flag)."""
import numpy as np

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


def change_lag(shown: np.ndarray, features: np.ndarray, label: np.ndarray, segment: np.ndarray) -> dict:
    """Frames from the start of a new face until the tile first shows its expression.

    "Its expression" is what the classifier itself makes of the new face (the mode of its readings in
    the segment), so the lag measures the filter's delay, not the classifier's errors. Counted where
    that mode differs from the previous face's, on segments of at least MIN_SEGMENT_FRAMES frames."""
    lags, missed = [], 0
    for i in range(shown.shape[0]):
        prev = None
        for start, end in _segments(label[i], segment[i]):
            ok = features[i, start:end, FLAG_FACE] > 0
            if ok.sum() < 4:
                prev = None
                continue
            mode = int(np.bincount(features[i, start:end][ok, :7].argmax(-1), minlength=7).argmax())
            if prev is not None and mode != prev and end - start >= MIN_SEGMENT_FRAMES:
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


def evaluate_method(shown_switch, shown_const, switch: dict, const: dict) -> dict:
    """The three figures of one method: accuracy and lag on switching streams, flips on constant ones."""
    return {"accuracy": accuracy(shown_switch, switch["label"]),
            "flipsPerMinute": flips_per_minute(shown_const),
            "constantAccuracy": accuracy(shown_const, const["label"]),
            "lag": change_lag(shown_switch, switch["features"], switch["label"], switch["segment"])}


def tune_ema(features: np.ndarray, label: np.ndarray, alphas=(0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 1.0)):
    """The alpha of best per-frame accuracy (on training streams), and the accuracy of each alpha."""
    scores = {a: accuracy(labels_of(ema_probs(features, a), features), label) for a in alphas}
    return max(scores, key=scores.get), scores
