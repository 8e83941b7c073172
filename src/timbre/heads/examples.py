"""Training examples over frozen vectors, split into train/validation by preset.

The *table* holds every vector a batch can refer to: the index's preset vectors (rows
``0..n-1``), the augmented embeddings (each with its ``owner`` preset), then the judged files
outside the index (``extra``: the producer's targets, owner ``-1``, no preset). User
pairs/triplets and self-supervised pairs are row numbers into it, so training never
decodes audio. A preset is in the validation split or not (by a seeded hash of its content
hash); an example touching any validation preset is validation-only, so nothing learned
from a held-out preset leaks into training. Rows outside the index belong to no split: an
example's split is decided by the presets it touches.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from timbre.heads.metrics import best_threshold, pair_accuracy, pair_scores, retrieval_metrics, roc_auc
from timbre.heads.pairs import GENERATED_SOURCES, ResolvedPairs

MAX_VALIDATION_QUERIES = 2000


@dataclass
class Examples:
    """Pairs ``(row a, row b)`` with 1/0 targets and triplets ``(anchor, positive, negative)``."""

    pairs: np.ndarray
    pair_target: np.ndarray
    pair_weight: np.ndarray
    triplets: np.ndarray
    triplet_weight: np.ndarray

    def __len__(self) -> int:
        return len(self.pairs) + len(self.triplets)

    def labelled_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """All pairs plus each triplet as (anchor, positive, 1) and (anchor, negative, 0)."""
        t = self.triplets
        pairs = np.concatenate([self.pairs, t[:, [0, 1]], t[:, [0, 2]]]).astype(np.int64)
        target = np.concatenate([self.pair_target, np.ones(len(t)), np.zeros(len(t))]).astype(np.float32)
        return pairs, target


@dataclass
class Judgments:
    """The producer's own judgments (source not ``augment``) as table rows, each marked held
    out (validation) or not; ``timbre.heads.agreement`` counts how many a space agrees with."""

    pairs: np.ndarray
    pair_target: np.ndarray
    pair_held_out: np.ndarray
    triplets: np.ndarray
    triplet_held_out: np.ndarray

    def __len__(self) -> int:
        return len(self.pairs) + len(self.triplets)

    @property
    def held_out(self) -> int:
        return int(self.pair_held_out.sum() + self.triplet_held_out.sum())


@dataclass
class TrainingData:
    """Everything a head trains and validates on (see the module docstring)."""

    table: np.ndarray
    n_presets: int
    owner: np.ndarray
    val_presets: np.ndarray
    train: Examples
    val: Examples
    val_queries: np.ndarray
    summary: dict = field(default_factory=dict)
    judgments: Judgments | None = None
    views_start: int = 0  # table rows views_start.. are the presets' pitch views, n_views per preset
    n_views: int = 0


def build_training_data(vectors: np.ndarray, preset_keys: list[str], resolved: ResolvedPairs | None = None,
                        augmented: np.ndarray | None = None, aug_owner: np.ndarray | None = None, *,
                        extra: np.ndarray | None = None, views: np.ndarray | None = None,
                        val_fraction: float = 0.15, negatives_per_positive: int = 1, seed: int = 0) -> TrainingData:
    """Assemble the table and the train/validation examples (deterministic for a seed).

    ``resolved`` rows ``n..`` (``n`` = presets) refer to ``extra`` (vectors of judged files
    outside the index). With ``views`` (``(n, V, dim)``, the presets' pitch views, as search
    compares them) a clip or judged file is paired with the preset's view nearest to it, so the
    head learns what search uses: the best view of each preset."""
    n, dim = vectors.shape
    augmented = np.zeros((0, dim), np.float32) if augmented is None else augmented
    extra = np.zeros((0, dim), np.float32) if extra is None else extra
    aug_owner = np.zeros(0, np.int64) if aug_owner is None else np.asarray(aug_owner, np.int64)
    n_views = 0 if views is None else views.shape[1]
    view_rows = np.zeros((0, dim), np.float32) if views is None else views.reshape(-1, dim)
    table = np.concatenate([vectors, augmented, extra, view_rows]).astype(np.float32)
    owner = np.concatenate([np.arange(n), aug_owner, -np.ones(len(extra)), np.repeat(np.arange(n), n_views)])
    owner = owner.astype(np.int64)
    is_val = split_presets(preset_keys, val_fraction, seed)
    row_val = np.where(owner >= 0, is_val[np.maximum(owner, 0)], False)
    rng = np.random.default_rng(seed)
    user, judged = _user_examples(resolved, n, len(augmented))
    selfsup = _self_supervised(aug_owner, n, is_val, negatives_per_positive, rng)
    views_start = n + len(augmented) + len(extra)
    if n_views:
        user, selfsup = (_to_best_views(ex, table, n, views_start, n_views) for ex in (user, selfsup))
    trained = _dissimilar_on_every_view(user, views_start, n_views) if n_views else user
    train, val = (_concat([_select(ex, row_val, want_val) for ex in (trained, selfsup)])
                  for want_val in (False, True))
    val_aug = np.flatnonzero(is_val[aug_owner]) + n
    if len(val_aug) > MAX_VALIDATION_QUERIES:
        val_aug = np.sort(rng.choice(val_aug, MAX_VALIDATION_QUERIES, replace=False))
    judgments = _judgments(user, judged, row_val)
    summary = {"presets": n, "validation_presets": int(is_val.sum()), "augmented": len(augmented),
               "user_pairs": len(user.pairs), "user_triplets": len(user.triplets),
               "judgments": len(judgments), "held_out_judgments": judgments.held_out,
               "outside_files": len(extra), "augment_records": len(user) - len(judgments),
               "self_supervised_pairs": len(selfsup.pairs), "held_out_pairs": len(val.labelled_pairs()[0]),
               "train_examples": len(train), "validation_examples": len(val)}
    return TrainingData(table, n, owner, is_val, train, val, val_aug.astype(np.int64), summary, judgments,
                        views_start, n_views)


def split_presets(keys: list[str], val_fraction: float, seed: int) -> np.ndarray:
    """Boolean mask of validation presets from a seeded hash of each key (stable as the index grows)."""
    fractions = np.array([int(hashlib.sha1(f"{seed}:{k}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
                          for k in keys])
    is_val = fractions < val_fraction
    if len(keys) >= 2 and (is_val.all() or not is_val.any()):
        is_val[:] = False
        is_val[int(np.argmin(fractions))] = True  # keep both splits non-empty
    return is_val


def _user_examples(resolved: ResolvedPairs | None, n: int, n_augmented: int) -> tuple[Examples, np.ndarray]:
    """The pair-file examples (rows past the presets moved past the augmented rows) and a mask,
    pairs then triplets, of those that are the producer's judgments."""
    pairs = np.array(resolved.pairs if resolved else [], np.float64).reshape(-1, 4)
    triplets = np.array(resolved.triplets if resolved else [], np.float64).reshape(-1, 4)
    pair_rows, triplet_rows = (np.where(r >= n, r + n_augmented, r).astype(np.int64)
                               for r in (pairs[:, :2], triplets[:, :3]))
    sources = [*_sources(resolved, "pair", len(pairs)), *_sources(resolved, "triplet", len(triplets))]
    judged = np.array([s not in GENERATED_SOURCES for s in sources], bool)
    return Examples(pair_rows, pairs[:, 2].astype(np.float32), pairs[:, 3].astype(np.float32),
                    triplet_rows, triplets[:, 3].astype(np.float32)), judged


def _sources(resolved: ResolvedPairs | None, kind: str, count: int) -> list[str]:
    given = getattr(resolved, f"{kind}_sources", None) or []
    return list(given) + ["user"] * (count - len(given))


def _judgments(user: Examples, judged: np.ndarray, row_val: np.ndarray) -> Judgments:
    p, t = judged[: len(user.pairs)], judged[len(user.pairs):]
    return Judgments(user.pairs[p], user.pair_target[p], row_val[user.pairs[p]].any(axis=1),
                     user.triplets[t], row_val[user.triplets[t]].any(axis=1))


def _self_supervised(aug_owner: np.ndarray, n: int, is_val: np.ndarray, negatives: int,
                     rng: np.random.Generator) -> Examples:
    """(augmented view, its preset, 1) plus ``negatives`` random same-split presets as 0."""
    rows = np.arange(len(aug_owner)) + n
    pairs, target = [np.stack([rows, aug_owner], 1)], [np.ones(len(rows))]
    for split in (False, True):
        pool = np.flatnonzero(is_val == split)
        mine = np.flatnonzero(is_val[aug_owner] == split)
        if len(pool) < 2 or len(mine) == 0:
            continue
        for _ in range(negatives):
            other = pool[rng.integers(0, len(pool), len(mine))]
            clash = other == aug_owner[mine]
            other[clash] = pool[(np.searchsorted(pool, other[clash]) + 1) % len(pool)]
            pairs.append(np.stack([rows[mine], other], 1))
            target.append(np.zeros(len(mine)))
    pairs_arr = np.concatenate(pairs).astype(np.int64)
    return Examples(pairs_arr, np.concatenate(target).astype(np.float32), np.ones(len(pairs_arr), np.float32),
                    np.zeros((0, 3), np.int64), np.zeros(0, np.float32))


def _to_best_views(ex: Examples, table: np.ndarray, n: int, start: int, n_views: int) -> Examples:
    """``ex`` with each preset row that is compared with a non-preset row (a clip, a judged file)
    replaced by that preset's view nearest to it in ``table``."""

    def best(others: np.ndarray, presets: np.ndarray) -> np.ndarray:
        rows = start + presets[:, None] * n_views + np.arange(n_views)[None, :]
        return rows[np.arange(len(rows)), np.einsum("md,mvd->mv", table[others], table[rows]).argmax(axis=1)]

    pairs, triplets = ex.pairs.copy(), ex.triplets.copy()
    for mine, other in ((1, 0), (0, 1)):
        swap = (pairs[:, mine] < n) & (pairs[:, other] >= n)
        pairs[swap, mine] = best(pairs[swap, other], pairs[swap, mine])
    for k in (1, 2):
        swap = (triplets[:, k] < n) & (triplets[:, 0] >= n)
        triplets[swap, k] = best(triplets[swap, 0], triplets[swap, k])
    return Examples(pairs, ex.pair_target, ex.pair_weight, triplets, ex.triplet_weight)


def _dissimilar_on_every_view(ex: Examples, start: int, n_views: int) -> Examples:
    """``ex`` with each "not similar" pair of a file and a preset's view repeated for every view of
    that preset: search ranks a preset by its best view, so "not similar" must hold for all of them
    (a similar pair needs only its nearest view)."""
    a_view, b_view = ex.pairs[:, 0] >= start, ex.pairs[:, 1] >= start
    spread = (ex.pair_target == 0) & (a_view != b_view)
    if not spread.any():
        return ex
    side = np.where(a_view[spread], 0, 1)
    pairs = np.repeat(ex.pairs[spread], n_views, axis=0)
    first_view = start + (ex.pairs[spread, side] - start) // n_views * n_views
    pairs[np.arange(len(pairs)), np.repeat(side, n_views)] = (first_view[:, None] + np.arange(n_views)).ravel()
    keep = ~spread
    return Examples(np.concatenate([ex.pairs[keep], pairs]),
                    np.concatenate([ex.pair_target[keep], np.zeros(len(pairs), np.float32)]),
                    np.concatenate([ex.pair_weight[keep], np.repeat(ex.pair_weight[spread], n_views)]),
                    ex.triplets, ex.triplet_weight)


def _select(ex: Examples, row_val: np.ndarray, want_val: bool) -> Examples:
    p = row_val[ex.pairs].any(axis=1) == want_val
    t = row_val[ex.triplets].any(axis=1) == want_val
    return Examples(ex.pairs[p], ex.pair_target[p], ex.pair_weight[p], ex.triplets[t], ex.triplet_weight[t])


def _concat(parts: list[Examples]) -> Examples:
    return Examples(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                      ("pairs", "pair_target", "pair_weight", "triplets", "triplet_weight")))


def evaluate_projection(projected: np.ndarray, data: TrainingData) -> dict[str, float]:
    """Validation figures for a projected table: the similarity threshold is fitted on the
    training pairs, then pair accuracy and ROC AUC are measured on held-out pairs; MRR and
    recall@k rank each held-out augmented view's preset among all presets."""
    train_pairs, train_target = data.train.labelled_pairs()
    threshold = best_threshold(pair_scores(projected, train_pairs), train_target)
    val_pairs, val_target = data.val.labelled_pairs()
    val_scores = pair_scores(projected, val_pairs)
    figures = {"pair_accuracy": pair_accuracy(val_scores, val_target, threshold),
               "auc": roc_auc(val_scores, val_target), "threshold": threshold,
               "validation_pairs": int(len(val_pairs))}
    presets = projected[: data.n_presets]
    if data.n_views:  # ranked as search ranks them: by each preset's best view
        presets = projected[data.views_start:data.views_start + data.n_presets * data.n_views]
        presets = presets.reshape(data.n_presets, data.n_views, -1)
    figures.update(retrieval_metrics(projected[data.val_queries], data.owner[data.val_queries], presets))
    return figures
