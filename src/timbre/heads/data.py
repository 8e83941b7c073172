"""Lightning data module over a ``TrainingData`` table: batches of row numbers, no audio.

Each example is encoded as ``(row a, row b, row c, target, weight)``; pairs have ``c = -1``,
triplets have ``target = -1``. The module gathers the vectors from its own copy of the
table, so a batch is a few integers per example. This module imports Lightning; import it
lazily.
"""

from __future__ import annotations

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from timbre.heads.examples import Examples, TrainingData


def encode_examples(ex: Examples) -> TensorDataset:
    """Pairs and triplets as one ``(rows (k, 3) int64, target, weight)`` dataset."""
    pair_rows = np.concatenate([ex.pairs, -np.ones((len(ex.pairs), 1), np.int64)], axis=1)
    rows = np.concatenate([pair_rows, ex.triplets]).astype(np.int64)
    target = np.concatenate([ex.pair_target, -np.ones(len(ex.triplets))]).astype(np.float32)
    weight = np.concatenate([ex.pair_weight, ex.triplet_weight]).astype(np.float32)
    return TensorDataset(torch.from_numpy(rows), torch.from_numpy(target), torch.from_numpy(weight))


class HeadDataModule(pl.LightningDataModule):
    """Shuffled (seeded) training batches and fixed validation batches of examples."""

    def __init__(self, data: TrainingData, batch_size: int = 256, seed: int = 0):
        super().__init__()
        self.data, self.batch_size, self.seed = data, int(batch_size), int(seed)

    def train_dataloader(self) -> DataLoader:
        dataset = encode_examples(self.data.train)
        generator = torch.Generator().manual_seed(self.seed)
        # a last batch of one or two examples gives contrastive losses nothing to contrast
        drop_last = len(dataset) > 2 * self.batch_size
        return DataLoader(dataset, batch_size=self.batch_size, shuffle=True, generator=generator,
                          drop_last=drop_last, num_workers=0)

    def val_dataloader(self) -> DataLoader:
        dataset = encode_examples(self.data.val)
        if len(dataset) == 0:  # Lightning skips validation on an empty loader; metrics still run
            dataset = encode_examples(self.data.train)
        return DataLoader(dataset, batch_size=max(self.batch_size, 1024), shuffle=False, num_workers=0)
