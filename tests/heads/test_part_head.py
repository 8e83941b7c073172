"""A head trained on `spectral` ranks a `spectral+mfcc` index through its own part: the cosine is the
parts' weighted mean with `spectral` seen through the head, results are presets, and a transposed copy
of a preview still finds it first in both search modes. A head's score keeps its base share, each share
at its own best pitch view."""

import os
import sys

import numpy as np
import pytest
import soundfile as sf

torch = pytest.importorskip("torch")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "app"))

from app_demo import FAMILIES, SR, write_tone_library  # noqa: E402

from timbre.audio import pitch_shift  # noqa: E402
from timbre.embedders.base import l2_normalize  # noqa: E402
from timbre.errors import HeadError  # noqa: E402
from timbre.heads.part_head import PartHead, head_for_index  # noqa: E402
from timbre.heads.registry import load_head  # noqa: E402
from timbre.heads.train import train_head  # noqa: E402
from timbre.index import build_index, open_index  # noqa: E402
from timbre.search.query import search_library  # noqa: E402

COMBINED = "spectral:0.7+mfcc:0.3"


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    """Indexes of eight previews by `spectral`, `mfcc` and both, and a head trained on the `spectral` one."""
    root = tmp_path_factory.mktemp("part-head")
    write_tone_library(root / "lib")
    for name in ("spectral", "mfcc", COMBINED):
        build_index([str(root / "lib")], str(root / name), name, workers=0)
    train_head(str(root / "spectral"), augment=True, models_dir=str(root / "models"), max_epochs=2)
    return root


def test_a_head_fits_its_own_index_and_the_combined_one_not_another(indexes):
    head = load_head(str(indexes / "models"))
    assert head_for_index(head, open_index(str(indexes / "spectral"))) is head
    assert isinstance(head_for_index(head, open_index(str(indexes / COMBINED))), PartHead)
    with pytest.raises(HeadError, match="nor is it one of its parts"):
        head_for_index(head, open_index(str(indexes / "mfcc")))


def test_the_cosine_is_the_weighted_mean_with_the_part_through_the_head(indexes):
    head = load_head(str(indexes / "models"))
    lib = open_index(str(indexes / COMBINED))
    fitted = head_for_index(head, lib)
    vectors = lib.vectors[:2]
    spectral_dim = lib.load_embedder().parts[0].dim
    own = head.project(l2_normalize(vectors[:, :spectral_dim]))
    other = l2_normalize(vectors[:, spectral_dim:])
    expected = 0.7 * own[0] @ own[1] + 0.3 * other[0] @ other[1]
    projected = fitted.project(vectors)
    assert projected.shape == (2, fitted.output_dim)
    assert projected[0] @ projected[1] == pytest.approx(expected, abs=1e-5)
    # where search finds each share, for its own best view: the head's network, its base share, the other part
    (a0, b0), (a1, b1), (a2, b2) = fitted.output_columns
    members = sum(m(torch.from_numpy(l2_normalize(vectors[:, :spectral_dim]))).detach().numpy() for m in head.nets)
    net = l2_normalize(members)  # a head's network part: its members' outputs summed, re-normalised
    assert len(head.nets) == 3  # the default
    own_base = l2_normalize(vectors[:, :spectral_dim])
    w = head.base_weight
    assert w == pytest.approx(0.2)  # the default a new head is trained with
    assert projected[0, a0:b0] @ projected[1, a0:b0] == pytest.approx(0.7 * (1 - w) * net[0] @ net[1], abs=1e-5)
    assert projected[0, a1:b1] @ projected[1, a1:b1] == pytest.approx(0.7 * w * own_base[0] @ own_base[1], abs=1e-5)
    assert projected[0, a2:b2] @ projected[1, a2:b2] == pytest.approx(0.3 * other[0] @ other[1], abs=1e-5)


@pytest.mark.parametrize("thorough", [False, True])
def test_a_transposed_copy_finds_its_preview_first_through_a_part_head(indexes, thorough):
    for family in FAMILIES:
        preview, _ = sf.read(indexes / "lib" / family / f"{family} 0.wav", dtype="float32")
        target = str(indexes / f"{family}-up.wav")
        sf.write(target, pitch_shift(preview, SR, 7), SR)
        hits = search_library(str(indexes / COMBINED), [target], top=3, head_ref="latest",
                              models_dir=str(indexes / "models"), thorough=thorough)[0].hits
        assert hits[0].name == f"{family} 0", (family, [h.name for h in hits])
        assert len({h.path for h in hits}) == len(hits)  # presets, never views


def test_the_app_offers_the_part_head_on_the_combined_index(indexes, tmp_path):
    from timbre.workspace.session import Workspace

    head = load_head(str(indexes / "models"))
    for name, offered in (("spectral", True), (COMBINED, True), ("mfcc", False)):
        workspace = Workspace(str(indexes / name), models_dir=str(indexes / "models"), home=str(tmp_path / name))
        assert ([h["id"] for h in workspace.fitting_heads()] == [head.id]) is offered, name


def test_search_scores_a_preset_by_the_heads_share_and_the_base_share_each_at_its_best_view(indexes):
    from timbre.heads.model import ProjectionHead
    from timbre.search.engine import rank_rows
    from timbre.search.space import library_space

    head = load_head(str(indexes / "models"))
    lib = open_index(str(indexes / "spectral"))
    _, base = library_space(lib)  # (presets, pitch views, dim)
    assert base.shape[1] > 1
    queries = base[[0, 3, 5], 2]  # previews heard at another pitch
    network = ProjectionHead(head.nets, "", head.embedder_fingerprint).project  # the networks, no base share
    net_views = network(base.reshape(-1, base.shape[2])).reshape(len(base), base.shape[1], -1)
    best = lambda space, q: np.einsum("rvd,qd->rvq", space, q).max(axis=1)  # noqa: E731
    expected = 0.8 * best(net_views, network(queries)) + 0.2 * best(base, queries)
    scores, ids = rank_rows(lib, queries, len(lib), head=head)
    for i in range(len(queries)):
        np.testing.assert_allclose(scores[i], expected[ids[i], i], atol=1e-5)
        assert sorted(ids[i]) == list(range(len(lib))) and np.all(np.diff(scores[i]) <= 0)  # presets, best first
