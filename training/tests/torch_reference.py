"""PyTorch's probabilities for fixed seeded inputs, from the best weights in a trainer checkpoint.

usage: python3 torch_reference.py <checkpoint.pt> <card.json> <out.json> [--n N] [--seed S]
Writes {"shape": [N,1,S,S], "input": [...normalised floats...], "output": [...N*7 probabilities...]}."""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from fer_trainer.model import MiniXception, WithSoftmax  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("card")
    p.add_argument("out")
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--seed", type=int, default=123)
    a = p.parse_args()
    with open(a.card) as f:
        card = json.load(f)
    size, norm = card["input"]["size"], card["input"]["normalisation"]
    net = MiniXception()
    net.load_state_dict(torch.load(a.checkpoint, map_location="cpu")["best_state"])
    model = WithSoftmax(net).eval()
    g = torch.Generator().manual_seed(a.seed)
    pixels = torch.randint(0, 256, (a.n, 1, size, size), generator=g).float()
    x = (pixels - norm["mean"]) / norm["std"]
    with torch.no_grad():
        y = model(x)
    with open(a.out, "w") as f:
        json.dump({"shape": list(x.shape), "input": x.flatten().tolist(), "output": y.flatten().tolist()}, f)


if __name__ == "__main__":
    main()
