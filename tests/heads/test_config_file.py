"""configs/head.toml and the package's built-in defaults must stay identical."""

import os
import tomllib

from timbre.heads.config import DEFAULT_CONFIG, load_head_config

CONFIG = os.path.join(os.path.dirname(__file__), "..", "..", "configs", "head.toml")


def test_head_toml_equals_default_config():
    with open(CONFIG, "rb") as fh:
        assert tomllib.load(fh) == DEFAULT_CONFIG


def test_head_toml_loads_as_a_config_file():
    assert load_head_config(CONFIG) == DEFAULT_CONFIG
