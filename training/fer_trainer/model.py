"""mini-Xception: Arriaga, Ploeger, Valdenegro, "Real-time Convolutional Neural Networks
for Emotion and Gender Classification" (2017).

Two 3x3 conv stem layers, four residual modules of depthwise-separable convolutions,
a final conv to the class count, global average pooling and softmax. No dense layers."""
import torch
from torch import nn


BASE_WIDTHS = (16, 32, 64, 128)  # the paper's module widths


class SeparableConv2d(nn.Sequential):
    def __init__(self, cin: int, cout: int):
        super().__init__(
            nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False),
            nn.Conv2d(cin, cout, 1, bias=False),
        )


class ResidualModule(nn.Module):
    """Two separable convs + max-pool, added to a 1x1 strided convolution of the input."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.residual = nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride=2, bias=False),
            nn.BatchNorm2d(cout),
        )
        self.main = nn.Sequential(
            SeparableConv2d(cin, cout),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            SeparableConv2d(cout, cout),
            nn.BatchNorm2d(cout),
            nn.MaxPool2d(3, stride=2, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x) + self.residual(x)


class MiniXception(nn.Module):
    def __init__(self, num_classes: int = 7, widths=BASE_WIDTHS, stem: int = 8):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, stem, 3, bias=False),
            nn.BatchNorm2d(stem),
            nn.ReLU(inplace=True),
            nn.Conv2d(stem, stem, 3, bias=False),
            nn.BatchNorm2d(stem),
            nn.ReLU(inplace=True),
        )
        modules = []
        cin = stem
        for w in widths:
            modules.append(ResidualModule(cin, w))
            cin = w
        self.blocks = nn.Sequential(*modules)
        self.head = nn.Conv2d(cin, num_classes, 3, padding=1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns logits [N, num_classes]."""
        x = self.head(self.blocks(self.stem(x)))
        return x.mean(dim=(2, 3))


class WithSoftmax(nn.Module):
    """The exported graph: probabilities, not logits."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x), dim=1)


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def count_macs(net: nn.Module, size: int) -> int:
    """Multiply-accumulates of one face through every convolution (BN and pooling excluded)."""
    total = 0

    def hook(mod, _inp, out):
        nonlocal total
        k = mod.kernel_size[0] * mod.kernel_size[1]
        total += out.shape[2] * out.shape[3] * mod.out_channels * (mod.in_channels // mod.groups) * k

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.Conv2d)]
    was_training = net.training
    net.eval()
    with torch.no_grad():
        net(torch.zeros(1, 1, size, size))
    net.train(was_training)
    for h in handles:
        h.remove()
    return total
