"""Net2WiderNet (Chen, Goodfellow, Shlens 2016) for mini-Xception: a trained model copied into a
wider one that computes exactly the same function, so a wider model starts where a trained narrow
one ended instead of from scratch (on a 2-core CPU a fresh wide run costs hours).

Each new channel copies an existing one (its incoming filter, its batch norm); the layers that read
a copied channel split its outgoing weight between the copies. The split is random (shares summing
to one), not equal: equal shares would leave the copies with identical gradients forever."""
import numpy as np
import torch

from .model import MiniXception


class WidenError(Exception):
    pass


def _mapping(old: int, new: int, rng: np.random.Generator):
    """(source channel of each new channel, share of that source's outgoing weight for each new channel)."""
    src = np.concatenate([np.arange(old), rng.integers(0, old, new - old)])
    share = np.ones(new)
    for c in range(old):
        copies = np.flatnonzero(src == c)
        if len(copies) > 1:
            w = rng.uniform(0.3, 0.7, len(copies))
            share[copies] = w / w.sum()
    return torch.from_numpy(src), torch.from_numpy(share).float()


def _copy_bn(dst: torch.nn.BatchNorm2d, src: torch.nn.BatchNorm2d, idx: torch.Tensor) -> None:
    for name in ("weight", "bias", "running_mean", "running_var"):
        getattr(dst, name).copy_(getattr(src, name)[idx])


def _pointwise(w: torch.Tensor, out_idx, in_idx, in_share) -> torch.Tensor:
    """[out, in, k, k] weights: rows copied by out_idx, input columns copied by in_idx and scaled by their share."""
    return w[out_idx][:, in_idx] * in_share.view(1, -1, 1, 1)


def widen_into(wide: MiniXception, narrow: MiniXception, seed: int = 1) -> None:
    """Loads `narrow` into `wide` (same stem, every module at least as wide) so both give the same outputs."""
    rng = np.random.default_rng(seed)
    n_stem, w_stem = narrow.stem[0].out_channels, wide.stem[0].out_channels
    if n_stem != w_stem or len(narrow.blocks) != len(wide.blocks):
        raise WidenError(f"cannot widen: the stems ({n_stem} vs {w_stem}) and module counts must match")
    with torch.no_grad():
        wide.stem.load_state_dict(narrow.stem.state_dict())
        in_idx, in_share = torch.arange(n_stem), torch.ones(n_stem)
        for nb, wb in zip(narrow.blocks, wide.blocks):
            old, new = nb.residual[0].out_channels, wb.residual[0].out_channels
            if new < old:
                raise WidenError(f"cannot widen a module of {old} channels to {new}")
            out_idx, out_share = _mapping(old, new, rng)
            wb.main[0][0].weight.copy_(nb.main[0][0].weight[in_idx])  # depthwise over the input copies
            wb.main[0][1].weight.copy_(_pointwise(nb.main[0][1].weight, out_idx, in_idx, in_share))
            _copy_bn(wb.main[1], nb.main[1], out_idx)
            wb.main[3][0].weight.copy_(nb.main[3][0].weight[out_idx])
            wb.main[3][1].weight.copy_(_pointwise(nb.main[3][1].weight, out_idx, out_idx, out_share))
            _copy_bn(wb.main[4], nb.main[4], out_idx)
            wb.residual[0].weight.copy_(_pointwise(nb.residual[0].weight, out_idx, in_idx, in_share))
            _copy_bn(wb.residual[1], nb.residual[1], out_idx)
            in_idx, in_share = out_idx, out_share
        wide.head.weight.copy_(narrow.head.weight[:, in_idx] * in_share.view(1, -1, 1, 1))
        wide.head.bias.copy_(narrow.head.bias)
