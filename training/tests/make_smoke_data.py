"""Writes a small random FER2013-format CSV.gz and aligned FER+ votes CSV for the trainer's smoke test.

usage: python3 make_smoke_data.py <out-dir> [--train N] [--test N] [--seed S]"""
import argparse
import csv
import gzip
import os

import numpy as np

VOTE_COLUMNS = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("out_dir")
    p.add_argument("--train", type=int, default=256)
    p.add_argument("--test", type=int, default=64)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out_dir, exist_ok=True)
    usages = ["Training"] * a.train + ["PublicTest"] * a.test
    labels = np.arange(len(usages)) % 7  # every class appears in both splits
    rng.shuffle(labels)
    with gzip.open(os.path.join(a.out_dir, "fer.csv.gz"), "wt", newline="") as f:
        w = csv.writer(f)
        w.writerow(["emotion", "pixels", "Usage"])
        for label, usage in zip(labels, usages):
            w.writerow([int(label), " ".join(map(str, rng.integers(0, 256, 48 * 48))), usage])
    with open(os.path.join(a.out_dir, "votes.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Usage", "Image name"] + VOTE_COLUMNS)
        for i, usage in enumerate(usages):
            w.writerow([usage, f"fer{i:07d}.png"] + list(rng.multinomial(10, [0.1] * 10)))


if __name__ == "__main__":
    main()
