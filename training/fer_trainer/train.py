"""Command line: python3 -m fer_trainer.train [--csv ...] [--epochs N] [--resume] ...

Trains on Usage=Training, selects on PublicTest, writes <out>.onnx and <out>.card.json."""
import argparse
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from .augment import random_affine, random_erasing
from .data import CLASS_NAMES, DataError, load_cached, load_ferplus_votes, load_labelled_csv, sha256_of
from .export import export_onnx, write_card
from .init import InitError, load_initial, source_architecture, state_architecture, widths_for
from .model import BASE_WIDTHS, MiniXception, count_parameters
from .teacher import TeacherError, online_teacher_probabilities, teacher_module, teacher_probabilities

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_CSV = os.path.join(ROOT, "..", "shared", "data", "fer2013", "fer2013.csv.gz")
DEFAULT_VOTES = os.path.join(ROOT, "..", "shared", "data", "fer2013", "fer2013plus-votes.csv")
MEAN = 127.5
STD = 127.5


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="train", description="Train mini-Xception on FER2013")
    p.add_argument("--csv", default=DEFAULT_CSV, help="FER2013 CSV or CSV.gz")
    p.add_argument("--votes", default=DEFAULT_VOTES, help="FER+ votes CSV for soft labels, or 'none'")
    p.add_argument("--ferplus-weight", type=float, default=0.3, help="share of the FER+ vote distribution in each target (0..1)")
    p.add_argument("--epochs", type=int, default=80)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4, help="L2 regularisation of the weights")
    p.add_argument("--patience", type=int, default=20, help="early stopping: epochs without a better PublicTest accuracy")
    p.add_argument("--out", default=os.path.join(ROOT, "models", "emotion-mini-xception"), help="output path without extension")
    p.add_argument("--checkpoint", default=os.path.join(ROOT, "training", ".checkpoints", "last.pt"))
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    p.add_argument("--swa", action="store_true", help="constant learning rate and stochastic weight averaging of every epoch's weights (use with --init-from)")
    p.add_argument("--width", default=None,
                   help="module widths: a multiplier of the paper's 16/32/64/128 (e.g. 1.5), or four widths (e.g. 16,32,96,192); "
                        "default: the --init-from model's, else the paper's; "
                        "a narrower --init-from model is widened to it function-preservingly")
    p.add_argument("--extra-csv", default=None, metavar="CSV",
                   help="FER-format CSV (emotion,pixels[,Usage]) whose every row is added to the training set (e.g. listeners' corrections)")
    p.add_argument("--extra-weight", type=float, default=1.0,
                   help="sampling weight of each --extra-csv row relative to one FER2013 row (> 0, at most 100)")
    p.add_argument("--eval-csv", default=None, metavar="CSV",
                   help="an extra held-out FER-format CSV; its accuracy and size go into the card as extraEval")
    p.add_argument("--init-from", default=None, help="start from the best weights of this checkpoint (or from an exported .onnx model) with a fresh optimiser and schedule (a second, fine-tuning cycle)")
    p.add_argument("--teacher", action="append", default=[], metavar="ONNX",
                   help="distil from this exported model (repeat for an ensemble); its outputs on each training image and its mirror are soft targets")
    p.add_argument("--kd-weight", type=float, default=0.5, help="share of the distillation term in the loss (0..1), with --teacher")
    p.add_argument("--teacher-view", default="fixed", choices=["fixed", "augmented"],
                   help="fixed: teacher outputs computed once per training image (cached); augmented: the teacher sees "
                        "the same augmented view as the student in every step (slower, consistent targets)")
    p.add_argument("--kd-temperature", type=float, default=2.0, help="softmax temperature of teacher and student in the distillation term")
    p.add_argument("--random-erasing", type=float, default=0.0, help="probability of erasing a random rectangle of each training image")
    p.add_argument("--export-only", action="store_true", help="export the best weights of --checkpoint without training")
    p.add_argument("--cache-dir", default=os.path.join(ROOT, "training", ".cache"))
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--limit", type=int, default=0, help="use only the first N rows of each split (smoke tests)")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    if not 0 <= a.ferplus_weight <= 1:
        p.error("--ferplus-weight must be within 0..1")
    if not 0 <= a.kd_weight <= 1 or a.kd_temperature <= 0:
        p.error("--kd-weight must be within 0..1 and --kd-temperature positive")
    if not 0 <= a.random_erasing <= 1:
        p.error("--random-erasing must be within 0..1")
    for t in a.teacher:
        if not os.path.exists(t):
            p.error(f"--teacher: no model at {t}")
    if a.width is not None:
        try:
            a.width = widths_for(a.width)
        except ValueError as e:
            p.error(f"--width: {e}")
    if not 0 < a.extra_weight <= 100:
        p.error(f"--extra-weight must be > 0 and at most 100, got {a.extra_weight}")
    if a.extra_weight != 1.0 and not a.extra_csv:
        p.error("--extra-weight needs --extra-csv")
    for flag, path in (("--extra-csv", a.extra_csv), ("--eval-csv", a.eval_csv)):
        if path is not None and not os.path.isfile(path):
            p.error(f"{flag}: no CSV at {path}")
    if a.epochs < 1 or a.batch_size < 1:
        p.error("--epochs and --batch-size must be at least 1")
    return a


def choose_architecture(a):
    """(module widths, stem): a resumed checkpoint's; else --width; else the --init-from model's; else the paper's."""
    if (a.resume or a.export_only) and os.path.exists(a.checkpoint):
        widths, stem = state_architecture(torch.load(a.checkpoint, map_location="cpu")["model"])
        if a.width is not None and a.width != widths:
            raise InitError(f"--width gives modules {list(a.width)}, but {a.checkpoint} has {list(widths)}")
        return widths, stem
    widths, stem = source_architecture(a.init_from) if a.init_from else (BASE_WIDTHS, 8)
    return (a.width if a.width is not None else widths), stem


def epoch_order(n_fer: int, n_extra: int, weight: float) -> torch.Tensor:
    """One epoch's row order: every FER2013 row once, each extra row (indices after them) `weight` times
    in expectation (the whole part as copies, the fraction as a random subset), so an epoch's length,
    and with it the one-cycle schedule, is the same every epoch."""
    rows = [torch.arange(n_fer)]
    if n_extra:
        extra = torch.arange(n_fer, n_fer + n_extra)
        rows += [extra] * int(weight)
        part = int(round((weight - int(weight)) * n_extra))
        rows.append(extra[torch.randperm(n_extra)[:part]])
    order = torch.cat(rows)
    return order[torch.randperm(len(order))]


def normalise(u8: torch.Tensor) -> torch.Tensor:
    return (u8.float() - MEAN) / STD


def evaluate(net, x, y, device, batch=512):
    net.eval()
    net = net.to(memory_format=torch.contiguous_format)  # see the channels_last note in main()
    preds = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = normalise(x[i:i + batch]).to(device)
            preds.append(net(xb).argmax(1).cpu())
    pred = torch.cat(preds)
    conf = torch.zeros(7, 7, dtype=torch.long)
    for t, p_ in zip(y.tolist(), pred.tolist()):
        conf[t, p_] += 1
    acc = (pred == y).float().mean().item()
    recall = [(conf[i, i] / conf[i].sum()).item() if conf[i].sum() > 0 else 0.0 for i in range(7)]
    return acc, recall, conf.tolist()


def recompute_bn(net, x, batch=512):
    """Batch-norm statistics of averaged weights, from one pass over the (unaugmented) training images."""
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the pass
    net.train()
    with torch.no_grad():
        for i in range(0, len(x), batch):
            net(normalise(x[i:i + batch]))
    for m in bns:
        m.momentum = 0.1
    net.eval()


def main(argv=None):
    a = parse_args(argv)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    np.random.seed(a.seed)
    if a.threads:
        torch.set_num_threads(a.threads)
    device = torch.device("cuda" if a.device == "cuda" or (a.device == "auto" and torch.cuda.is_available()) else "cpu")

    try:
        images, labels, usage, digest = load_cached(a.csv, a.cache_dir)
        votes = None
        if a.votes != "none" and a.ferplus_weight > 0:
            votes = load_ferplus_votes(a.votes, len(labels))
        extra = load_labelled_csv(a.extra_csv, "--extra-csv") if a.extra_csv else None
        held = load_labelled_csv(a.eval_csv, "--eval-csv") if a.eval_csv else None
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    usage = np.array(usage)
    tr = np.flatnonzero(usage == "Training")
    va = np.flatnonzero(usage == "PublicTest")
    if a.limit:
        tr, va = tr[: a.limit], va[: a.limit]
    if len(tr) == 0 or len(va) == 0:
        print("error: the CSV needs rows with Usage=Training and Usage=PublicTest", file=sys.stderr)
        return 2

    onehot = np.eye(7, dtype=np.float32)[labels]
    if votes is not None:
        has = votes.sum(1, keepdims=True) > 0
        targets = np.where(has, (1 - a.ferplus_weight) * onehot + a.ferplus_weight * votes, onehot)
    else:
        targets = onehot
    train_images, train_targets = images[tr], targets[tr]
    if extra is not None:  # extra rows carry their one label (no FER+ votes), after the FER2013 rows
        train_images = np.concatenate([train_images, extra[0]])
        train_targets = np.concatenate([train_targets, np.eye(7, dtype=np.float32)[extra[1]]])
    x_tr = torch.from_numpy(train_images).unsqueeze(1)
    t_tr = torch.from_numpy(train_targets)
    n_extra = 0 if extra is None else len(extra[1])
    x_va = torch.from_numpy(images[va]).unsqueeze(1)
    k_tr, teachers = None, None
    if a.teacher and a.teacher_view == "augmented":
        try:
            teachers = [teacher_module(t, images[tr], normalise, device) for t in a.teacher]
        except TeacherError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"distilling from {len(a.teacher)} teacher(s) at T={a.kd_temperature}, weight {a.kd_weight}, "
              f"on each augmented view and its mirror", flush=True)
    elif a.teacher:
        t0 = time.time()
        try:
            k = teacher_probabilities(a.teacher, images[tr], normalise, a.kd_temperature, cache_dir=a.cache_dir, data_key=digest)
            if extra is not None:
                k = np.concatenate([k, teacher_probabilities(a.teacher, extra[0], normalise, a.kd_temperature,
                                                             cache_dir=a.cache_dir, data_key=sha256_of(a.extra_csv))])
            k_tr = torch.from_numpy(k)
        except TeacherError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        agree = (k_tr.argmax(1).numpy() == t_tr.argmax(1).numpy()).mean()
        print(f"distilling from {len(a.teacher)} teacher(s) at T={a.kd_temperature}, weight {a.kd_weight}: "
              f"teachers agree with {agree:.4f} of the training labels ({time.time() - t0:.0f}s)", flush=True)
    y_va = torch.from_numpy(labels[va])

    try:
        widths, stem = choose_architecture(a)
    except InitError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    def make_net():
        return MiniXception(widths=widths, stem=stem)

    net = make_net().to(device).to(memory_format=torch.channels_last)
    decay = [p for n, p in net.named_parameters() if p.ndim == 4]
    no_decay = [p for n, p in net.named_parameters() if p.ndim != 4]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay}, {"params": no_decay, "weight_decay": 0}], lr=a.lr)
    if a.batch_size % 2 or a.batch_size > len(tr):
        print("error: --batch-size must be even and at most the number of training rows", file=sys.stderr)
        return 2
    rows_per_epoch = len(epoch_order(len(tr), n_extra, a.extra_weight))
    steps_per_epoch = rows_per_epoch // a.batch_size
    if extra is not None:
        print(f"extra training rows: {n_extra} from {os.path.basename(a.extra_csv)}, weight {a.extra_weight} "
              f"({rows_per_epoch - len(tr)} draws an epoch)", flush=True)
    if a.swa:
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda _step: 1.0)
    else:
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, epochs=a.epochs, steps_per_epoch=steps_per_epoch, pct_start=0.15)
    swa_sum, swa_n = None, 0
    start_epoch, best_acc, best_epoch, best_state = 0, -1.0, 0, None

    init_note = None
    if a.init_from:
        try:
            init_note, widened = load_initial(net, a.init_from, images[tr], normalise)
        except InitError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        net = net.to(device).to(memory_format=torch.channels_last)
        if a.init_from.endswith(".onnx") or widened:
            init_acc, _, _ = evaluate(net, x_va, y_va, device)
            net = net.to(memory_format=torch.channels_last)
            init_note = f"{init_note} (PublicTest {init_acc:.4f})" if not widened else f"{init_note}{widened} (PublicTest {init_acc:.4f})"
        print(init_note, flush=True)
    if (a.resume or a.export_only) and os.path.exists(a.checkpoint):
        ck = torch.load(a.checkpoint, map_location=device)
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        # one-cycle keeps this run's schedule length: a resume may extend --epochs beyond the checkpoint's run
        phases = sched._schedule_phases if isinstance(sched, torch.optim.lr_scheduler.OneCycleLR) else None
        sched.load_state_dict(ck["scheduler"])
        if phases is not None:
            sched.total_steps, sched._schedule_phases = a.epochs * steps_per_epoch, phases
        start_epoch, best_acc, best_epoch, best_state = ck["epoch"], ck["best_acc"], ck["best_epoch"], ck["best_state"]
        if a.swa:  # the running weight average goes on where it stopped
            swa_sum, swa_n = ck.get("swa_sum"), ck.get("swa_n", 0)
        torch.set_rng_state(ck["rng"])
        print(f"resumed from {a.checkpoint} after epoch {start_epoch} (best {best_acc:.4f} at {best_epoch})", flush=True)
    elif a.export_only:
        print(f"error: no checkpoint at {a.checkpoint}", file=sys.stderr)
        return 2
    elif a.resume:
        print(f"no checkpoint at {a.checkpoint}; starting fresh", flush=True)

    print(f"mini-Xception: {count_parameters(net)} parameters, {len(tr)} training / {len(va)} PublicTest rows, "
          f"device {device}, {torch.get_num_threads()} threads", flush=True)
    epoch = start_epoch
    for epoch in range(start_epoch + 1, (start_epoch if a.export_only else a.epochs) + 1):
        net.train()
        t0 = time.time()
        perm = epoch_order(len(tr), n_extra, a.extra_weight)
        total, seen = 0.0, 0
        # drop_last: torch 1.13's oneDNN channels_last backward corrupts memory on odd batch sizes
        for i in range(0, len(perm) - a.batch_size + 1, a.batch_size):
            idx = perm[i:i + a.batch_size]
            xb = normalise(x_tr[idx]).to(device)
            xb = random_affine(xb)
            if a.random_erasing:
                xb = random_erasing(xb, a.random_erasing)
            xb = xb.contiguous(memory_format=torch.channels_last)
            tb = t_tr[idx].to(device)
            logits = net(xb)
            loss = -(tb * F.log_softmax(logits, 1)).sum(1).mean()
            if k_tr is not None or teachers is not None:
                T = a.kd_temperature
                kb = k_tr[idx].to(device) if k_tr is not None else online_teacher_probabilities(teachers, xb, T)
                kd = -(kb * F.log_softmax(logits / T, 1)).sum(1).mean() * T * T
                loss = (1 - a.kd_weight) * loss + a.kd_weight * kd
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        if a.swa:
            weights = {k: v.detach().clone().cpu().double() for k, v in net.state_dict().items() if v.dtype.is_floating_point}
            swa_sum = weights if swa_sum is None else {k: swa_sum[k] + w for k, w in weights.items()}
            swa_n += 1
        acc, _, _ = evaluate(net, x_va, y_va, device)
        net = net.to(memory_format=torch.channels_last)
        improved = acc > best_acc
        if improved:
            best_acc, best_epoch = acc, epoch
            best_state = {k: v.detach().clone().cpu() for k, v in net.state_dict().items()}
        print(f"epoch {epoch}/{a.epochs} loss {total / seen:.4f} publicTest {acc:.4f} best {best_acc:.4f}@{best_epoch} "
              f"lr {sched.get_last_lr()[0]:.2e} {time.time() - t0:.0f}s", flush=True)
        os.makedirs(os.path.dirname(os.path.abspath(a.checkpoint)), exist_ok=True)
        tmp = a.checkpoint + ".tmp"
        torch.save({"model": net.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                    "epoch": epoch, "best_acc": best_acc, "best_epoch": best_epoch, "best_state": best_state,
                    "rng": torch.get_rng_state(), "swa_sum": swa_sum, "swa_n": swa_n}, tmp)
        os.replace(tmp, a.checkpoint)
        if epoch - best_epoch >= a.patience:
            print(f"early stop: no improvement for {a.patience} epochs", flush=True)
            break

    swa_used = False
    if a.swa and swa_n:
        averaged = make_net()
        state = averaged.state_dict()
        state.update({k: (v / swa_n).float() for k, v in swa_sum.items()})
        averaged.load_state_dict(state)
        recompute_bn(averaged, x_tr)
        swa_acc, _, _ = evaluate(averaged, x_va, y_va, torch.device("cpu"))
        print(f"weight average of {swa_n} epochs: publicTest {swa_acc:.4f} (best single epoch {best_acc:.4f})", flush=True)
        if swa_acc > best_acc:
            best_state, best_acc, swa_used = averaged.state_dict(), swa_acc, True
            best_epoch = None  # the exported weights are the average, not one epoch's

    net = make_net()
    net.load_state_dict(best_state)
    net.eval()
    acc, recall, conf = evaluate(net, x_va, y_va, torch.device("cpu"))
    extra_eval = None
    if held is not None:
        held_acc, _, _ = evaluate(net, torch.from_numpy(held[0]).unsqueeze(1), torch.from_numpy(held[1]), torch.device("cpu"))
        extra_eval = {"accuracy": held_acc, "n": int(len(held[1])), "file": os.path.basename(a.eval_csv)}
        print(f"extra evaluation on {os.path.basename(a.eval_csv)}: accuracy {held_acc:.4f} over {len(held[1])} rows", flush=True)
    export_onnx(net, a.out + ".onnx", 48)
    card = write_card(a.out + ".card.json", net=net, size=48, class_names=CLASS_NAMES, mean=MEAN, std=STD,
                      data_sha256=digest, data_path=a.csv, epochs=epoch, best_epoch=best_epoch, accuracy=acc,
                      recall=recall, confusion=conf, ferplus_weight=a.ferplus_weight if votes is not None else 0,
                      extra_eval=extra_eval,
                      hyper={"batchSize": a.batch_size, "lr": a.lr, "weightDecay": a.weight_decay,
                             "optimizer": ("AdamW, constant learning rate" if a.swa else "AdamW + one-cycle") + (f", then {swa_n} epochs averaged (SWA)" if swa_used else ""), "augmentation": "rotation 10deg, shift 10%, shear 0.1, zoom 10%, hflip"
                             + (f", random erasing p={a.random_erasing}" if a.random_erasing else ""),
                             **({"initFrom": init_note} if init_note else {}),
                             **({"extraTraining": {"file": os.path.basename(a.extra_csv), "rows": n_extra, "weight": a.extra_weight,
                                                   "sha256": sha256_of(a.extra_csv)}} if extra is not None else {}),
                             **({"distillation": {"teachers": [os.path.basename(t) for t in a.teacher], "weight": a.kd_weight,
                                                  "temperature": a.kd_temperature, "teacherView": a.teacher_view}} if a.teacher else {}),
                             **({"weightAverage": f"all {swa_n} epochs"} if swa_used else {})})
    print(f"exported {a.out}.onnx: PublicTest accuracy {acc:.4f}, {card['parameters']} parameters, {card['macsPerFace']} MACs/face", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
