"""``compare_indexes``: rank indexes of one library built with different embedders (``timbre compare``).

Each index gets the own-library evaluation (:func:`timbre.evaluation.own_library.evaluate_own_library`)
on the *same* previews (a seeded, bank-stratified sample of the content every index holds) and the
same judgments, so the rows differ only by the embedding space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from timbre.errors import TimbreError
from timbre.evaluation.own_library import DEFAULT_PRESETS, _num, _ratio, sample_rows, threshold_note
from timbre.evaluation.report import markdown_table, rounded
from timbre.progress import Progress

RANKING_NOTE = "ranked by self-retrieval MRR, ties by the share of your judgments agreed"


@dataclass
class ComparedIndex:
    """One index's row: its embedder, self-retrieval figures and judgment agreement."""

    rank: int
    index: str
    embedder: str
    fingerprint: str
    dim: int
    presets: int
    retrieval: dict[str, Any] | None
    judgments: dict[str, Any]


@dataclass
class Comparison:
    """What ``timbre compare`` prints: the rows best first, the shared sample, notes."""

    rows: list[ComparedIndex]
    sample: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (floats rounded to 4 places)."""
        return rounded({"ranking": [asdict(r) for r in self.rows], "sample": self.sample, "notes": list(self.notes)})

    def table(self) -> str:
        """A Markdown table, best first, then the notes."""
        header = ["rank", "embedder", "dim", "MRR", "R@1", "R@10", "judgments agreed", "index"]
        body = [[str(r.rank), r.embedder, str(r.dim)]
                + [_num((r.retrieval or {}).get(k)) for k in ("mrr", "recall_at_1", "recall_at_10")]
                + [_ratio(r.judgments["agree"], r.judgments["total"]), r.index] for r in self.rows]
        judged = self.sample["judgments"]
        summary = (f"{self.sample['queries']} clips of the same {self.sample['previews']} previews in every index; "
                   f"{judged['judgments']} judgment(s) of yours ({judged['pairs']} pairs, {judged['triplets']} "
                   "triplets)")
        return "\n".join([markdown_table(header, body), "", summary] + [f"note: {note}" for note in self.notes])


def compare_indexes(paths: Sequence[str], *, pairs: Sequence[str] | None = None, presets: int = DEFAULT_PRESETS,
                    config: str | dict | None = None, variants: int | None = None,
                    progress: Progress | None = None) -> Comparison:
    """Score every index in ``paths`` on the same sampled previews and judgments (arguments as for
    ``evaluate_own_library``) and rank them, best first."""
    from timbre.heads.config import load_head_config
    from timbre.index import open_index

    if len(paths) < 2:
        raise TimbreError("compare needs two or more --index — index the same library with each embedder "
                          "(timbre index DIR --index NEW --embedder NAME)")
    libs = [open_index(path) for path in paths]
    shared = set.intersection(*(set(lib.hashes) for lib in libs))
    if not shared:
        raise TimbreError("these indexes share no preview — index the same library folders into each")
    seed = load_head_config(config)["seed"]
    first = libs[0]
    first_rows = {digest: row for row, digest in reversed(list(enumerate(first.hashes))) if digest in shared}
    rows = sorted(first_rows.values())  # one row per content: a preset saved twice is sampled once
    picked = sample_rows([first.records[row].get("bank", "") for row in rows], presets, seed)
    sample = [first.hashes[rows[i]] for i in picked]
    reports = [_evaluate(lib.path, sample, pairs, presets, config, variants, progress) for lib in libs]
    compared = [_row(lib, report.systems[0]) for lib, report in zip(libs, reports)]
    compared.sort(key=_rank_key)
    for rank, row in enumerate(compared, 1):
        row.rank = rank
    left_out = max(len(set(lib.hashes)) for lib in libs) - len(shared)
    notes = [RANKING_NOTE, threshold_note(seed)]
    if left_out:
        notes.append(f"{left_out} preview(s) are not in every index and were left out of the sample")
    info = {"previews": len(sample), "queries": reports[0].sample["queries"], "seed": seed,
            "augment": reports[0].sample["augment"], "shared_presets": len(shared),
            "judgments": reports[0].judgments}
    return Comparison(compared, info, notes)


def _evaluate(path, sample, pairs, presets, config, variants, progress):
    from timbre.evaluation.own_library import evaluate_own_library

    return evaluate_own_library(path, pairs=pairs, presets=presets, config=config, variants=variants,
                                progress=progress, sample=sample)


def _row(lib, system) -> ComparedIndex:
    spec = lib.embedder_spec
    return ComparedIndex(0, lib.path, spec["name"], spec["fingerprint"], int(spec["dim"]), len(lib),
                         system.retrieval, system.judgments)


def _rank_key(row: ComparedIndex) -> tuple[float, float]:
    mrr = (row.retrieval or {}).get("mrr", -1.0)
    agreed = row.judgments["agree"] / row.judgments["total"] if row.judgments["total"] else 0.0
    return (-mrr, -agreed)
