"""Command line: python3 -m fer_trainer.temporal [--train-streams N] [--epochs N] [--resume] ...

Trains the per-listener temporal filter (temporal_model.TemporalGRU) on synthetic webcam streams of
FER2013 Training faces read by the shipped classifier, compares it on streams of PublicTest faces with
the raw reading, an EMA and a majority-of-10 window, and writes <out>.onnx, <out>.card.json and
<out>.samples.json (a reference sequence with PyTorch's outputs, and a constant noisy stream)."""
import argparse
import hashlib
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from .data import DataError, load_cached, load_ferplus_votes, sha256_of
from .sequences import FPS, build_sequences, soft_targets
from .teacher import TeacherError, teacher_module
from .temporal_card import write_card, write_samples
from .temporal_eval import calibrated, evaluate_method, ema_probs, fit_calibration, flips_within_faces, labels_of, mode_labels, raw_probs, tune_ema
from .temporal_model import TemporalGRU, count_parameters, export_streaming_onnx, gru_probs
from .train import DEFAULT_CSV, DEFAULT_VOTES, ROOT, normalise

SEQUENCE_VERSION = 1  # bump when sequences.py changes, so cached streams are rebuilt


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="temporal", description="Train the temporal GRU filter over classifier readings")
    p.add_argument("--csv", default=DEFAULT_CSV, help="FER2013 CSV or CSV.gz")
    p.add_argument("--votes", default=DEFAULT_VOTES, help="FER+ votes CSV (soft targets), or 'none' for FER2013 one-hot labels")
    p.add_argument("--classifier", default=os.path.join(ROOT, "models", "emotion-mini-xception.onnx"), help="the exported per-frame classifier")
    p.add_argument("--out", default=os.path.join(ROOT, "models", "emotion-temporal-gru"), help="output path without extension")
    p.add_argument("--checkpoint", default=os.path.join(ROOT, "training", "checkpoints", "emotion-temporal-gru.pt"))
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    p.add_argument("--export-only", action="store_true", help="evaluate and export the best weights of --checkpoint")
    p.add_argument("--cache-dir", default=os.path.join(ROOT, "training", ".cache"))
    p.add_argument("--train-streams", type=int, default=1200, help="synthetic streams of Training faces (15%% held out to pick the epoch)")
    p.add_argument("--test-streams", type=int, default=300, help="switching streams of PublicTest faces")
    p.add_argument("--constant-streams", type=int, default=200, help="streams holding one PublicTest face throughout (flip count)")
    p.add_argument("--frames", type=int, default=160, help="frames per switching stream (4 frames/s)")
    p.add_argument("--constant-frames", type=int, default=240, help="frames per constant stream")
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--smooth", type=float, default=0.0, help="weight of an L1 penalty on frame-to-frame output change within a face")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    p.add_argument("--limit", type=int, default=0, help="use only the first N rows of each split (smoke tests)")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    for name in ("train_streams", "test_streams", "constant_streams", "epochs", "batch_size"):
        if not 1 <= getattr(a, name) <= 100_000:
            p.error(f"--{name.replace('_', '-')} must be within 1..100000")
    if not 24 <= a.frames <= 4000 or not 24 <= a.constant_frames <= 4000:
        p.error("--frames and --constant-frames must be within 24..4000")
    if not 4 <= a.hidden <= 256:
        p.error("--hidden must be within 4..256")
    if not 0 < a.lr <= 1 or not 0 <= a.smooth <= 100:
        p.error("--lr must be within (0, 1] and --smooth within 0..100")
    if not os.path.exists(a.classifier):
        p.error(f"--classifier: no model at {a.classifier}")
    if a.batch_size > int(a.train_streams * 0.85):
        p.error("--batch-size must be at most 85% of --train-streams")
    return a


def fail(message: str):
    print(f"error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def make_classifier(path, images_u8):
    net = teacher_module(path, images_u8, normalise)

    def classify(crops: torch.Tensor) -> np.ndarray:
        out = []
        with torch.no_grad():
            for i in range(0, len(crops), 512):
                x = normalise(crops[i:i + 512]).contiguous(memory_format=torch.channels_last)
                out.append(torch.softmax(net(x), 1))
        return torch.cat(out).numpy()

    return classify


def cached_streams(a, name, images, targets, classify, n, frames, seed, constant, key):
    h = hashlib.sha256(f"{SEQUENCE_VERSION}|{key}|{name}|{n}|{frames}|{seed}|{constant}|{a.limit}".encode()).hexdigest()[:16]
    path = os.path.join(a.cache_dir, f"streams-{name}-{h}.npz")
    if os.path.exists(path):
        return dict(np.load(path, allow_pickle=False))
    t0 = time.time()
    print(f"building {n} {name} streams of {frames} frames ...", flush=True)
    s = build_sequences(images, targets, classify, n, frames, seed, constant, log=lambda m: print(m, flush=True))
    print(f"  {name}: {int((s['features'][..., 7] > 0).sum())} classifier readings in {time.time() - t0:.0f}s", flush=True)
    os.makedirs(a.cache_dir, exist_ok=True)
    tmp = path[:-4] + ".tmp.npz"
    np.savez(tmp, **s)
    os.replace(tmp, path)
    return s


def loss_of(net, x, tgt, label, segment, h, smooth):
    logits, h_out = net(x, h)
    mask = label >= 0
    logp = F.log_softmax(logits, -1)
    loss = -(tgt * logp).sum(-1)[mask].mean()
    if smooth:
        p = logp.exp()
        same = mask[:, 1:] & mask[:, :-1] & (segment[:, 1:] == segment[:, :-1])
        loss = loss + smooth * (p[:, 1:] - p[:, :-1]).abs().sum(-1)[same].mean()
    return loss, h_out


def train_gru(a, tr, va_streams):
    """Stateful training: each stream starts from the previous batch's final state half the time, so
    the filter learns to carry on across hours of stream as well as to start cold."""
    net = TemporalGRU(a.hidden)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.epochs)
    start, best_acc, best_epoch, best_state = 0, -1.0, 0, None
    if (a.resume or a.export_only) and os.path.exists(a.checkpoint):
        ck = torch.load(a.checkpoint, map_location="cpu")
        if ck["hidden"] != a.hidden or ck.get("smooth", a.smooth) != a.smooth:
            fail(f"--checkpoint {a.checkpoint} was trained with --hidden {ck['hidden']} --smooth {ck.get('smooth')}, "
                 f"not --hidden {a.hidden} --smooth {a.smooth}")
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        start, best_acc, best_epoch, best_state = ck["epoch"], ck["best_acc"], ck["best_epoch"], ck["best_state"]
        torch.set_rng_state(ck["rng"])
        print(f"resumed from {a.checkpoint} after epoch {start} (best {best_acc:.4f} at {best_epoch})", flush=True)
    elif a.export_only:
        fail(f"no checkpoint at {a.checkpoint}")
    x, tgt = torch.from_numpy(tr["features"]), torch.from_numpy(tr["target"])
    label, segment = torch.from_numpy(tr["label"]), torch.from_numpy(tr["segment"])
    bs = a.batch_size
    epoch = start
    for epoch in range(start + 1, (start if a.export_only else a.epochs) + 1):
        net.train()
        t0, total, steps = time.time(), 0.0, 0
        perm = torch.randperm(len(x))
        h = torch.zeros(1, bs, a.hidden)
        for i in range(0, len(x) - bs + 1, bs):
            idx = perm[i:i + bs]
            keep = (torch.rand(1, bs, 1) < 0.5).float()
            loss, h_out = loss_of(net, x[idx], tgt[idx], label[idx], segment[idx], h * keep, a.smooth)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            h = h_out.detach()
            total, steps = total + loss.item(), steps + 1
        sched.step()
        acc = float((labels_of(gru_probs(net, va_streams["features"]), va_streams["features"])[va_streams["label"] >= 0]
                     == va_streams["label"][va_streams["label"] >= 0]).mean())
        if acc > best_acc:
            best_acc, best_epoch = acc, epoch
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
        print(f"epoch {epoch}/{a.epochs} loss {total / max(steps, 1):.4f} held-out accuracy {acc:.4f} "
              f"best {best_acc:.4f}@{best_epoch} {time.time() - t0:.1f}s", flush=True)
        os.makedirs(os.path.dirname(os.path.abspath(a.checkpoint)), exist_ok=True)
        tmp = a.checkpoint + ".tmp"
        torch.save({"model": net.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                    "epoch": epoch, "best_acc": best_acc, "best_epoch": best_epoch, "best_state": best_state,
                    "rng": torch.get_rng_state(), "hidden": a.hidden, "smooth": a.smooth}, tmp)
        os.replace(tmp, a.checkpoint)
    best = TemporalGRU(a.hidden)
    best.load_state_dict(best_state)
    shown = labels_of(gru_probs(best, va_streams["features"]), va_streams["features"])
    flips = flips_within_faces(shown, va_streams["label"], va_streams["segment"])
    print(f"held-out Training streams: accuracy {best_acc:.4f}, flips within faces {flips:.1f}/min (epoch {best_epoch})", flush=True)
    return best.eval(), {"epochs": epoch, "bestEpoch": best_epoch, "heldOutAccuracy": best_acc, "heldOutFlipsPerMinuteWithinFaces": flips}


def main(argv=None):
    a = parse_args(argv)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    if a.threads:
        torch.set_num_threads(a.threads)
    try:
        images, labels, usage, digest = load_cached(a.csv, a.cache_dir)
        votes = load_ferplus_votes(a.votes, len(labels)) if a.votes != "none" else None
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    usage = np.array(usage)
    tr_rows, va_rows = np.flatnonzero(usage == "Training"), np.flatnonzero(usage == "PublicTest")
    if a.limit:
        tr_rows, va_rows = tr_rows[:a.limit], va_rows[:a.limit]
    if len(tr_rows) == 0 or len(va_rows) == 0:
        print("error: the CSV needs rows with Usage=Training and Usage=PublicTest", file=sys.stderr)
        return 2
    targets = soft_targets(labels, votes)
    try:
        classify = make_classifier(a.classifier, images[tr_rows][:1024])
    except TeacherError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    classifier_sha = sha256_of(a.classifier)
    key = f"{classifier_sha}|{digest}|{a.votes != 'none'}"
    tr = cached_streams(a, "train", images[tr_rows], targets[tr_rows], classify, a.train_streams, a.frames, a.seed, False, key)
    sw = cached_streams(a, "publictest", images[va_rows], targets[va_rows], classify, a.test_streams, a.frames, a.seed + 1, False, key)
    co = cached_streams(a, "constant", images[va_rows], targets[va_rows], classify, a.constant_streams, a.constant_frames, a.seed + 2, True, key)

    n_fit = int(len(tr["features"]) * 0.85)
    fit = {k: v[:n_fit] for k, v in tr.items()}
    held = {k: v[n_fit:] for k, v in tr.items()}
    alpha, alpha_scores = tune_ema(tr["features"], tr["label"])
    print(f"EMA alpha tuned on Training streams: {alpha} ({', '.join(f'{k}: {v:.4f}' for k, v in alpha_scores.items())})", flush=True)
    net, run = train_gru(a, fit, held)
    cal = fit_calibration(tr["features"], tr["target"], tr["label"])
    cal_alpha, _ = tune_ema(calibrated(tr["features"], cal), tr["label"])
    print(f"recalibrated readings: EMA alpha tuned on Training streams {cal_alpha}", flush=True)

    methods = {
        "raw": lambda s: labels_of(raw_probs(s["features"]), s["features"]),
        f"ema (alpha {alpha})": lambda s: labels_of(ema_probs(s["features"], alpha), s["features"]),
        "majority of last 10": lambda s: mode_labels(s["features"], 10),
        f"gru (hidden {a.hidden})": lambda s: labels_of(gru_probs(net, s["features"]), s["features"]),
        # not for shipping: how far a memoryless recalibration to FER+ labels goes
        "recalibrated raw": lambda s: labels_of(raw_probs(calibrated(s["features"], cal)), s["features"]),
        f"recalibrated ema (alpha {cal_alpha})": lambda s: labels_of(ema_probs(calibrated(s["features"], cal), cal_alpha), s["features"]),
    }
    results = {name: evaluate_method(f(sw), f(co), sw, co) for name, f in methods.items()}
    print("PublicTest streams: method | accuracy | flips/min (constant face) | lag mean/median frames | never shown", flush=True)
    def fmt(v, spec):
        return "-" if v is None else format(v, spec)

    for name, r in results.items():
        lag = r["lag"]
        print(f"  {name} | {r['accuracy']:.4f} | {r['flipsPerMinute']:.1f} | {fmt(lag['meanFrames'], '.2f')}/"
              f"{fmt(lag['medianFrames'], '.1f')} | {fmt(lag['neverShown'], '.3f')}", flush=True)

    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    export_streaming_onnx(net, a.out + ".onnx")
    samples = write_samples(a.out + ".samples.json", net, sw, co)
    write_card(a.out + ".card.json", a=a, net=net, params=count_parameters(net), digest=digest, classifier_sha=classifier_sha,
               alpha=alpha, alpha_scores=alpha_scores, results=results, run=run, streams={"train": tr, "publicTest": sw, "constant": co},
               samples=samples, fps=FPS)
    print(f"exported {a.out}.onnx: {count_parameters(net)} parameters, PublicTest stream accuracy "
          f"{results[f'gru (hidden {a.hidden})']['accuracy']:.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
