"""The LightningModule that trains a ``ResidualProjection`` on pairs and triplets.

With pitch views, a loss that has a ``best_view`` method (InfoNCE) sees each similar pair of a
clip (or judged file) and a preset's view as search sees it: the clip against every view of
every preset in the batch, each preset scored by its best view.

Validation runs ``evaluate_projection`` on the whole projected table at the end of every
epoch (pair accuracy and ROC AUC on held-out pairs, MRR of held-out augmented views) and
keeps a copy of the best weights by the monitored figure, so no checkpoint files are
needed. This module imports Lightning; import it lazily.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytorch_lightning as pl
import torch

from timbre.heads.examples import TrainingData, evaluate_projection
from timbre.heads.losses.base import PairBatch, TripletBatch
from timbre.heads.model import ResidualProjection


class HeadModule(pl.LightningModule):
    """Projects gathered rows of the table and applies the configured loss."""

    def __init__(self, net: ResidualProjection, loss: torch.nn.Module, data: TrainingData,
                 lr: float = 1e-3, weight_decay: float = 1e-4, monitor: str = "val_mrr"):
        super().__init__()
        self.net, self.loss_fn, self.data = net, loss, data
        self.lr, self.weight_decay, self.monitor = float(lr), float(weight_decay), monitor
        self.register_buffer("table", torch.from_numpy(data.table), persistent=False)
        self.best_score, self.best_state = -math.inf, copy.deepcopy(net.state_dict())
        self.history: list[dict[str, Any]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def _loss(self, batch: list[torch.Tensor]) -> torch.Tensor:
        rows, target, weight = batch
        best_view = getattr(self.loss_fn, "best_view", None)
        on_views = None if best_view is None else self._similar_on_views(rows, target)
        if on_views is None or not on_views.any():
            return self._pairs_and_triplets_loss(rows, target, weight)
        loss = self._best_view_loss(best_view, rows[on_views], weight[on_views])
        rest = ~on_views
        if rest.any():
            loss = loss + self._pairs_and_triplets_loss(rows[rest], target[rest], weight[rest])
        return loss

    def _similar_on_views(self, rows: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Which examples are similar pairs of a non-view row and a preset's pitch view."""
        if not self.data.n_views:
            return torch.zeros(len(rows), dtype=torch.bool, device=rows.device)
        a_view, b_view = rows[:, 0] >= self.data.views_start, rows[:, 1] >= self.data.views_start
        return (rows[:, 2] < 0) & (target > 0.5) & (a_view != b_view)

    def _best_view_loss(self, best_view, rows: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """``best_view(anchors, views of the batch's presets, labels, weight)`` for similar pairs of a
        row and a view: the other side of each pair against every view of each preset in the batch."""
        start, n_views = self.data.views_start, self.data.n_views
        b_is_view = rows[:, 1] >= start
        view_row = torch.where(b_is_view, rows[:, 1], rows[:, 0])
        other_row = torch.where(b_is_view, rows[:, 0], rows[:, 1])
        preset = (view_row - start) // n_views
        # a few hundred ints: unique on the CPU, whatever the device supports
        presets, labels = (t.to(rows.device) for t in torch.unique(preset.cpu(), return_inverse=True))
        view_rows = start + presets[:, None] * n_views + torch.arange(n_views, device=rows.device)[None, :]
        views = self.net(self.table[view_rows.reshape(-1)]).reshape(len(presets), n_views, -1)
        return best_view(self.net(self.table[other_row]), views, labels, weight)

    def _pairs_and_triplets_loss(self, rows: torch.Tensor, target: torch.Tensor, weight: torch.Tensor
                                 ) -> torch.Tensor:
        is_pair = rows[:, 2] < 0
        pairs = triplets = None
        if is_pair.any():
            r = rows[is_pair]
            pairs = PairBatch(self.net(self.table[r[:, 0]]), self.net(self.table[r[:, 1]]),
                              target[is_pair], weight[is_pair])
        if (~is_pair).any():
            r = rows[~is_pair]
            triplets = TripletBatch(*(self.net(self.table[r[:, i]]) for i in range(3)), weight[~is_pair])
        return self.loss_fn(pairs, triplets)

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self._loss(batch)
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=len(batch[0]))
        return loss

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        if len(self.data.val):
            self.log("val_loss", self._loss(batch), on_epoch=True, batch_size=len(batch[0]))

    @torch.no_grad()
    def project_table(self) -> Any:
        """The whole table through the current network, as numpy."""
        was_training = self.net.training
        self.net.eval()
        projected = torch.cat([self.net(chunk) for chunk in torch.split(self.table, 65536)]).cpu().numpy()
        self.net.train(was_training)
        return projected

    def on_validation_epoch_end(self) -> None:
        if self.trainer.sanity_checking:
            return
        figures = evaluate_projection(self.project_table(), self.data)
        for name in ("pair_accuracy", "auc", "mrr", "recall_at_1", "recall_at_10"):
            if not math.isnan(figures[name]):
                self.log(f"val_{name}", figures[name])
        score = figures[self.monitor.removeprefix("val_")]
        if not math.isnan(score) and score > self.best_score:
            self.best_score, self.best_state = score, copy.deepcopy(self.net.state_dict())
        self.history.append({"epoch": int(self.current_epoch), **figures})

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
