"""Which systems ``evaluate`` runs."""

import pytest

from timbre.errors import TimbreError
from timbre.evaluation.runner import _system_embedders


def test_the_mfcc_baseline_is_always_evaluated_once():
    assert _system_embedders([]) == ["spectral", "mfcc"]
    assert _system_embedders(["clap", "spectral", "clap"]) == ["clap", "spectral", "mfcc"]
    assert _system_embedders(["mfcc", "spectral"]) == ["mfcc", "spectral"]


def test_an_unknown_embedder_is_refused_by_name():
    with pytest.raises(TimbreError, match="unknown embedder 'nope'; available: .*spectral"):
        _system_embedders(["spectral", "nope"])


def test_combined_spaces_are_systems_under_their_stored_name():
    assert _system_embedders(["spectral:1+mfcc:1", "spectral:0.9+mfcc:0.1"]) == [
        "spectral+mfcc", "spectral:0.9+mfcc:0.1", "mfcc"]
    with pytest.raises(TimbreError, match="unknown embedder 'nope'"):
        _system_embedders(["spectral+nope"])
