"""ONNX export and model card."""
import datetime
import json
import os

import torch

from .model import WithSoftmax, count_macs, count_parameters

OPSET = 13


def export_onnx(net: torch.nn.Module, path: str, size: int) -> None:
    wrapped = WithSoftmax(net).eval()
    dummy = torch.zeros(1, 1, size, size)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.onnx.export(
        wrapped,
        dummy,
        path,
        input_names=["input"],
        output_names=["probabilities"],
        dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}},
        opset_version=OPSET,
        do_constant_folding=True,
    )


def write_card(path: str, *, net, size, class_names, mean, std, data_sha256, data_path, epochs,
               best_epoch, accuracy, recall, confusion, ferplus_weight, hyper, extra_eval=None) -> dict:
    card = {
        "name": "emotion-mini-xception",
        "architecture": "mini-Xception (Arriaga et al., 2017)",
        "classNames": class_names,
        "input": {
            "name": "input",
            "layout": "NCHW",
            "shape": [None, 1, size, size],
            "size": size,
            "channels": 1,
            "colour": "grey",
            "normalisation": {"formula": "(pixel - mean) / std, pixel in 0..255", "mean": mean, "std": std},
        },
        "output": {"name": "probabilities", "activation": "softmax"},
        "opset": OPSET,
        "widths": [m.residual[0].out_channels for m in net.blocks],
        "stem": net.stem[0].out_channels,
        "parameters": count_parameters(net),
        "macsPerFace": count_macs(net, size),
        "training": {
            "data": os.path.basename(data_path),
            "dataSha256": data_sha256,
            "split": "Training",
            "selection": "PublicTest",
            "ferPlusSoftLabelWeight": ferplus_weight,
            "epochs": epochs,
            "bestEpoch": best_epoch,
            **hyper,
        },
        "publicTest": {
            "accuracy": accuracy,
            "perClassRecall": dict(zip(class_names, recall)),
            "confusion": confusion,
            "confusionLayout": "rows = true class, columns = predicted class, in classNames order",
        },
        **({"extraEval": extra_eval} if extra_eval is not None else {}),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    with open(path, "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    return card
