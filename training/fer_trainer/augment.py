"""Batched on-the-fly augmentation: rotation, shift, shear, zoom and horizontal flip,
as one random affine warp per image (grid_sample), so it costs little next to the network."""
import math

import torch
import torch.nn.functional as F


def random_affine(x: torch.Tensor, rotation_deg=10.0, shift=0.1, shear=0.1, zoom=0.1, flip=True) -> torch.Tensor:
    n = x.shape[0]
    dev = x.device

    def u(lo, hi):
        return torch.empty(n, device=dev).uniform_(lo, hi)

    angle = u(-rotation_deg, rotation_deg) * math.pi / 180
    sx = u(1 - zoom, 1 + zoom)
    sy = u(1 - zoom, 1 + zoom)
    sh = u(-shear, shear)
    tx = u(-shift, shift) * 2
    ty = u(-shift, shift) * 2
    fl = torch.where(torch.rand(n, device=dev) < 0.5, -1.0, 1.0) if flip else torch.ones(n, device=dev)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # theta maps output coords to input coords: R * Shear * Scale * Flip
    a = cos * sx * fl
    b = (-sin + cos * sh) * sy
    c = sin * sx * fl
    d = (cos + sin * sh) * sy
    theta = torch.stack([torch.stack([a, b, tx], 1), torch.stack([c, d, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def random_erasing(x: torch.Tensor, p: float = 0.5, area=(0.02, 0.2), aspect=(0.3, 3.3)) -> torch.Tensor:
    """Random erasing (Zhong et al. 2017): with probability p, one rectangle of each image is filled
    with noise, so the network cannot lean on any single facial region (mouth, eyes) alone."""
    n, _, h, w = x.shape
    dev = x.device
    s = torch.empty(n, device=dev).uniform_(*area) * h * w
    r = torch.exp(torch.empty(n, device=dev).uniform_(math.log(aspect[0]), math.log(aspect[1])))
    eh = torch.sqrt(s * r).clamp(1, h).floor()
    ew = torch.sqrt(s / r).clamp(1, w).floor()
    y0 = (torch.rand(n, device=dev) * (h - eh + 1)).floor()
    x0 = (torch.rand(n, device=dev) * (w - ew + 1)).floor()
    rows = torch.arange(h, device=dev).view(1, h, 1)
    cols = torch.arange(w, device=dev).view(1, 1, w)
    inside = ((rows >= y0.view(n, 1, 1)) & (rows < (y0 + eh).view(n, 1, 1))
              & (cols >= x0.view(n, 1, 1)) & (cols < (x0 + ew).view(n, 1, 1)))
    inside &= (torch.rand(n, device=dev) < p).view(n, 1, 1)
    return torch.where(inside.unsqueeze(1), torch.randn_like(x), x)
