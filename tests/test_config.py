from timbre.config import embedder_choice, load_config
from timbre.errors import TimbreError

import pytest


def test_cli_values_win_over_the_config_file(tmp_path, monkeypatch):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[embedder]\nname = "clap"\n[embedder.options]\nmodel = "/m/clap"\n')
    monkeypatch.setenv("TIMBRE_CONFIG", str(cfg))
    assert embedder_choice().name == "clap"
    assert embedder_choice().options == {"model": "/m/clap"}
    assert embedder_choice("spectral").options == {}
    assert embedder_choice("clap", "/other").options == {"model": "/other"}


def test_no_config_means_no_choice(tmp_path, monkeypatch):
    monkeypatch.setenv("TIMBRE_CONFIG", str(tmp_path / "absent.toml"))
    assert load_config() == {}
    assert embedder_choice() is None


def test_broken_config_is_one_clear_line(tmp_path, monkeypatch):
    cfg = tmp_path / "config.toml"
    cfg.write_text("[embedder\n")
    monkeypatch.setenv("TIMBRE_CONFIG", str(cfg))
    with pytest.raises(TimbreError, match="not valid TOML"):
        load_config()


def test_model_without_embedder_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TIMBRE_CONFIG", str(tmp_path / "absent.toml"))
    with pytest.raises(TimbreError, match="--model needs --embedder"):
        embedder_choice(None, "/some/model")
