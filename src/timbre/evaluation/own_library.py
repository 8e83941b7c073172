"""``evaluate_own_library``: how the base space and each head do on the producer's own library.

No rendered benchmark is needed; two measures use what the producer already has:

* **Self-retrieval.** A seeded sample of previews, stratified by bank, is augmented the way a
  head's self-supervised training does it (re-pitched, re-sequenced, effected copies:
  :func:`timbre.heads.augment.augmented_views`, with the same per-content cache, so a second run
  decodes nothing), and each clip is ranked against the whole library: MRR, recall@1 and
  recall@10 of the preview it came from. With the same settings and seed these are the very
  clips a head trained with augmentation on this library learned from, so a head's figures are
  partly in-sample; its held-out figures keep only the presets the head held out for validation.
* **Agreement with the producer's judgments** (the pair files, resolved to the index or to judged
  files outside it, as ``timbre train`` does), counted by :func:`timbre.heads.agreement.agreeing`.
  A triplet agrees when the positive is closer to the anchor. A pair agrees when its cosine falls
  on the judged side of a threshold fitted on the *other* half of the pairs (two seeded folds), so
  no pair is scored by a threshold fitted on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from timbre.errors import TimbreError
from timbre.evaluation.report import markdown_table, rounded
from timbre.progress import Progress, ensure_progress
from timbre.search.space import library_space, part_columns

DEFAULT_PRESETS = 500
IN_SAMPLE_NOTE = ("a head trained with augmentation on this library learned from these very clips (same settings "
                  "and seed), so its self-retrieval is partly in-sample; a head trained on these judgments has fit "
                  "them: the held-out columns keep only the presets it held out from training")


@dataclass
class OwnSystem:
    """One row: the base space (``head`` None) or a head. ``held_out`` (heads only) restricts
    both measures to the presets the head held out, with the base space's figures on the same."""

    name: str
    head: str | None
    retrieval: dict[str, Any] | None
    judgments: dict[str, Any]
    held_out: dict[str, Any] | None = None


@dataclass
class OwnLibraryReport:
    """What ``timbre eval --index`` prints: the index, the sample, the judgments, one row per system."""

    index: dict[str, Any]
    sample: dict[str, Any]
    judgments: dict[str, Any]
    systems: list[OwnSystem]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, floats rounded to 4 places."""
        return rounded({"index": self.index, "sample": self.sample, "judgments": self.judgments,
                        "systems": [asdict(s) for s in self.systems], "notes": list(self.notes)})

    def table(self) -> str:
        """A Markdown table, one row per system, then the notes."""
        header = ["system", "MRR", "R@1", "R@10", "judgments agreed", "pairs", "pair thresholds", "triplets",
                  "held-out MRR (base)", "held-out judgments (base)"]
        lines = [markdown_table(header, [_row(s) for s in self.systems]), ""]
        lines.append(f"{self.sample['queries']} clips of {self.sample['previews']} of the {self.index['presets']} "
                     f"previews in {self.index['path']}; {self.judgments['judgments']} judgment(s) of yours "
                     f"({self.judgments['pairs']} pairs, {self.judgments['triplets']} triplets)")
        return "\n".join(lines + [f"note: {note}" for note in self.notes])


def evaluate_own_library(index_path: str, *, pairs: Sequence[str] | None = None, heads: Sequence[str] = (),
                         models_dir: str | None = None, presets: int = DEFAULT_PRESETS,
                         config: str | dict | None = None, variants: int | None = None,
                         progress: Progress | None = None, sample: Sequence[str] | None = None) -> OwnLibraryReport:
    """Score the base space of the index at ``index_path`` and each head in ``heads`` (refs for
    ``timbre.heads.registry.load_head``) by self-retrieval and by agreement with the judgments in
    ``pairs`` (``None``: ``$TIMBRE_HOME/pairs.jsonl`` if it exists). ``presets`` previews are
    sampled; the clips follow the ``[augment]`` settings and ``seed`` of ``config`` (a TOML path or
    dict, as for ``timbre train``), ``variants`` overriding ``variants_per_preset``. ``sample``: the
    content hashes of the previews to use instead (those this index holds), so that indexes of one
    library built with different embedders are scored on the same previews."""
    from timbre.heads.augment import augmented_views
    from timbre.heads.config import load_head_config
    from timbre.index import open_index

    progress = ensure_progress(progress)
    lib = open_index(index_path)
    if len(lib) < 2:
        raise TimbreError(f"{lib.path}: the index holds {len(lib)} preset(s) — index at least two previews to "
                          "evaluate it")
    cfg = load_head_config(config)
    settings = {**cfg["augment"], **({"variants_per_preset": int(variants)} if variants else {})}
    loaded = [_load_head(lib, models_dir, ref) for ref in heads]  # before any decoding: fail fast
    table, judgments, judged = _judgments(lib, pairs, progress)
    if sample is None:
        rows = sample_rows([r.get("bank", "") for r in lib.records], presets, cfg["seed"])
    else:
        first_rows = {digest: row for row, digest in reversed(list(enumerate(lib.hashes)))}
        rows = sorted(first_rows[digest] for digest in set(sample) if digest in first_rows)
    views, owner = augmented_views(lib, settings, cfg["seed"], progress, rows=rows)
    folds = pair_folds(len(judgments.pairs), cfg["seed"])
    base = _score((library_space(lib)[1], part_columns(lib)), table, views, owner, judgments, folds)  # as search
    systems = [OwnSystem(lib.embedder_spec["name"], None, *base)]
    for head in loaded:
        systems.append(_head_system(lib, head, table, views, owner, judgments, folds, base))
    sample = {"previews": len(rows), "queries": len(views), "unreadable": len(rows) - len(np.unique(owner)),
              "banks": len({r.get("bank", "") for r in lib.records}), "seed": cfg["seed"], "augment": settings}
    index = {"path": lib.path, "presets": len(lib), "embedder": lib.embedder_spec["name"],
             "state_id": lib.state_id}
    notes = [threshold_note(cfg["seed"])] + ([IN_SAMPLE_NOTE] if loaded else [])
    return OwnLibraryReport(index, sample, judged, systems, notes)


def sample_rows(banks: Sequence[str], size: int, seed: int) -> list[int]:
    """Up to ``size`` row numbers, each bank represented in proportion to its size (a systematic
    sample of the rows ordered by bank, shuffled within each bank by ``seed``)."""
    n = len(banks)
    if size >= n:
        return list(range(n))
    _, codes = np.unique(np.asarray(banks, dtype=object).astype(str), return_inverse=True)
    order = np.lexsort((np.random.default_rng(seed).random(n), codes))
    picks = ((np.arange(size) + 0.5) * n / size).astype(np.int64)
    return sorted(int(row) for row in order[picks])


def pair_folds(count: int, seed: int) -> np.ndarray:
    """Fold 0 or 1 for each of ``count`` pairs: a seeded half each."""
    folds = np.zeros(count, np.int64)
    folds[np.random.default_rng(seed).permutation(count)[count // 2:]] = 1
    return folds


def threshold_note(seed: int) -> str:
    """How a pair is scored (the report states the threshold, as the figures depend on it)."""
    return (f"a pair agrees when its cosine is on the judged side of a threshold fitted on the other half of your "
            f"pairs (two folds, seed {seed}; 0.5 when the other half is empty); triplets need no threshold")


def pair_agreement(table: np.ndarray, judgments, folds: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """One bool per judgment (pairs, then triplets), each pair scored with the threshold fitted on
    the other fold, and the threshold each fold was scored with (fold 0's, then fold 1's)."""
    from timbre.heads.agreement import agreeing
    from timbre.heads.metrics import best_threshold, pair_scores

    scores, labels = pair_scores(table, judgments.pairs), judgments.pair_target
    thresholds = [best_threshold(scores[folds != fold], labels[folds != fold]) for fold in (0, 1)]
    agrees = agreeing(table, judgments, thresholds[0])
    other = agreeing(table, judgments, thresholds[1])
    in_fold_1 = np.concatenate([folds == 1, np.zeros(len(judgments.triplets), bool)])
    agrees[in_fold_1] = other[in_fold_1]
    return agrees, thresholds


def _judgments(lib, pairs: Sequence[str] | None, progress: Progress):
    """``(table, Judgments, summary)``: the index's vectors then the judged files outside it, and
    the producer's judgments (not generated records) as rows of that table."""
    from timbre.heads.examples import build_training_data
    from timbre.heads.pairs import pair_files_or_default
    from timbre.heads.train import read_pair_files, resolve_judged

    records, files = read_pair_files(pair_files_or_default(pairs))
    resolved, outside = resolve_judged(lib, records, progress)
    extra = outside.vectors if outside is not None and len(outside) else None
    data = build_training_data(lib.vectors, lib.hashes, resolved, extra=extra)
    found = data.judgments
    summary = {"pair_files": [f["path"] for f in files], "records": len(records), "judgments": len(found),
               "pairs": len(found.pairs), "triplets": len(found.triplets),
               "outside_files": 0 if extra is None else len(extra),
               "missing_records": len({rec_id for rec_id, _, _ in resolved.missing}),
               "generated_records": data.summary["augment_records"]}
    return data.table, found, summary


def _score(library: tuple[np.ndarray, list | None], table: np.ndarray, views: np.ndarray, owner: np.ndarray,
           judgments, folds: np.ndarray, keep: np.ndarray | None = None, judged_keep: np.ndarray | None = None):
    """``(retrieval, judgments)`` figures of one space, its presets given as ``library_space``'s vectors
    and ``part_columns`` (``keep`` / ``judged_keep``: a subset)."""
    from timbre.heads.metrics import retrieval_metrics

    keep = np.ones(len(views), bool) if keep is None else keep
    retrieval = None
    if keep.any():
        retrieval = {**retrieval_metrics(views[keep], owner[keep], *library), "queries": int(keep.sum())}
    agrees, thresholds = pair_agreement(table, judgments, folds)
    judged_keep = np.ones(len(agrees), bool) if judged_keep is None else judged_keep
    n_pairs = len(judgments.pairs)
    pair_part, triplet_part = judged_keep[:n_pairs], judged_keep[n_pairs:]
    counts = {"total": int(judged_keep.sum()), "agree": int(agrees[judged_keep].sum()),
              "pairs": int(pair_part.sum()), "pairs_agree": int(agrees[:n_pairs][pair_part].sum()),
              "triplets": int(triplet_part.sum()), "triplets_agree": int(agrees[n_pairs:][triplet_part].sum()),
              "thresholds": thresholds}
    return retrieval, counts


def _head_system(lib, head, table, views, owner, judgments, folds, base) -> OwnSystem:
    """A head's row: both measures in its space, and on the presets it held out (with the base's)."""
    from timbre.search.space import project_checked

    projected, projected_views = project_checked(head, table), project_checked(head, views)
    presets = library_space(lib, head)[1], part_columns(lib, head)
    base_presets = library_space(lib)[1], part_columns(lib)
    retrieval, judged = _score(presets, projected, projected_views, owner, judgments, folds)
    name = f"{lib.embedder_spec['name']}+head:{head.id}"
    held = _held_out_rows(lib, head, len(table))
    if held is None:
        return OwnSystem(name, head.id, retrieval, judged)
    keep = held[owner]
    judged_keep = np.concatenate([held[judgments.pairs].any(axis=1), held[judgments.triplets].any(axis=1)])
    held_out = {}
    for key, (library, space, queries) in {"head": (presets, projected, projected_views),
                                           "base": (base_presets, table, views)}.items():
        r, j = _score(library, space, queries, owner, judgments, folds, keep, judged_keep)
        held_out[key] = {"retrieval": r, "judgments": j}
    held_out["presets"] = int(held[: len(lib)].sum())
    return OwnSystem(name, head.id, retrieval, judged, held_out)


def _held_out_rows(lib, head, table_rows: int) -> np.ndarray | None:
    """Rows of the table (presets, then judged files outside the index, never held out) whose
    preset the head held out for validation; ``None`` when its config does not say how it split."""
    from timbre.heads.examples import split_presets

    settings = head.config.get("settings") or {}
    try:
        fraction, seed = float(settings["trainer"]["val_fraction"]), int(settings["seed"])
    except (KeyError, TypeError, ValueError):
        return None
    held = np.zeros(table_rows, bool)
    held[: len(lib)] = split_presets(lib.hashes, fraction, seed)
    return held


def _load_head(lib, models_dir: str | None, ref: str):
    from timbre.heads.part_head import head_for_index
    from timbre.heads.registry import load_head
    from timbre.runtime import default_models_dir

    return head_for_index(load_head(models_dir or default_models_dir(), ref), lib)


def _row(system: OwnSystem) -> list[str]:
    r, j, held = system.retrieval or {}, system.judgments, system.held_out
    cells = [system.name] + [_num(r.get(key)) for key in ("mrr", "recall_at_1", "recall_at_10")]
    thresholds = " / ".join(_num(t) for t in j["thresholds"]) if j["pairs"] else "-"
    cells += [_ratio(j["agree"], j["total"]), _ratio(j["pairs_agree"], j["pairs"]), thresholds,
              _ratio(j["triplets_agree"], j["triplets"])]
    if held is None:
        return cells + ["-", "-"]
    head, base = held["head"], held["base"]
    mrr = (f"{_num((head['retrieval'] or {}).get('mrr'))} ({_num((base['retrieval'] or {}).get('mrr'))})")
    agreed = f"{_ratio(head['judgments']['agree'], head['judgments']['total'])} ({base['judgments']['agree']})"
    return cells + [mrr, agreed]


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _ratio(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "-"
