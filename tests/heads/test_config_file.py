"""configs/head.toml and the package's built-in defaults must stay identical."""

import os
import tomllib

import pytest

from timbre.errors import TimbreError
from timbre.heads.config import DEFAULT_CONFIG, load_head_config

CONFIG = os.path.join(os.path.dirname(__file__), "..", "..", "configs", "head.toml")


def test_head_toml_equals_default_config():
    with open(CONFIG, "rb") as fh:
        assert tomllib.load(fh) == DEFAULT_CONFIG


def test_head_toml_loads_as_a_config_file():
    assert load_head_config(CONFIG) == DEFAULT_CONFIG


def test_base_weight_is_a_share_below_one():
    assert load_head_config({"search": {"base_weight": 0}})["search"]["base_weight"] == 0.0
    for bad in (-0.1, 1, 1.5):
        with pytest.raises(TimbreError, match="search.base_weight must be >= 0 and < 1"):
            load_head_config({"search": {"base_weight": bad}})


def test_members_is_a_small_whole_number():
    assert load_head_config({"model": {"members": 3}})["model"]["members"] == 3
    for bad in (0, 9):
        with pytest.raises(TimbreError, match="model.members must be between 1 and 8"):
            load_head_config({"model": {"members": bad}})
