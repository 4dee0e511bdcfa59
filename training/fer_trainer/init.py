"""Where a run's weights start (--init-from) and which architecture it trains (--width)."""
import os

import torch

from .model import BASE_WIDTHS, MiniXception
from .teacher import TeacherError, onnx_architecture, unfold_into
from .widen import WidenError, widen_into


class InitError(Exception):
    pass


def widths_for(spec: str):
    """Module widths for --width: a multiplier of the paper's (16, 32, 64, 128), or four widths "a,b,c,d".
    The stem stays 8: its two full convolutions at 46x46 and 44x44 would cost most of the multiply-adds if
    widened. Raises ValueError naming what is wrong."""
    parts = [p.strip() for p in str(spec).split(",")]
    if len(parts) == 1:
        try:
            multiplier = float(parts[0])
        except ValueError:
            raise ValueError(f"{spec!r} is neither a multiplier nor four widths") from None
        if not 0.25 <= multiplier <= 4:
            raise ValueError(f"the multiplier must be within 0.25..4, got {multiplier}")
        return tuple(max(1, int(round(b * multiplier))) for b in BASE_WIDTHS)
    if len(parts) != len(BASE_WIDTHS) or not all(p.isdigit() and 4 <= int(p) <= 512 for p in parts):
        raise ValueError(f"expected {len(BASE_WIDTHS)} comma-separated widths within 4..512, got {spec!r}")
    return tuple(int(p) for p in parts)


def state_architecture(state: dict):
    """(module widths, stem width) of a MiniXception state dict."""
    widths, k = [], 0
    while f"blocks.{k}.residual.0.weight" in state:
        widths.append(state[f"blocks.{k}.residual.0.weight"].shape[0])
        k += 1
    return tuple(widths), state["stem.0.weight"].shape[0]


def source_architecture(path: str):
    """The architecture of an --init-from file (a trainer checkpoint or an exported .onnx)."""
    if not os.path.exists(path):
        raise InitError(f"no checkpoint at {path}")
    try:
        if path.endswith(".onnx"):
            return onnx_architecture(path)
        return state_architecture(torch.load(path, map_location="cpu")["best_state"])
    except TeacherError as e:
        raise InitError(str(e)) from e
    except (KeyError, RuntimeError, EOFError) as e:
        raise InitError(f"{path} is not a trainer checkpoint or an exported model: {e}") from e


def load_initial(net: MiniXception, path: str, images_u8, normalise):
    """Loads --init-from into `net` (widening it when the source is narrower).

    Returns (where it started, how it was widened or ""), for the log and the card."""
    widths, stem = source_architecture(path)
    src = MiniXception(widths=widths, stem=stem)
    if path.endswith(".onnx"):
        # an exported model: batch norm is folded in, so it is unfolded with the training images' statistics
        # (every fourth training image: as good, and 4x faster)
        try:
            unfold_into(src, path, images_u8[::4], normalise)
        except TeacherError as e:
            raise InitError(str(e)) from e
        note = f"initialised from {os.path.basename(path)}"
    else:
        init = torch.load(path, map_location="cpu")
        src.load_state_dict(init["best_state"])
        note = f"initialised from {os.path.basename(path)} (epoch {init['best_epoch']}, PublicTest {init['best_acc']:.4f})"
    target = tuple(m.residual[0].out_channels for m in net.blocks)
    if target == widths:
        net.load_state_dict(src.state_dict())
        return note, ""
    try:
        widen_into(net, src)
    except WidenError as e:
        raise InitError(f"--init-from {path} has modules {widths}: {e}") from e
    return note, f", widened from modules {list(widths)} to {list(target)} (Net2WiderNet)"
