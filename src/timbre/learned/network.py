"""The learned embedder's network: a small log-mel CNN giving unit vectors."""

from __future__ import annotations

#: Shifts and scales log10 mel power (about -6..0) to about -2..2 before the first convolution.
INPUT_SHIFT, INPUT_SCALE = 3.0, 1.5


def build_network(channels: int = 16, dim: int = 128):
    """Four blocks of two 3×3 convolutions (``channels`` to ``4 * channels`` wide, max-pooled between),
    mean and max over time and frequency, a linear map to ``dim``-d unit vectors. Input:
    ``(batch, frames, mels)`` log10 mel power (``timbre.learned.features``)."""
    import torch
    from torch import nn

    def block(inputs: int, outputs: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(inputs, outputs, 3, padding=1), nn.BatchNorm2d(outputs), nn.ReLU(),
                             nn.Conv2d(outputs, outputs, 3, padding=1), nn.BatchNorm2d(outputs), nn.ReLU())

    class LogMelNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            widths = (1, channels, 2 * channels, 4 * channels, 4 * channels)
            self.blocks = nn.ModuleList(block(a, b) for a, b in zip(widths, widths[1:]))
            self.out = nn.Linear(8 * channels, dim)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = ((x + INPUT_SHIFT) / INPUT_SCALE).transpose(1, 2)[:, None]
            for i, layer in enumerate(self.blocks):
                x = layer(x)
                if i < len(self.blocks) - 1:
                    x = nn.functional.max_pool2d(x, 2)
            pooled = torch.cat([x.mean((2, 3)), x.amax((2, 3))], 1)
            return nn.functional.normalize(self.out(pooled), dim=1)

    return LogMelNet()
