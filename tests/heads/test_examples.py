"""Train/validation split by preset, self-supervised pairs, validation figures."""

import numpy as np

from synthetic import brightness_vectors, oracle_pairs

from timbre.heads.examples import build_training_data, evaluate_projection, split_presets
from timbre.heads.metrics import best_threshold, roc_auc
from timbre.heads.pairs import ResolvedPairs


def _data(augment=True):
    vectors, bright = brightness_vectors(n=60, dim=8)
    views = vectors.repeat(2, axis=0) + 0.01
    owner = np.arange(60).repeat(2)
    return build_training_data(vectors, [f"k{i}" for i in range(60)], oracle_pairs(bright, 200),
                               views if augment else None, owner if augment else None,
                               val_fraction=0.25, negatives_per_positive=2, seed=3)


def test_no_training_example_touches_a_validation_preset():
    data = _data()
    train_rows = np.concatenate([data.train.pairs.ravel(), data.train.triplets.ravel()])
    assert not data.val_presets[data.owner[train_rows]].any()
    assert data.val_presets[data.owner[data.val.pairs]].any(axis=1).all()
    assert data.val_presets[data.owner[data.val_queries]].all()
    assert len(data.train) and len(data.val)


def test_split_is_deterministic_and_stable_for_existing_presets():
    keys = [f"hash{i}" for i in range(200)]
    first = split_presets(keys, 0.2, seed=0)
    assert np.array_equal(first, split_presets(keys, 0.2, seed=0))
    assert np.array_equal(first, split_presets(keys + ["new1", "new2"], 0.2, seed=0)[:200])
    assert 20 < first.sum() < 60


def test_self_supervised_pairs_pair_each_view_with_its_preset_and_other_presets():
    data = _data()
    n = data.n_presets
    view_pairs = np.concatenate([data.train.pairs, data.val.pairs])
    view_pairs = view_pairs[view_pairs[:, 0] >= n]
    targets = np.concatenate([data.train.pair_target, data.val.pair_target])[
        np.concatenate([data.train.pairs, data.val.pairs])[:, 0] >= n]
    positives, negatives = view_pairs[targets == 1], view_pairs[targets == 0]
    assert np.array_equal(data.owner[positives[:, 0]], positives[:, 1])
    assert len(negatives) == 2 * len(positives)
    assert (data.owner[negatives[:, 0]] != negatives[:, 1]).all()


def test_identity_projection_gives_base_figures():
    data = _data()
    figures = evaluate_projection(data.table, data)
    assert 0 <= figures["pair_accuracy"] <= 1 and 0 <= figures["auc"] <= 1
    assert figures["mrr"] > 0.9  # each view is its preset + a tiny offset


def test_auc_and_threshold_on_known_scores():
    scores, labels = np.array([0.9, 0.8, 0.3, 0.1]), np.array([1, 1, 0, 0])
    assert roc_auc(scores, labels) == 1.0
    assert roc_auc(scores, 1 - labels) == 0.0
    assert roc_auc(np.array([0.5, 0.5]), np.array([1, 0])) == 0.5
    assert 0.3 < best_threshold(scores, labels) < 0.8


def test_judged_files_outside_the_index_get_rows_but_no_split_of_their_own():
    vectors, bright = brightness_vectors(n=40, dim=8)
    views, owner = vectors.repeat(2, axis=0) + 0.01, np.arange(40).repeat(2)
    targets = np.eye(2, 8, dtype=np.float32)  # rows 40 and 41 of the resolved records
    resolved = ResolvedPairs([(40, p, float(p % 2), 1.0) for p in range(40)] + [(3, 5, 1.0, 1.0)],
                             [(41, 0, 1, 1.0)], [], ["app"] * 40 + ["augment"], ["app"])
    data = build_training_data(vectors, [f"k{i}" for i in range(40)], resolved, views, owner, extra=targets,
                               val_fraction=0.25, seed=3)
    target_rows = np.flatnonzero(data.owner == -1)
    assert list(target_rows) == [120, 121]
    np.testing.assert_array_equal(data.table[target_rows], targets)
    # the pair (target, preset p) is held out exactly when p is a validation preset
    for split, want in ((data.train, False), (data.val, True)):
        mine = split.pairs[split.pairs[:, 0] == 120]
        assert (data.val_presets[mine[:, 1]] == want).all()
    assert len(data.train.pairs[data.train.pairs[:, 0] == 120]) + len(data.val.pairs[data.val.pairs[:, 0] == 120]) == 40
    # judgments: the 41 app records, not the augment one; held out = those touching a validation preset
    judged = data.judgments
    assert len(judged) == 41 and data.summary["judgments"] == 41 and data.summary["augment_records"] == 1
    assert judged.held_out == int(data.val_presets.sum() + data.val_presets[[0, 1]].any())
    assert data.summary["held_out_judgments"] == judged.held_out and data.summary["outside_files"] == 2
    # retrieval is still measured over presets only, exactly as without the outside rows
    plain = build_training_data(vectors, [f"k{i}" for i in range(40)], None, views, owner,
                                val_fraction=0.25, seed=3)
    mrr = evaluate_projection(data.table, data)["mrr"]
    assert mrr == evaluate_projection(plain.table, plain)["mrr"]
