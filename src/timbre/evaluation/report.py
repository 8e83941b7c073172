"""The evaluation report: per-system metrics and breakdowns, as JSON and Markdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from timbre.evaluation.scoring import METRIC_NAMES

REPORT_VERSION = 1
_HEADERS = {
    "recall@1": "R@1", "recall@5": "R@5", "recall@10": "R@10", "mrr": "MRR",
    "ndcg@10": "nDCG@10", "family_precision@10": "FamP@10",
}
_BREAKDOWN_TITLES = {"fx": "Effects: fx / no fx", "kind": "Kind: chords / single notes", "family": "Family"}


@dataclass
class SystemResult:
    """The scores of one system: an embedder, optionally with a projection head."""

    name: str  # "spectral", "mfcc", "spectral+head:<id>"
    embedder: str
    head: str | None
    index: str
    metrics: dict[str, float | int]
    breakdowns: dict[str, dict[str, dict[str, float | int]]]
    recall_curve: list[float]  # recall@k for k = 1..20

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "embedder": self.embedder, "head": self.head, "index": self.index,
                "metrics": rounded(self.metrics), "breakdowns": rounded(self.breakdowns),
                "recall_curve": rounded(self.recall_curve)}


@dataclass
class EvalReport:
    """What ``evaluate`` measured; ``files`` are the report files it wrote."""

    bench: dict[str, Any]
    systems: list[SystemResult]
    search_top: int | None  # hits searched per target; None = the whole library
    timbre_version: str
    date: str
    files: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with a stable layout (floats rounded to 4 places)."""
        return {"version": REPORT_VERSION, "timbre_version": self.timbre_version, "date": self.date,
                "bench": dict(self.bench), "search_top": self.search_top,
                "metric_names": list(METRIC_NAMES), "systems": [s.to_dict() for s in self.systems],
                "files": dict(self.files)}

    def summary_markdown(self) -> str:
        """The main table: one row per system, one column per metric."""
        header = ["system", "targets"] + [_HEADERS[m] for m in METRIC_NAMES]
        rows = [[s.name, str(s.metrics["targets"])] + [_fmt(s.metrics[m]) for m in METRIC_NAMES]
                for s in self.systems]
        return markdown_table(header, rows)

    def markdown(self) -> str:
        """The whole report: bench info, the main table and one table per breakdown."""
        bench = self.bench
        parts = [
            "# timbre evaluation",
            "",
            f"Benchmark `{bench.get('path')}` (size {bench.get('size')}, seed {bench.get('seed')}, "
            f"source {bench.get('source', 'synth')}): "
            f"{bench.get('presets')} presets, {bench.get('targets')} targets. "
            f"timbre {self.timbre_version}, {self.date}.",
            "",
            "Recall@k and MRR count the exact preset; nDCG@10 grades exact 3 > same variation group 2 > "
            "same family 1 (gain 2^rel - 1, ideal from the whole library); FamP@10 is the share of the "
            "top 10 from the target's family.",
            "",
            self.summary_markdown(),
        ]
        for name, title in _BREAKDOWN_TITLES.items():
            parts += ["", f"## {title}", "", self._breakdown_table(name)]
        return "\n".join(parts) + "\n"

    def _breakdown_table(self, breakdown: str) -> str:
        header = [breakdown, "system", "targets"] + [_HEADERS[m] for m in METRIC_NAMES]
        labels = sorted({label for s in self.systems for label in s.breakdowns.get(breakdown, {})})
        rows = []
        for label in labels:
            for system in self.systems:
                group = system.breakdowns.get(breakdown, {}).get(label)
                if group is not None:
                    rows.append([label, system.name, str(group["targets"])]
                                + [_fmt(group[m]) for m in METRIC_NAMES])
        return markdown_table(header, rows)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table of ``rows`` under ``header`` (cells already formatted)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _fmt(value: float | int) -> str:
    return f"{value:.3f}"


def rounded(value: Any) -> Any:
    """``value`` with every float rounded to 4 places, so reports diff cleanly."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return value
