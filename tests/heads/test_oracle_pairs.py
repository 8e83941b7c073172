"""A head learns a preference the base space barely expresses, and generalises to new presets."""

import pytest

pytest.importorskip("pytorch_lightning")

from synthetic import brightness_vectors, oracle_pairs  # noqa: E402

from timbre.heads.config import load_head_config  # noqa: E402
from timbre.heads.examples import build_training_data, evaluate_projection  # noqa: E402
from timbre.heads.fit import fit_projection  # noqa: E402
from timbre.heads.model import ProjectionHead  # noqa: E402


def test_head_trained_on_oracle_pairs_beats_the_base_space_on_held_out_presets():
    vectors, bright = brightness_vectors(n=240, dim=16)
    data = build_training_data(vectors, [f"preset{i}" for i in range(len(vectors))], oracle_pairs(bright, 600),
                               val_fraction=0.3, seed=0)
    cfg = load_head_config({"loss": {"name": "contrastive", "margin": 1.0}, "model": {"hidden_dim": 32, "dropout": 0.0},
                            "optimizer": {"lr": 1e-2, "weight_decay": 0.0},
                            "trainer": {"max_epochs": 30, "batch_size": 64, "patience": 10}})
    fit = fit_projection(data, cfg)
    before = evaluate_projection(data.table, data)
    after = evaluate_projection(ProjectionHead(fit.net, "h", "fp").project(data.table), data)
    assert before["pair_accuracy"] < 0.6  # the base cosine is near chance
    assert after["pair_accuracy"] >= 0.9
    assert after["auc"] > 0.95
