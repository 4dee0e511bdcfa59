"""Exports the paper's mini-Xception at its own 64x64 input (Arriaga et al. 2017: stem 8, modules 16/32/64/128)
with random weights, to time it the way `emotion bench` times ours: speed does not depend on the weights.

usage: python3 bench/paper_proxy.py <out.onnx>"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from fer_trainer.export import export_onnx  # noqa: E402
from fer_trainer.model import MiniXception, count_macs  # noqa: E402

if __name__ == "__main__":
    net = MiniXception().eval()
    export_onnx(net, sys.argv[1], 64)
    print(f"{sys.argv[1]}: paper mini-Xception at 64x64, {count_macs(net, 64)} MACs/face")
