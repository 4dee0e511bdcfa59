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
