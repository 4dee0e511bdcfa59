"""FER2013 CSV loading (plain or gzip) with optional FER+ soft labels."""
import csv
import gzip
import hashlib
import io
import os
import sys

import numpy as np

CLASS_NAMES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
# FER+ vote columns, mapped onto FER2013's class order; contempt, unknown and NF are dropped.
FERPLUS_COLUMNS = {"anger": 0, "disgust": 1, "fear": 2, "happiness": 3, "sadness": 4, "surprise": 5, "neutral": 6}
SIDE = 48


class DataError(Exception):
    pass


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _open_text(path: str):
    if not os.path.exists(path):
        raise DataError(
            f"FER2013 CSV not found at {path}. Pass --csv <file.csv|file.csv.gz>; the data set "
            "(header emotion,pixels,Usage) comes from the FER2013 challenge on Kaggle."
        )
    raw = open(path, "rb")
    if raw.read(2) == b"\x1f\x8b":
        raw.seek(0)
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8", newline="")
    raw.seek(0)
    return io.TextIOWrapper(raw, encoding="utf-8", newline="")


def load_fer_csv(path: str):
    """Returns (images uint8 [N,48,48], labels int64 [N], usage list[str])."""
    with _open_text(path) as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or [h.strip() for h in header[:3]] != ["emotion", "pixels", "Usage"]:
            raise DataError(f"{path}: expected header 'emotion,pixels,Usage', got {header!r}")
        images, labels, usage = [], [], []
        for line, row in enumerate(reader, start=2):
            if len(row) < 3:
                raise DataError(f"{path}:{line}: expected 3 columns, got {len(row)}")
            try:
                label = int(row[0])
            except ValueError:
                raise DataError(f"{path}:{line}: emotion {row[0]!r} is not an integer 0..6")
            if not 0 <= label <= 6:
                raise DataError(f"{path}:{line}: emotion {label} is outside 0..6")
            px = np.array(row[1].split(), dtype=np.int32)
            if px.size != SIDE * SIDE or px.min(initial=0) < 0 or px.max(initial=0) > 255:
                raise DataError(f"{path}:{line}: pixels must be {SIDE * SIDE} values in 0..255, got {px.size}")
            images.append(px.astype(np.uint8).reshape(SIDE, SIDE))
            labels.append(label)
            usage.append(row[2].strip())
    if not images:
        raise DataError(f"{path}: no rows")
    return np.stack(images), np.array(labels, dtype=np.int64), usage


def load_ferplus_votes(path: str, n_rows: int):
    """Returns float32 [N,7] vote distributions (rows without usable votes are all zero)."""
    if not os.path.exists(path):
        raise DataError(f"FER+ votes not found at {path}")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in FERPLUS_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}: missing FER+ columns {missing}")
        votes = np.zeros((n_rows, 7), dtype=np.float32)
        count = 0
        for i, row in enumerate(reader):
            if i >= n_rows:
                break
            for name, idx in FERPLUS_COLUMNS.items():
                votes[i, idx] = float(row[name] or 0)
            count += 1
    if count != n_rows:
        raise DataError(f"{path}: {count} vote rows for {n_rows} FER2013 rows; they must align row by row")
    sums = votes.sum(axis=1, keepdims=True)
    return np.divide(votes, sums, out=np.zeros_like(votes), where=sums > 0)


def load_cached(path: str, cache_dir: str):
    """load_fer_csv, memoised in an .npz keyed by the file's sha256 (parsing takes ~20 s)."""
    _open_text(path).close()  # the clear "not found" DataError before hashing
    digest = sha256_of(path)
    os.makedirs(cache_dir, exist_ok=True)
    cache = os.path.join(cache_dir, f"fer-{digest[:16]}.npz")
    if os.path.exists(cache):
        z = np.load(cache, allow_pickle=False)
        return z["images"], z["labels"], list(z["usage"]), digest
    print(f"parsing {path} ...", file=sys.stderr, flush=True)
    images, labels, usage = load_fer_csv(path)
    np.savez(cache, images=images, labels=labels, usage=np.array(usage))
    return images, labels, usage, digest


def load_labelled_csv(path: str, flag: str):
    """An extra FER-format CSV (`emotion,pixels[,Usage]`; Usage is ignored) for --extra-csv / --eval-csv.

    Returns (images uint8 [N,48,48], labels int64 [N]). Every error names the flag, the file, the line
    and the column, because these files come from outside (listeners' corrections, other data sets)."""
    if not os.path.exists(path):
        raise DataError(f"{flag}: no CSV at {path}")
    with _open_text(path) as f:
        reader = csv.reader(f)
        header = [h.strip() for h in (next(reader, None) or [])]
        if header[:2] != ["emotion", "pixels"] or header[2:] not in ([], ["Usage"]):
            raise DataError(f"{flag} {path}: expected header 'emotion,pixels' or 'emotion,pixels,Usage', got {','.join(header)!r}")
        images, labels = [], []
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise DataError(f"{flag} {path}:{line}: expected {len(header)} columns, got {len(row)}")
            try:
                label = int(row[0])
            except ValueError:
                raise DataError(f"{flag} {path}:{line}: column emotion: {row[0][:20]!r} is not an integer 0..6") from None
            if not 0 <= label <= 6:
                raise DataError(f"{flag} {path}:{line}: column emotion: {label} is outside 0..6")
            try:
                px = np.array(row[1].split(), dtype=np.int64)
            except ValueError:
                raise DataError(f"{flag} {path}:{line}: column pixels: values must be integers 0..255") from None
            if px.size != SIDE * SIDE:
                raise DataError(f"{flag} {path}:{line}: column pixels: expected {SIDE * SIDE} values, got {px.size}")
            if px.min() < 0 or px.max() > 255:
                raise DataError(f"{flag} {path}:{line}: column pixels: values must be within 0..255, got {px.min()}..{px.max()}")
            images.append(px.astype(np.uint8).reshape(SIDE, SIDE))
            labels.append(label)
    if not images:
        raise DataError(f"{flag} {path}: no rows")
    return np.stack(images), np.array(labels, dtype=np.int64)
