"""Which pairs (or triplets) of presets to ask a person about.

- ``queries``: the user's own target loops are searched; presets near each other in a result
  list (near-ties, and each hit against the top hit) are the pairs whose answer reorders it.
- ``uncertainty``: pairs whose similarity under the current head (or the base embedding when no
  head exists yet) sits nearest the decision boundary.
- ``diverse``: anchors spread over the whole library (farthest-point sampling), each paired with
  one of its near neighbours, so the labels cover every corner of the sound space.
- ``random``: uniform pairs, an unbiased sample for checking a head.

Every strategy yields candidates best first; ``select_candidates`` drops the ones already sent
or labeled (by pair id) and keeps ``n``. Rows are index rows; in triplet mode the first row is
the reference R.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np

from timbre.errors import LabelingError
from timbre.labeling.interface import check_mode

STRATEGIES = ("queries", "uncertainty", "diverse", "random")
NEIGHBOURS = 20  # how far down a neighbour list candidate partners are drawn from


@dataclass(frozen=True)
class Candidate:
    """One question: index rows ``(a, b)`` or ``(r, a, b)`` and why it was picked."""

    rows: tuple[int, ...]
    reason: str


def pair_id(hashes: Iterable[str], mode: str) -> str:
    """A stable id of a question from the files' content hashes (A/B order does not matter)."""
    hashes = list(hashes)
    key = hashes[:1] + sorted(hashes[1:]) if mode == "triplet" else sorted(hashes)
    return hashlib.sha1("\x1f".join([mode, *key]).encode()).hexdigest()[:16]


def select_candidates(lib, strategy: str, n: int, *, mode: str = "pair", targets: list[str] | None = None,
                      head=None, threshold: float | None = None, exclude: set[str] | None = None, usable=None,
                      seed: int = 0, progress=None) -> list[Candidate]:
    """Up to ``n`` new questions from ``lib`` (a ``LibraryIndex``), best first.

    ``head`` (search ``Head`` protocol) and its similarity ``threshold`` shape ``queries`` and
    ``uncertainty`` (without a threshold the median neighbour similarity is the boundary).
    ``exclude`` holds pair ids already pushed or labeled; ``usable(row) -> bool`` can veto rows
    (e.g. files gone from disk)."""
    check_mode(mode)
    if strategy not in STRATEGIES:
        raise LabelingError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if len(lib.records) < (3 if mode == "triplet" else 2):
        raise LabelingError(f"{lib.path}: the index holds {len(lib.records)} presets, too few to make {mode}s")
    rng = np.random.default_rng(seed)
    if strategy == "queries":
        if not targets:
            raise LabelingError("--strategy queries needs your target files: add --targets loop.wav ...")
        stream = _from_queries(lib, targets, mode, head, progress)
    elif strategy == "uncertainty":
        from timbre.search.space import plain_space

        stream = _uncertain(plain_space(lib, head), mode, rng, threshold)
    elif strategy == "diverse":
        stream = _diverse(lib.vectors, mode, rng)
    else:
        stream = _random(len(lib.records), mode, rng)
    return _take(stream, n, lib.hashes, mode, set(exclude or ()), usable)


def _take(stream: Iterator[Candidate], n: int, hashes: list[str], mode: str, exclude: set[str],
          usable) -> list[Candidate]:
    chosen: list[Candidate] = []
    for cand in stream:
        if len(chosen) >= n:
            break
        if len(set(cand.rows)) < len(cand.rows) or (usable and not all(usable(r) for r in cand.rows)):
            continue
        pid = pair_id([hashes[r] for r in cand.rows], mode)
        if pid not in exclude:
            exclude.add(pid)
            chosen.append(cand)
    return chosen


def _from_queries(lib, targets: list[str], mode: str, head, progress) -> Iterator[Candidate]:
    """Near-ties in each target's result list, round-robin over the targets."""
    from timbre.search import search_audio

    results = search_audio(lib, targets, top=NEIGHBOURS, head=head, progress=progress)
    row_of = {path: i for i, path in enumerate(lib.paths)}
    per_target = [_query_questions(res, row_of, mode) for res in results]
    for batch in itertools.zip_longest(*per_target):
        yield from (c for c in batch if c is not None)


def _query_questions(result, row_of: dict[str, int], mode: str) -> list[Candidate]:
    hits = [(row_of[h.path], h.score, h.rank) for h in result.hits if h.path in row_of]
    name = result.target.rsplit("/", 1)[-1]
    questions = []
    for (ra, sa, ka), (rb, sb, kb) in itertools.combinations(hits, 2):
        gap = abs(sa - sb)
        if mode == "pair" and (kb == ka + 1 or ka == hits[0][2]):
            questions.append((gap, Candidate((ra, rb), f"query {name}: ranks {ka} and {kb}")))
        elif mode == "triplet" and ka != hits[0][2] and kb == ka + 1:
            questions.append((gap, Candidate((hits[0][0], ra, rb), f"query {name}: ranks {ka} vs {kb}")))
    return [c for _, c in sorted(questions, key=lambda q: q[0])]


def _neighbours(vectors: np.ndarray, anchors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each anchor row, its ``k`` most similar other rows and their cosine similarities."""
    sims = vectors[anchors] @ vectors.T
    sims[np.arange(len(anchors)), anchors] = -np.inf
    k = min(k, len(vectors) - 1)
    order = np.argsort(-sims, axis=1)[:, :k]
    return order, np.take_along_axis(sims, order, axis=1)


def _uncertain(vectors: np.ndarray, mode: str, rng, threshold: float | None) -> Iterator[Candidate]:
    """Neighbour pairs whose similarity is closest to the boundary (or triplets closest to a tie)."""
    anchors = rng.choice(len(vectors), size=min(len(vectors), 512), replace=False)
    order, sims = _neighbours(vectors, anchors, NEIGHBOURS)
    if mode == "pair":
        boundary = float(np.median(sims)) if threshold is None else float(threshold)
        flat = np.argsort(np.abs(sims - boundary), axis=None)
        for i, j in zip(*np.unravel_index(flat, sims.shape)):
            yield Candidate((int(anchors[i]), int(order[i, j])), f"similarity {sims[i, j]:.3f} near {boundary:.3f}")
        return
    questions = []
    for i, anchor in enumerate(anchors):
        gaps = np.abs(np.diff(sims[i]))
        j = int(np.argmin(gaps))
        questions.append((gaps[j], Candidate((int(anchor), int(order[i, j]), int(order[i, j + 1])),
                                             f"near-tie {gaps[j]:.3f}")))
    yield from (c for _, c in sorted(questions, key=lambda q: q[0]))


def _farthest_points(vectors: np.ndarray, count: int, rng) -> list[int]:
    chosen = [int(rng.integers(len(vectors)))]
    distance = 1.0 - vectors @ vectors[chosen[0]]
    while len(chosen) < min(count, len(vectors)):
        nxt = int(np.argmax(distance))
        chosen.append(nxt)
        distance = np.minimum(distance, 1.0 - vectors @ vectors[nxt])
    return chosen


def _diverse(vectors: np.ndarray, mode: str, rng) -> Iterator[Candidate]:
    """Spread-out anchors, each with near neighbours (pair) or a near and a far one (triplet)."""
    anchors = np.asarray(_farthest_points(vectors, 256, rng))
    order, _ = _neighbours(vectors, anchors, NEIGHBOURS)
    width = order.shape[1]
    for rank in range(width):
        for i, anchor in enumerate(anchors):
            if mode == "pair":
                partner = int(order[i, rng.integers(0, min(width, rank + 3))])
                yield Candidate((int(anchor), partner), "coverage: anchor with a neighbour")
            elif width >= 2:
                near, far = sorted(rng.choice(width, size=2, replace=False))
                yield Candidate((int(anchor), int(order[i, near]), int(order[i, far])), "coverage")


def _random(count: int, mode: str, rng) -> Iterator[Candidate]:
    size = 3 if mode == "triplet" else 2
    for _ in range(50 * count + 1000):
        yield Candidate(tuple(int(r) for r in rng.choice(count, size=size, replace=False)), "random")
