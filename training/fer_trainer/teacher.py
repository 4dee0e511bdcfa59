"""Teachers for knowledge distillation: exported ONNX models run inside PyTorch.

The export folds batch norm into the convolutions, so a checkpoint is not needed: a small
interpreter runs the graph's few operator types (Conv, Relu, MaxPool, Add, ReduceMean, Softmax)
with torch functions. Teacher outputs are computed once per training image (the average over the
image and its mirror, and over every teacher), then used as soft targets."""
import os
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from .data import sha256_of


class TeacherError(Exception):
    pass


class OnnxNet:
    """Runs an exported mini-Xception graph with torch ops. Returns the graph's output (probabilities)."""

    SUPPORTED = {"Conv", "Relu", "MaxPool", "Add", "ReduceMean", "Softmax"}

    def __init__(self, path: str):
        try:
            import onnx
            from onnx import numpy_helper
        except ImportError as e:  # pragma: no cover - Debian's python3-onnx is installed by .ci/run
            raise TeacherError("distillation needs the onnx Python package (Debian: python3-onnx)") from e
        try:
            model = onnx.load(path)
        except Exception as e:
            raise TeacherError(f"cannot read teacher model {path}: {e}") from e
        g = model.graph
        self.weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in g.initializer}
        self.nodes = []
        for n in g.node:
            if n.op_type not in self.SUPPORTED:
                raise TeacherError(f"teacher {path}: operator {n.op_type} is not supported")
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            self.nodes.append((n.op_type, list(n.input), list(n.output), attrs))
        self.input = g.input[0].name
        self.output = g.output[0].name

    @staticmethod
    def _pads(attrs):
        p = attrs.get("pads", [0, 0, 0, 0])
        if p[0] != p[2] or p[1] != p[3]:
            raise TeacherError("asymmetric padding is not supported")
        return (p[0], p[1])

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        env = {self.input: x}
        for op, ins, outs, attrs in self.nodes:
            a = [env[i] if i in env else self.weights[i] for i in ins if i]
            if op == "Conv":
                y = F.conv2d(a[0], a[1], a[2] if len(a) > 2 else None, stride=tuple(attrs.get("strides", [1, 1])),
                             padding=self._pads(attrs), dilation=tuple(attrs.get("dilations", [1, 1])),
                             groups=attrs.get("group", 1))
            elif op == "Relu":
                y = F.relu(a[0])
            elif op == "MaxPool":
                k = tuple(attrs["kernel_shape"])
                y = F.max_pool2d(a[0], k, stride=tuple(attrs.get("strides", k)), padding=self._pads(attrs),
                                 ceil_mode=bool(attrs.get("ceil_mode", 0)))
            elif op == "Add":
                y = a[0] + a[1]
            elif op == "ReduceMean":
                y = a[0].mean(dim=tuple(attrs["axes"]), keepdim=bool(attrs.get("keepdims", 1)))
            else:  # Softmax
                y = torch.softmax(a[0], dim=attrs.get("axis", -1))
            env[outs[0]] = y
        return env[self.output]


def teacher_probabilities(paths, images_u8: np.ndarray, normalise, temperature: float = 1.0, batch: int = 1024,
                          cache_dir: Optional[str] = None, data_key: str = "") -> np.ndarray:
    """Mean over teachers and over (image, mirrored image) of softmax(logits / temperature).

    images_u8: [N, 48, 48] uint8. Returns float32 [N, 7]. With cache_dir, each teacher's log
    probabilities are kept in an .npy named by the model's and the data's hashes (data_key), so
    later runs with the same teachers skip the minutes of inference."""
    if temperature <= 0:
        raise TeacherError("the distillation temperature must be positive")
    out = np.zeros((len(images_u8), 7), dtype=np.float64)
    for path in paths:
        logp = _teacher_log_probs(path, images_u8, normalise, batch, cache_dir, data_key)
        for view in logp:
            out += torch.softmax(torch.from_numpy(view).double() / temperature, dim=1).numpy()
    return (out / (2 * len(paths))).astype(np.float32)


def teacher_module(path: str, images_u8: np.ndarray, normalise, device="cpu") -> torch.nn.Module:
    """An exported model as a frozen MiniXception in eval mode (logits out), for per-step teaching.

    In eval mode the unfolded batch norm reproduces the folded bias exactly whatever statistics it was
    measured with, so a small sample of images is enough; channels_last runs it on the same fast
    oneDNN path as the student (about 1.7x faster than OnnxNet on CPU)."""
    from .model import MiniXception  # imported here: model.py does not depend on the teacher code
    widths, stem = onnx_architecture(path)
    net = MiniXception(widths=widths, stem=stem)
    unfold_into(net, path, images_u8[:1024], normalise)
    net = net.to(device).to(memory_format=torch.channels_last).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def online_teacher_probabilities(teachers, x: torch.Tensor, temperature: float) -> torch.Tensor:
    """Soft targets for one batch of (already augmented, normalised) images: the mean over teachers and
    over the view and its mirror of softmax(logits / temperature), as teacher_probabilities does for
    the un-augmented images. Teacher and student then see the same view ("consistent teaching",
    Beyer et al. 2022). teachers: modules returning logits (teacher_module)."""
    n = x.shape[0]
    both = torch.cat([x, torch.flip(x, dims=[3])]).contiguous(memory_format=torch.channels_last)
    out = torch.zeros(n, 7, dtype=torch.float32, device=x.device)
    with torch.no_grad():
        for net in teachers:
            p = torch.softmax(net(both) / temperature, dim=1)
            out += p[:n] + p[n:]
    return out / (2 * len(teachers))


def _teacher_log_probs(path, images_u8, normalise, batch, cache_dir, data_key) -> np.ndarray:
    """[2, N, 7] float32: log softmax of the teacher on the images and on their mirrors."""
    cache = None
    if cache_dir:
        cache = os.path.join(cache_dir, f"teacher-{sha256_of(path)[:16]}-{data_key[:16]}-{len(images_u8)}.npy")
        if os.path.exists(cache):
            return np.load(cache, allow_pickle=False)
    net = OnnxNet(path)
    logp = np.zeros((2, len(images_u8), 7), dtype=np.float32)
    with torch.no_grad():
        for i in range(0, len(images_u8), batch):
            x = normalise(torch.from_numpy(images_u8[i:i + batch]).unsqueeze(1))
            for v, view in enumerate((x, torch.flip(x, dims=[3]))):
                # the graph ends in softmax: log p equals the logits up to a per-row constant
                logp[v, i:i + batch] = torch.log(net(view).clamp_min(1e-12)).numpy()
    if cache:
        os.makedirs(cache_dir, exist_ok=True)
        tmp = cache[:-4] + ".tmp.npy"  # a run killed mid-write leaves no truncated cache behind
        np.save(tmp, logp)
        os.replace(tmp, cache)
    return logp


def onnx_architecture(path: str):
    """(module widths, stem width) of an exported mini-Xception, read from its convolution shapes: the
    stem's first convolution, then five convolutions per module whose last (the 1x1 residual) gives the
    module's width, then the head. Lets any exported width be a teacher or a starting point."""
    src = OnnxNet(path)
    shapes = [tuple(src.weights[ins[1]].shape) for op, ins, _, _ in src.nodes if op == "Conv"]
    if len(shapes) < 8 or (len(shapes) - 3) % 5:
        raise TeacherError(f"{path}: {len(shapes)} convolutions is not a mini-Xception (2 stem + 5 per module + head)")
    widths = tuple(shapes[2 + 5 * k + 4][0] for k in range((len(shapes) - 3) // 5))
    return widths, shapes[0][0]


def unfold_into(net: torch.nn.Module, path: str, images_u8: np.ndarray, normalise, batch: int = 1024) -> None:
    """Loads an exported model (batch norm folded into the convolutions) into a trainable MiniXception.

    Each convolution takes the folded weights; the batch-norm layer after it is set so that it
    reproduces the folded bias exactly in eval mode and, because its statistics come from the
    training images, nearly so in train mode: gamma = sqrt(var + eps), beta = mean + bias, where mean
    and var are those of the convolution's output (without bias) over the images."""
    src = OnnxNet(path)
    convs = [ins for op, ins, _, _ in src.nodes if op == "Conv"]
    order = _graph_conv_order(net)
    if len(convs) != len(order):
        raise TeacherError(f"{path} has {len(convs)} convolutions, the trainer's model {len(order)}")
    mods = list(net.modules())
    bn_after = {}
    for i, m in enumerate(mods):
        if isinstance(m, torch.nn.BatchNorm2d):
            bn_after[next(c for c in reversed(mods[:i]) if isinstance(c, torch.nn.Conv2d))] = m
    biases = {}
    with torch.no_grad():
        for conv, ins in zip(order, convs):
            w = src.weights[ins[1]]
            if tuple(w.shape) != tuple(conv.weight.shape):
                raise TeacherError(f"{path}: weight {ins[1]} has shape {tuple(w.shape)}, expected {tuple(conv.weight.shape)}")
            conv.weight.copy_(w)
            b = src.weights[ins[2]] if len(ins) > 2 else None
            if conv.bias is not None:
                conv.bias.copy_(b)
            elif b is not None:
                if conv not in bn_after:
                    raise TeacherError(f"{path}: bias {ins[2]} has no batch-norm layer to go to")
                biases[bn_after[conv]] = b
        # batch norm as exactly "+ bias" while measuring each convolution's output
        for bn in bn_after.values():
            bn.reset_parameters()
            bn.running_var.fill_(1.0 - bn.eps)
            if bn in biases:
                bn.bias.copy_(biases[bn])
        stats = {}

        def hook(mod, inp, _out):
            z = inp[0].double()
            s, q, n = stats.get(mod, (0, 0, 0))
            stats[mod] = (s + z.sum(dim=(0, 2, 3)), q + (z * z).sum(dim=(0, 2, 3)), n + z.shape[0] * z.shape[2] * z.shape[3])

        handles = [bn.register_forward_hook(hook) for bn in bn_after.values()]
        net.eval()
        for i in range(0, len(images_u8), batch):
            net(normalise(torch.from_numpy(images_u8[i:i + batch]).unsqueeze(1)))
        for h in handles:
            h.remove()
        for bn in bn_after.values():
            s, q, n = stats[bn]
            mean = s / n
            var = (q / n - mean * mean).clamp_min(0)
            bn.running_mean.copy_(mean.float())
            bn.running_var.copy_(var.float())
            bn.weight.copy_(torch.sqrt(var + bn.eps).float())
            bn.bias.copy_((mean + biases.get(bn, torch.zeros_like(mean))).float())


def _graph_conv_order(net: torch.nn.Module):
    """The convolutions of MiniXception in the order torch.onnx writes them: stem, then per module
    the main branch before the residual branch, then the head."""
    order = [m for m in net.stem if isinstance(m, torch.nn.Conv2d)]
    for block in net.blocks:
        order += [m for m in block.main.modules() if isinstance(m, torch.nn.Conv2d)]
        order += [m for m in block.residual.modules() if isinstance(m, torch.nn.Conv2d)]
    return order + [net.head]
