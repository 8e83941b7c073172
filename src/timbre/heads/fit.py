"""Run Lightning on prepared ``TrainingData``: deterministic, quiet, no checkpoint files."""

from __future__ import annotations

import logging
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

from timbre.devices import mps_errors
from timbre.heads.examples import TrainingData
from timbre.progress import Progress, ensure_progress


@dataclass
class FitResult:
    """The trained network (best weights by ``monitor``) and what happened."""

    net: Any
    monitor: str | None
    epochs: int
    seconds: float
    history: list[dict] = field(default_factory=list)


def choose_monitor(data: TrainingData) -> str | None:
    """Early-stop on retrieval MRR when there are augmented views, else on pair AUC."""
    if len(data.val_queries):
        return "val_mrr"
    _, target = data.val.labelled_pairs()
    return "val_auc" if 0 < target.sum() < len(target) else None


def fit_projection(data: TrainingData, cfg: dict, *, log_dir: str | None = None,
                   progress: Progress | None = None, device: str = "cpu", label: str = "training head") -> FitResult:
    """Train a ``ResidualProjection`` with ``cfg`` (see ``timbre.heads.config``) on ``data``, on the
    resolved torch ``device`` (``timbre.devices.resolve_device``); the network comes back on the CPU.
    ``label`` names the epochs' progress bar."""
    import pytorch_lightning as pl

    from timbre.heads.data import HeadDataModule
    from timbre.heads.losses import get_loss
    from timbre.heads.model import ResidualProjection
    from timbre.heads.module import HeadModule
    from timbre.runtime import configure_torch

    configure_torch()
    _quiet_lightning()
    pl.seed_everything(cfg["seed"], workers=True, verbose=False)
    model_cfg, trainer_cfg, monitor = cfg["model"], cfg["trainer"], choose_monitor(data)
    net = ResidualProjection(data.table.shape[1], model_cfg["hidden_dim"], model_cfg["output_dim"],
                             model_cfg["dropout"])
    net.reset_to_identity(data.table[: data.n_presets])
    loss_params = {k: v for k, v in cfg["loss"].items() if k != "name"}
    module = HeadModule(net, get_loss(cfg["loss"]["name"], **loss_params), data, cfg["optimizer"]["lr"],
                        cfg["optimizer"]["weight_decay"], monitor or "val_auc")
    callbacks: list = [_epoch_progress(ensure_progress(progress), trainer_cfg["max_epochs"], label)]
    if monitor:
        callbacks.append(pl.callbacks.EarlyStopping(monitor=monitor, mode="max", patience=trainer_cfg["patience"]))
    logger = pl.loggers.CSVLogger(log_dir, name="logs", version="") if log_dir else False
    accelerator, devices = trainer_devices(device)
    trainer = pl.Trainer(
        max_epochs=trainer_cfg["max_epochs"], accelerator=accelerator, devices=devices, deterministic=True,
        logger=logger, callbacks=callbacks, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, num_sanity_val_steps=0, log_every_n_steps=1,
    )
    started = time.perf_counter()
    with mps_errors(device):
        trainer.fit(module, datamodule=HeadDataModule(data, trainer_cfg["batch_size"], cfg["seed"]))
    seconds = time.perf_counter() - started
    if monitor and module.best_score > -math.inf:
        net.load_state_dict(module.best_state)
    return FitResult(net.cpu().eval(), monitor, int(trainer.current_epoch), seconds, module.history)


def trainer_devices(device: str) -> tuple[str, list[int] | int]:
    """Lightning's ``(accelerator, devices)`` for ``device``; deterministic cuBLAS on a CUDA GPU."""
    from timbre.devices import lightning_accelerator

    accelerator, devices = lightning_accelerator(device)
    if accelerator == "gpu":  # deterministic=True refuses cuBLAS matmuls without a fixed workspace
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    return accelerator, devices


def _quiet_lightning() -> None:
    for name in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*number of training batches.*")
    warnings.filterwarnings("ignore", message=".*GPU available but not used.*")
    # Lightning's own _pytree helper trips torch's LeafSpec deprecation on every fit; nothing for a user to do.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated",
                            category=FutureWarning)


def _epoch_progress(progress: Progress, max_epochs: int, label: str):
    """A Lightning callback reporting one step per epoch (with the validation figures)."""
    import pytorch_lightning as pl

    class EpochProgress(pl.Callback):
        def on_train_start(self, trainer, pl_module) -> None:
            progress.start(max_epochs, label, unit="epoch")

        def on_train_epoch_end(self, trainer, pl_module) -> None:
            progress.advance(1)
            figures = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val_")}
            if figures:
                progress.note(f"epoch {trainer.current_epoch}: "
                              + ", ".join(f"{k} {v:.3f}" for k, v in sorted(figures.items())))

        def on_train_end(self, trainer, pl_module) -> None:
            progress.close()

    return EpochProgress()
