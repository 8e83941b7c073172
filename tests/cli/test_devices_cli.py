"""`--device auto|cpu|cuda|mps` on index, search, train and app, end to end with the toy embedders.

GPU availability is mocked; the tiny torch embedder records the device it was built for and
computes on the CPU, so a 'cuda' run works here and must give the same index as a cpu run."""

import json
import os
import sys

import pytest
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "index"))
sys.path.insert(0, os.path.join(HERE, "..", "heads"))

import toy_embedders  # noqa: E402
from cli_run import timbre  # noqa: E402
from heads_toy_embedder import make_presets  # noqa: E402

from timbre import embedders  # noqa: E402

NO_CUDA = "error: cuda is not available on this machine — use --device auto or cpu"


@pytest.fixture(autouse=True)
def setup(monkeypatch, tmp_path):
    for name, target in toy_embedders.REGISTRY.items():
        monkeypatch.setitem(embedders.BUILTIN, name, target)
    monkeypatch.setitem(embedders.BUILTIN, "headtoy", "heads_toy_embedder:HeadToyEmbedder")
    monkeypatch.setattr(toy_embedders.TorchToyEmbedder, "placed_on", [])
    monkeypatch.setenv("TIMBRE_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("TIMBRE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TIMBRE_THREADS", "1")


def have(monkeypatch, cuda=False, mps=False):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


def index_torchtoy(monkeypatch, capsys, tmp_path, *flags):
    toy_embedders.make_library(tmp_path / "lib", banks=2, per_bank=3)
    return timbre(monkeypatch, capsys, "index", tmp_path / "lib", "--index", tmp_path / "idx",
                  "--embedder", "torchtoy", "--workers", "0", *flags)


@pytest.mark.parametrize("command", [
    ["index", "LIB", "--embedder", "toy"], ["search", "TARGET"], ["train", "--augment"], ["app", "--no-browser"],
])
def test_every_command_refuses_an_absent_gpu_in_one_line(monkeypatch, capsys, tmp_path, command):
    have(monkeypatch)
    toy_embedders.make_library(tmp_path / "lib", banks=1, per_bank=2)
    args = [str(tmp_path / "lib") if a == "LIB" else str(tmp_path / "lib" / "bank0" / "preset 0-0.wav")
            if a == "TARGET" else a for a in command]
    code, out, err = timbre(monkeypatch, capsys, *args, "--index", tmp_path / "idx", "--device", "cuda")
    assert code == 2 and err.strip().splitlines() == [NO_CUDA]
    assert not (tmp_path / "idx").exists()


def test_an_unknown_device_names_the_choices(monkeypatch, capsys, tmp_path):
    code, _, err = index_torchtoy(monkeypatch, capsys, tmp_path, "--device", "tpu")
    assert code == 2 and "error: unknown device 'tpu' — use one of auto, cpu, cuda, mps" in err


@pytest.mark.parametrize("cuda, mps, expected", [(True, False, "cuda"), (False, True, "mps"), (False, False, "cpu")])
def test_index_auto_picks_cuda_then_mps_then_cpu(monkeypatch, capsys, tmp_path, cuda, mps, expected):
    have(monkeypatch, cuda, mps)
    code, _, err = index_torchtoy(monkeypatch, capsys, tmp_path)  # no flag: auto
    assert code == 0, err
    assert toy_embedders.TorchToyEmbedder.placed_on == [expected]


def test_config_device_is_used_and_the_flag_wins(monkeypatch, capsys, tmp_path):
    have(monkeypatch, cuda=True, mps=True)
    config = tmp_path / "config.toml"
    config.write_text('[embedder]\nname = "torchtoy"\n[embedder.options]\ndevice = "mps"\n')
    monkeypatch.setenv("TIMBRE_CONFIG", str(config))
    toy_embedders.make_library(tmp_path / "lib", banks=1, per_bank=2)
    code, _, err = timbre(monkeypatch, capsys, "index", tmp_path / "lib", "--index", tmp_path / "idx", "--workers", "0")
    assert code == 0, err
    code, _, err = timbre(monkeypatch, capsys, "search", tmp_path / "lib" / "bank0" / "preset 0-0.wav",
                          "--index", tmp_path / "idx", "--device", "cpu")
    assert code == 0, err
    assert toy_embedders.TorchToyEmbedder.placed_on == ["mps", "cpu"]
    spec = json.loads((tmp_path / "idx" / "index.json").read_text())["embedder"]
    assert "device" not in spec["options"]


def test_an_index_built_on_a_gpu_is_searched_on_the_cpu_with_the_same_fingerprint(monkeypatch, capsys, tmp_path):
    have(monkeypatch, cuda=True)
    code, _, err = index_torchtoy(monkeypatch, capsys, tmp_path, "--device", "cuda")
    assert code == 0, err
    target = tmp_path / "lib" / "bank1" / "preset 1-2.wav"
    code, out, err = timbre(monkeypatch, capsys, "search", target, "--index", tmp_path / "idx", "--device", "cpu",
                            "--format", "json", "--top", "1")
    assert code == 0, err
    hit = json.loads(out)[0]["results"][0]
    assert hit["name"] == "preset 1-2" and hit["score"] == pytest.approx(1.0, abs=1e-5)
    code, _, err = index_torchtoy(monkeypatch, capsys, tmp_path, "--device", "cpu")  # update on the cpu: no mismatch
    assert code == 0, err
    assert toy_embedders.TorchToyEmbedder.placed_on == ["cuda", "cpu", "cpu"]


def test_half_on_a_cpu_where_bfloat16_is_slow_says_it_runs_float32(monkeypatch, capsys, tmp_path):
    from timbre.embedders import placement

    have(monkeypatch)
    monkeypatch.setattr(placement, "probe_seconds", lambda model: 2.0 if getattr(model, "half", False) else 1.0)
    code, _, err = index_torchtoy(monkeypatch, capsys, tmp_path, "--device", "cpu", "--half")
    assert code == 0 and "note: bfloat16 is not faster than float32 on this CPU (0.50x on a probe clip); " \
                         "running in float32" in err


def test_train_runs_lightning_on_the_chosen_device(monkeypatch, capsys, tmp_path):
    import pytorch_lightning as pl

    from timbre.index import build_index

    have(monkeypatch, cuda=True)
    make_presets(str(tmp_path / "lib"), 8)
    build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), "headtoy", workers=0)
    seen = []

    class Stop(Exception):
        pass

    def fake_trainer(**kwargs):
        seen.append((kwargs["accelerator"], kwargs["devices"]))
        raise Stop()

    monkeypatch.setattr(pl, "Trainer", fake_trainer)
    for device in ("cuda", "cpu", "auto"):
        with pytest.raises(Stop):
            from timbre.heads.train import train_head
            from timbre.devices import Placement

            train_head(str(tmp_path / "idx"), pairs=(), augment=True, models_dir=str(tmp_path / "models"),
                       config={"augment": {"variants_per_preset": 1}}, placement=Placement(device))
    assert seen == [("gpu", 1), ("cpu", 1), ("gpu", 1)]
    assert os.environ.get("CUBLAS_WORKSPACE_CONFIG")  # deterministic cuBLAS on the GPU


def test_app_loads_its_embedder_on_the_chosen_device(monkeypatch, capsys, tmp_path):
    import timbre.app.run as app_run

    have(monkeypatch, mps=True)
    code, _, err = index_torchtoy(monkeypatch, capsys, tmp_path, "--device", "cpu")
    assert code == 0, err
    served = []
    monkeypatch.setattr(app_run, "serve", lambda workspace, **kw: served.append(workspace))
    code, _, err = timbre(monkeypatch, capsys, "app", "--index", tmp_path / "idx", "--no-browser", "--device", "mps")
    assert code == 0, err
    assert served[0].lib.placement.device == "mps" and served[0].model.device == "mps"
    assert toy_embedders.TorchToyEmbedder.placed_on == ["cpu", "mps"]


@pytest.mark.parametrize("command", ["index", "search", "train", "app"])
def test_help_lists_device_and_half(monkeypatch, capsys, command):
    code, out, _ = timbre(monkeypatch, capsys, command, "--help")
    assert code == 0 and "--device" in out and "auto" in out and "--half" in out
