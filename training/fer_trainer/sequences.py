"""Synthetic webcam streams built from FER2013 stills, for the temporal filter.

FER2013 has one photograph per face and no identities, so a "listener's stream" is a chain of
segments: each segment holds one face (mirrored or not) for 2-30 s at 4 readings/s, seen through a
webcam-like process whose state drifts from frame to frame (head jitter and slow pose drift, detector
box noise, brightness and contrast drift, sensor noise, blur bursts), with dropped frames ("no face"),
quality-gate refusals (blur bursts, turned away) and some seconds of absence between segments. Each
frame's input to the filter is what the server would have: the shipped classifier's probabilities on
that crop and the quality flag. Targets are the FER+ vote distribution of the face shown."""
import math

import numpy as np
import torch
import torch.nn.functional as F

FPS = 4
FEATURES = 10  # 7 probabilities, then the flags face / no face / refused (one of the three is 1)
FLAG_FACE, FLAG_NO_FACE, FLAG_REFUSED = 7, 8, 9
# lengths in frames at FPS readings/s
SEGMENT_FRAMES = (8, 120)
ABSENCE_FRAMES = (4, 24)
ABSENCE_P = 0.12
DROP_P, DROP_CONTINUE_P = 0.04, 0.5
TURNED_AWAY_P = 0.02
BLUR_BURST_P, REFUSE_SIGMA = 0.05, 2.2
KERNEL = 9


def soft_targets(labels: np.ndarray, votes) -> np.ndarray:
    """FER+ vote distribution of each image, or FER2013's one-hot label where FER+ has no usable votes."""
    onehot = np.eye(7, dtype=np.float32)[labels]
    if votes is None:
        return onehot
    has = votes.sum(1, keepdims=True) > 0
    return np.where(has, votes, onehot).astype(np.float32)


def _ar1(rng, n, rho, sigma, start=0.0):
    """A stationary AR(1) path: slow drift whose size does not grow with the segment's length."""
    out = np.empty(n)
    x = start
    innov = sigma * math.sqrt(1 - rho * rho)
    for t in range(n):
        x = rho * x + innov * rng.standard_normal()
        out[t] = x
    return out


def _gaussian_kernels(sigmas: np.ndarray) -> torch.Tensor:
    r = torch.arange(KERNEL, dtype=torch.float32) - KERNEL // 2
    s = torch.from_numpy(np.maximum(sigmas, 1e-3)).float().view(-1, 1)
    g = torch.exp(-(r.view(1, -1) ** 2) / (2 * s * s))
    g = g / g.sum(1, keepdim=True)
    return g[:, None, :, None] * g[:, None, None, :]  # [n, 1, k, k]


def render_segment(rng, image_u8: np.ndarray, n: int) -> tuple:
    """n webcam-like views of one face. Returns (crops float [n,1,48,48] in 0..255, refused bool [n])."""
    mirror = rng.random() < 0.5
    pose = dict(
        dx=rng.normal(0, 0.03) + _ar1(rng, n, 0.9, 0.03) + rng.normal(0, 0.015, n),
        dy=rng.normal(0, 0.03) + _ar1(rng, n, 0.9, 0.03) + rng.normal(0, 0.015, n),
        rot=(rng.normal(0, 4) + _ar1(rng, n, 0.9, 3.0)) * math.pi / 180,
        scale=rng.uniform(0.92, 1.08) + _ar1(rng, n, 0.9, 0.03) + rng.normal(0, 0.015, n),
    )
    cos, sin = np.cos(pose["rot"]), np.sin(pose["rot"])
    fl = -1.0 if mirror else 1.0
    theta = np.stack([np.stack([cos * pose["scale"] * fl, -sin * pose["scale"], 2 * pose["dx"]], 1),
                      np.stack([sin * pose["scale"] * fl, cos * pose["scale"], 2 * pose["dy"]], 1)], 1)
    x = torch.from_numpy(image_u8).float().view(1, 1, 48, 48).expand(n, 1, 48, 48)
    grid = F.affine_grid(torch.from_numpy(theta).float(), [n, 1, 48, 48], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    # blur: a low level that drifts (focus, compression), plus short motion bursts the quality gate may refuse
    sigma = np.abs(_ar1(rng, n, 0.95, 0.5, start=rng.normal(0, 0.5))) + 0.3
    t = 0
    while t < n:
        if rng.random() < BLUR_BURST_P:
            k = int(rng.integers(1, 5))
            sigma[t:t + k] = rng.uniform(1.5, 3.5, len(sigma[t:t + k]))
            t += k
        t += 1
    pad = KERNEL // 2
    xp = F.pad(x.reshape(1, n, 48, 48), (pad, pad, pad, pad), mode="replicate")
    x = F.conv2d(xp, _gaussian_kernels(sigma), groups=n).view(n, 1, 48, 48)
    # light: contrast and brightness drift about a per-segment level, then sensor noise
    gain = rng.uniform(0.7, 1.25) * np.exp(_ar1(rng, n, 0.97, 0.08))
    offset = rng.uniform(-30, 30) + _ar1(rng, n, 0.97, 12.0)
    noise = rng.uniform(2, 12)
    gain_t = torch.from_numpy(gain).float().view(n, 1, 1, 1)
    offset_t = torch.from_numpy(offset).float().view(n, 1, 1, 1)
    x = (x - 128) * gain_t + 128 + offset_t + noise * torch.from_numpy(rng.standard_normal((n, 1, 48, 48))).float()
    refused = (sigma > REFUSE_SIGMA) & (rng.random(n) < 0.7)
    return x.clamp(0, 255).round(), refused


def plan_sequence(rng, n_images: int, length: int, constant: bool = False):
    """The segment plan of one stream: a list of (image index or -1 for absence, start, frames)."""
    plan, t = [], 0
    while t < length:
        if not constant and plan and rng.random() < ABSENCE_P:
            k = int(rng.integers(ABSENCE_FRAMES[0], ABSENCE_FRAMES[1] + 1))
            plan.append((-1, t, min(k, length - t)))
        else:
            k = length if constant else int(math.exp(rng.uniform(math.log(SEGMENT_FRAMES[0]), math.log(SEGMENT_FRAMES[1]))))
            plan.append((int(rng.integers(n_images)), t, min(k, length - t)))
        t += plan[-1][2]
    return plan


def build_sequences(images_u8: np.ndarray, targets: np.ndarray, classify, n_seq: int, length: int, seed: int,
                    constant: bool = False, log=None):
    """Streams over the given images. classify(crops float 0..255 [n,1,48,48]) -> probabilities [n,7].

    Returns dict of numpy arrays: features [S,T,10] float32, target [S,T,7] float32 (zero where no face
    is shown), label [S,T] int64 (FER+ majority of the face shown, -1 in absences), segment [S,T] int32
    (the segment's number within its stream)."""
    rng = np.random.default_rng(seed)
    feats = np.zeros((n_seq, length, FEATURES), dtype=np.float32)
    tgt = np.zeros((n_seq, length, 7), dtype=np.float32)
    label = np.full((n_seq, length), -1, dtype=np.int64)
    segment = np.zeros((n_seq, length), dtype=np.int32)
    for s in range(n_seq):
        crops, slots = [], []
        for k, (img, start, n) in enumerate(plan_sequence(rng, len(images_u8), length, constant)):
            segment[s, start:start + n] = k
            if img < 0:
                feats[s, start:start + n, FLAG_NO_FACE] = 1
                continue
            tgt[s, start:start + n] = targets[img]
            label[s, start:start + n] = int(np.argmax(targets[img]))
            x, refused = render_segment(rng, images_u8[img], n)
            dropped = np.zeros(n, dtype=bool)
            for t in range(n):  # detector misses come in short runs
                dropped[t] = rng.random() < (DROP_CONTINUE_P if t and dropped[t - 1] else DROP_P)
            refused |= (rng.random(n) < TURNED_AWAY_P) & ~dropped
            refused &= ~dropped
            ok = ~dropped & ~refused
            frames = start + np.arange(n)
            feats[s, frames[dropped], FLAG_NO_FACE] = 1
            feats[s, frames[refused], FLAG_REFUSED] = 1
            feats[s, frames[ok], FLAG_FACE] = 1
            crops.append(x[torch.from_numpy(ok)])
            slots.append(frames[ok])
        if crops:
            probs = classify(torch.cat(crops))
            feats[s, np.concatenate(slots), :7] = probs
        if log and (s + 1) % max(1, n_seq // 10) == 0:
            log(f"  {s + 1}/{n_seq} streams")
    return {"features": feats, "target": tgt, "label": label, "segment": segment}
