"""Pair selection strategies."""

from types import SimpleNamespace

import numpy as np
import pytest

import timbre.search
from timbre.errors import HeadError, LabelingError
from timbre.labeling.strategies import STRATEGIES, pair_id, select_candidates


def _ids(lib, cands, mode="pair"):
    return [pair_id([lib.hashes[r] for r in c.rows], mode) for c in cands]


@pytest.mark.parametrize("strategy", ["uncertainty", "diverse", "random"])
@pytest.mark.parametrize("mode", ["pair", "triplet"])
def test_each_strategy_gives_n_distinct_new_questions(library, strategy, mode):
    cands = select_candidates(library, strategy, 12, mode=mode, seed=1)
    assert len(cands) == 12
    assert all(len(set(c.rows)) == len(c.rows) == (3 if mode == "triplet" else 2) for c in cands)
    assert len(set(_ids(library, cands, mode))) == 12
    again = select_candidates(library, strategy, 12, mode=mode, seed=1, exclude=set(_ids(library, cands, mode)))
    assert not set(_ids(library, again, mode)) & set(_ids(library, cands, mode))


def test_pair_id_ignores_the_order_of_a_and_b_but_not_the_reference():
    assert pair_id(["x", "y"], "pair") == pair_id(["y", "x"], "pair")
    assert pair_id(["r", "x", "y"], "triplet") == pair_id(["r", "y", "x"], "triplet")
    assert pair_id(["r", "x", "y"], "triplet") != pair_id(["x", "r", "y"], "triplet")


def test_unusable_rows_are_never_chosen(library):
    cands = select_candidates(library, "random", 20, usable=lambda row: row % 2 == 0)
    assert all(r % 2 == 0 for c in cands for r in c.rows)


def test_uncertainty_prefers_pairs_near_the_head_boundary(library):
    head = SimpleNamespace(id="h1", embedder_fingerprint="fp", project=lambda v: v)
    cands = select_candidates(library, "uncertainty", 10, head=head, threshold=0.5)
    sims = [float(library.vectors[a] @ library.vectors[b]) for a, b in (c.rows for c in cands)]
    every = library.vectors @ library.vectors.T
    typical = np.median(np.abs(every[np.triu_indices(len(every), 1)] - 0.5))
    assert np.mean(np.abs(np.array(sims) - 0.5)) < typical


@pytest.mark.parametrize("fingerprint, project, message", [
    ("another-embedder", lambda v: v, "trained on embedder fingerprint"),
    ("fp", lambda v: v * np.nan, "NaN"),
])
def test_uncertainty_refuses_a_head_that_does_not_fit_the_index(library, fingerprint, project, message):
    head = SimpleNamespace(id="h1", embedder_fingerprint=fingerprint, project=project)
    with pytest.raises(HeadError, match=message):
        select_candidates(library, "uncertainty", 10, head=head, threshold=0.5)


def test_queries_pairs_come_from_each_targets_result_list(library, monkeypatch):
    def fake_search(lib, targets, top=10, head=None, progress=None):
        hits = {"loop1.wav": [0, 4, 8, 12], "loop2.wav": [1, 5, 9]}
        return [SimpleNamespace(target=t, hits=[SimpleNamespace(path=lib.paths[r], score=1 - 0.01 * k, rank=k + 1)
                                                for k, r in enumerate(hits[t])]) for t in targets]

    monkeypatch.setattr(timbre.search, "search_audio", fake_search, raising=False)
    cands = select_candidates(library, "queries", 6, targets=["loop1.wav", "loop2.wav"])
    rows = {r for c in cands for r in c.rows}
    assert len(cands) == 6 and rows <= {0, 4, 8, 12, 1, 5, 9}
    assert {frozenset(c.rows) <= {0, 4, 8, 12} for c in cands} == {True, False}  # both targets served
    with pytest.raises(LabelingError, match="--targets"):
        select_candidates(library, "queries", 3)


def test_unknown_strategy_lists_the_known_ones(library):
    with pytest.raises(LabelingError, match=", ".join(STRATEGIES)):
        select_candidates(library, "smart", 3)
