"""What the app's Retrain button runs: ``train_head`` on the pair file plus self-supervised pairs."""

from __future__ import annotations

import os


def retrain_work(workspace, max_epochs: int | None = None):
    """A job body for ``TrainingJob.start``: trains on ``workspace``'s index and pair file and
    returns ``(head id, the sentence the producer reads)``."""

    def work(progress) -> tuple[str, str]:
        from timbre.heads.agreement import describe_agreement
        from timbre.heads.train import train_head

        pairs = [workspace.judgments.path] if os.path.exists(workspace.judgments.path) else []
        info = train_head(workspace.lib.path, pairs=pairs, augment=True, models_dir=workspace.models_dir,
                          max_epochs=max_epochs, progress=progress, placement=workspace.lib.placement)
        return info.id, describe_agreement(info.metrics)

    return work
