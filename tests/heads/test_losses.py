"""Each loss trains: it decreases on a toy problem and separates the classes."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from timbre.errors import TimbreError  # noqa: E402
from timbre.heads.losses import LOSSES, get_loss  # noqa: E402
from timbre.heads.losses.base import PairBatch, TripletBatch  # noqa: E402


def _toy_batches(seed=0):
    """Two clusters whose separating direction is weak; pairs and triplets over 64 points."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.arange(64) % 2
    x = torch.randn(64, 8, generator=gen)
    x[:, 0] = (labels * 2 - 1) * 0.3
    a, b = torch.randint(0, 64, (256,), generator=gen), torch.randint(0, 64, (256,), generator=gen)
    target = (labels[a] == labels[b]).float()
    same = [torch.nonzero(labels == c).flatten() for c in (0, 1)]
    anchor = torch.arange(64)
    positive = torch.stack([same[int(labels[i])][(i // 2 + 1) % 32] for i in anchor])
    negative = torch.stack([same[1 - int(labels[i])][i // 2] for i in anchor])
    return x, (a, b, target), (anchor, positive, negative)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_decreases_on_a_toy_problem(name):
    torch.manual_seed(0)
    x, (a, b, target), (anchor, positive, negative) = _toy_batches()
    net = torch.nn.Linear(8, 8)
    loss_fn = get_loss(name, margin=0.5, temperature=0.1)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.05)

    def loss_value():
        z = torch.nn.functional.normalize(net(x), dim=-1)
        pairs = PairBatch(z[a], z[b], target, torch.ones_like(target))
        triplets = TripletBatch(z[anchor], z[positive], z[negative], torch.ones(len(anchor)))
        return loss_fn(pairs, triplets)

    first = float(loss_value().detach())
    for _ in range(60):
        optimizer.zero_grad()
        loss = loss_value()
        loss.backward()
        optimizer.step()
    assert float(loss_value().detach()) < 0.7 * first


def test_unknown_loss_names_the_choices():
    with pytest.raises(TimbreError, match="infonce"):
        get_loss("hinge")
