"""The per-listener temporal filter: a one-layer GRU over the classifier's per-frame readings.

Input per frame (FEATURES = 10): the 7 classifier probabilities (zeros when there is no reading), then
three flags, exactly one of them 1: face reading / no face / refused by the quality gate. The GRU also
sees the log-probabilities of a face reading, computed inside the graph, so the ONNX input stays the
plain reading. Output: filtered probabilities of the 7 classes, per frame."""
import numpy as np
import torch
from torch import nn

from .sequences import FEATURES, FLAG_FACE

LOG_FLOOR = 1e-4


class TemporalGRU(nn.Module):
    def __init__(self, hidden: int = 32):
        super().__init__()
        self.hidden = hidden
        self.gru = nn.GRU(FEATURES + 7, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 7)

    def forward(self, x: torch.Tensor, h: torch.Tensor):
        """x [N,T,10], h [1,N,H] -> (logits [N,T,7], h_out [1,N,H])."""
        face = x[..., FLAG_FACE:FLAG_FACE + 1]
        logp = torch.log(x[..., :7].clamp_min(LOG_FLOOR)) * face
        out, h_out = self.gru(torch.cat([x, logp], -1), h)
        return self.head(out), h_out


class StreamingGRU(nn.Module):
    """The exported graph: (input [N,T,10], h [1,N,H]) -> (probabilities of the last frame [N,7], h_out)."""

    def __init__(self, net: TemporalGRU):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor, h: torch.Tensor):
        logits, h_out = self.net(x, h)
        return torch.softmax(logits[:, -1], dim=-1), h_out


def export_streaming_onnx(net: TemporalGRU, path: str, opset: int = 13) -> None:
    wrapped = StreamingGRU(net).eval()
    x = torch.zeros(1, 1, FEATURES)
    x[..., FLAG_FACE] = 1
    h = torch.zeros(1, 1, net.hidden)
    torch.onnx.export(
        wrapped, (x, h), path,
        input_names=["input", "h"], output_names=["probabilities", "h_out"],
        dynamic_axes={"input": {0: "listeners", 1: "frames"}, "h": {1: "listeners"},
                      "probabilities": {0: "listeners"}, "h_out": {1: "listeners"}},
        opset_version=opset, do_constant_folding=True,
    )


def gru_probs(net: TemporalGRU, features: np.ndarray) -> np.ndarray:
    """Filtered probabilities [S,T,7] of whole streams [S,T,10], each from a zero state."""
    net.eval()
    with torch.no_grad():
        x = torch.from_numpy(features)
        logits, _ = net(x, torch.zeros(1, len(x), net.hidden))
    return torch.softmax(logits, -1).numpy()


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
