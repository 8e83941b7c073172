"""A head trained on `spectral` ranks a `spectral+mfcc` index through its own part: the cosine is the
parts' weighted mean with `spectral` seen through the head, results are presets, and a transposed copy
of a preview still finds it first in both search modes."""

import os
import sys

import pytest
import soundfile as sf

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
    (a0, b0), (a1, b1) = fitted.output_columns  # where search finds each part's share, for its own best view
    assert projected[0, a0:b0] @ projected[1, a0:b0] == pytest.approx(0.7 * own[0] @ own[1], abs=1e-5)
    assert projected[0, a1:b1] @ projected[1, a1:b1] == pytest.approx(0.3 * other[0] @ other[1], abs=1e-5)


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
