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
