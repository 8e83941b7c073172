"""The recall@k figure: one curve per system, k = 1..20 (matplotlib, imported lazily)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from timbre.evaluation.report import SystemResult
from timbre.index.store import atomic_write_bytes


def write_recall_plot(systems: Sequence[SystemResult], path: str, title: str = "Exact preset in top k") -> None:
    """Write a PNG of recall@k against k for each system to ``path`` (atomically)."""
    # A bare Figure renders with the Agg canvas and leaves pyplot's global backend alone.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for system in systems:
        ks = list(range(1, len(system.recall_curve) + 1))
        axes.plot(ks, system.recall_curve, marker="o", markersize=3, label=system.name)
    axes.set_xlabel("k")
    axes.set_ylabel("recall@k (exact preset)")
    axes.set_ylim(0, 1.02)
    axes.set_xticks([1, 5, 10, 15, 20])
    axes.set_title(title)
    axes.grid(alpha=0.3)
    # Beside the axes, not on them: with a head and --thorough rows a legend inside hid the curves.
    axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    atomic_write_bytes(path, buffer.getvalue())
