"""``training_curve.png``: training loss and validation figures per epoch."""

from __future__ import annotations

import csv
import os


def plot_training_curve(history: list[dict], metrics_csv: str | None, out_png: str, monitor: str | None) -> None:
    """Plot the per-epoch training loss (from Lightning's CSV log) and validation figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_val) = plt.subplots(1, 2, figsize=(10, 4))
    epochs, losses = _train_losses(metrics_csv)
    ax_loss.plot(epochs, losses, marker="o", ms=3)
    ax_loss.set(title="training loss", xlabel="epoch", ylabel="loss")
    for name in ("mrr", "auc", "pair_accuracy"):
        points = [(h["epoch"], h[name]) for h in history if h.get(name) == h.get(name)]  # drop NaN
        if points:
            ax_val.plot(*zip(*points), marker="o", ms=3, label=name)
    ax_val.set(title=f"validation (early stopping on {monitor or 'none'})", xlabel="epoch", ylim=(0, 1.02))
    ax_val.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)


def _train_losses(metrics_csv: str | None) -> tuple[list[int], list[float]]:
    if not metrics_csv or not os.path.exists(metrics_csv):
        return [], []
    epochs, losses = [], []
    with open(metrics_csv, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row.get("train_loss"):
                epochs.append(int(row["epoch"]))
                losses.append(float(row["train_loss"]))
    return epochs, losses
