"""Embedders on a device: torch embedders get the resolved device, weights-free ones ignore it, the
fingerprint never changes, an Apple-GPU gap is one line, half precision is kept only when it is
harmless. Availability is mocked; the tiny torch embedder computes on the CPU whatever it is given."""

import contextlib
import re
import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "index"))

import toy_embedders  # noqa: E402

from timbre import embedders  # noqa: E402
from timbre.devices import Placement  # noqa: E402
from timbre.embedders import load_embedder, placement  # noqa: E402
from timbre.errors import DeviceError  # noqa: E402


@pytest.fixture(autouse=True)
def registry(monkeypatch):
    monkeypatch.setitem(embedders.BUILTIN, "torchtoy", "toy_embedders:TorchToyEmbedder")
    monkeypatch.setattr(toy_embedders.TorchToyEmbedder, "placed_on", [])


def have(monkeypatch, cuda=False, mps=False):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


def clips():
    return [toy_embedders.tone(f) for f in (220.0, 330.0, 440.0)]


@pytest.mark.parametrize("cuda, mps, expected", [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")])
def test_auto_puts_a_torch_embedder_on_the_best_device(monkeypatch, cuda, mps, expected):
    have(monkeypatch, cuda, mps)
    model = load_embedder("torchtoy", Placement("auto"))
    assert toy_embedders.TorchToyEmbedder.placed_on == [expected]
    assert model.device == expected


def test_the_device_does_not_change_vectors_or_fingerprint(monkeypatch):
    have(monkeypatch, cuda=True)
    on_gpu = load_embedder("torchtoy", Placement("cuda"))
    on_cpu = load_embedder("torchtoy", Placement("cpu"))
    assert on_gpu.fingerprint() == on_cpu.fingerprint() and on_gpu.spec() == on_cpu.spec()
    np.testing.assert_allclose(on_gpu.embed_audio(clips()), on_cpu.embed_audio(clips()), atol=1e-6)


def test_weights_free_embedders_ignore_the_device(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: pytest.fail("a weights-free embedder needs no GPU probe"))
    model = load_embedder("spectral", Placement("auto", half=True))
    assert type(model).__name__ == "SpectralEmbedder"


def test_an_absent_gpu_fails_before_loading(monkeypatch):
    have(monkeypatch)
    with pytest.raises(DeviceError, match="^cuda is not available on this machine — use --device auto or cpu$"):
        load_embedder("torchtoy", Placement("cuda"))
    assert toy_embedders.TorchToyEmbedder.placed_on == []


def test_an_operation_missing_on_mps_is_one_line_with_the_fallback_advice(monkeypatch):
    have(monkeypatch, mps=True)
    model = load_embedder("torchtoy", Placement("mps"))

    def missing(self, batch):
        raise NotImplementedError("The operator 'aten::_fft_r2c' is not currently implemented for the MPS device.\n"
                                  "If you want this op to be added in priority ...")

    monkeypatch.setattr(toy_embedders.TorchToyEmbedder, "embed_audio", missing)
    with pytest.raises(DeviceError) as err:
        model.embed_audio(clips())
    message = str(err.value)
    assert "\n" not in message and "aten::_fft_r2c" in message
    assert "PYTORCH_ENABLE_MPS_FALLBACK=1" in message and "--device cpu" in message


def test_other_errors_on_mps_are_not_disguised(monkeypatch):
    have(monkeypatch, mps=True)
    model = load_embedder("torchtoy", Placement("mps"))
    monkeypatch.setattr(toy_embedders.TorchToyEmbedder, "embed_audio",
                        lambda self, batch: (_ for _ in ()).throw(ValueError("bad clip")))
    with pytest.raises(ValueError, match="bad clip"):
        model.embed_audio(clips())


def fake_half(monkeypatch, error: float):
    """Simulate float16 on a 'GPU': under the half context the toy's vectors move by ``error``."""
    state = {"half": False}

    @contextlib.contextmanager
    def context(device):
        state["half"] = True
        try:
            yield
        finally:
            state["half"] = False

    real = toy_embedders.TorchToyEmbedder.embed_audio

    def embed(self, batch):
        out = real(self, batch)
        if state["half"]:
            out = out + error * np.roll(out, 1, axis=1)
            out = out / np.linalg.norm(out, axis=1, keepdims=True)
        return out.astype(np.float32)

    monkeypatch.setattr(placement, "half_context", context)
    monkeypatch.setattr(toy_embedders.TorchToyEmbedder, "embed_audio", embed)


def test_half_precision_is_kept_when_the_probe_stays_within_0999(monkeypatch, capsys):
    have(monkeypatch, cuda=True)
    fake_half(monkeypatch, error=0.03)
    model = load_embedder("torchtoy", Placement("cuda", half=True))
    full = load_embedder("torchtoy", Placement("cuda"))
    note = re.search(r"note: half precision \(float16\) on cuda \(probe cosine ([0-9.]+) to float32\)", capsys.readouterr().err)
    assert note and 0.999 <= float(note.group(1)) < 0.99999
    cosines = np.sum(model.embed_audio(clips()) * full.embed_audio(clips()), axis=1)
    assert (cosines < 1 - 1e-9).all() and (cosines >= 0.999).all()  # half ran, and stayed close
    assert model.fingerprint() == full.fingerprint()


def test_half_precision_that_moves_vectors_falls_back_to_float32_with_a_note(monkeypatch, capsys):
    have(monkeypatch, cuda=True)
    fake_half(monkeypatch, error=0.2)
    model = load_embedder("torchtoy", Placement("cuda", half=True))
    err = capsys.readouterr().err
    assert "half precision changes this model's vectors (probe cosine" in err and "running in float32" in err
    full = load_embedder("torchtoy", Placement("cuda"))
    np.testing.assert_array_equal(model.embed_audio(clips()), full.embed_audio(clips()))


def probe_speed(monkeypatch, full_s: float, half_s: float):
    """Fix the probe timings: ``full_s`` seconds in float32, ``half_s`` under autocast."""
    monkeypatch.setattr(placement, "probe_seconds", lambda model: half_s if getattr(model, "half", False) else full_s)


def test_half_precision_on_the_cpu_is_bfloat16_and_kept_when_faster(monkeypatch, capsys):
    have(monkeypatch)
    fake_half(monkeypatch, error=0.02)
    probe_speed(monkeypatch, full_s=1.0, half_s=0.4)
    model = load_embedder("torchtoy", Placement("cpu", half=True))
    assert re.search(r"note: half precision \(bfloat16\) on cpu \(probe cosine 0\.99[0-9]+ to float32, 2\.5x faster\)",
                     capsys.readouterr().err)
    assert model.half and str(placement.half_dtype("cpu")) == "torch.bfloat16"


def test_bfloat16_that_is_not_faster_on_this_cpu_falls_back_to_float32(monkeypatch, capsys):
    have(monkeypatch)
    fake_half(monkeypatch, error=1e-3)
    probe_speed(monkeypatch, full_s=1.0, half_s=1.1)
    model = load_embedder("torchtoy", Placement("cpu", half=True))
    assert "note: bfloat16 is not faster than float32 on this CPU (0.91x on a probe clip); running in float32" \
        in capsys.readouterr().err
    full = load_embedder("torchtoy", Placement("cpu"))
    np.testing.assert_array_equal(model.embed_audio(clips()), full.embed_audio(clips()))


def test_half_precision_on_the_apple_gpu_is_float16_without_a_speed_probe(monkeypatch, capsys):
    have(monkeypatch, mps=True)
    fake_half(monkeypatch, error=0.02)
    monkeypatch.setattr(placement, "probe_seconds", lambda model: pytest.fail("GPUs keep float16 on the cosine alone"))
    model = load_embedder("torchtoy", Placement("mps", half=True))
    assert re.search(r"note: half precision \(float16\) on mps \(probe cosine 0\.99[0-9]+ to float32\)",
                     capsys.readouterr().err)
    assert model.half and str(placement.half_dtype("mps")) == "torch.float16"


def test_a_device_without_autocast_runs_float32_with_a_note(monkeypatch, capsys):
    have(monkeypatch, mps=True)

    def no_autocast(device):
        raise RuntimeError("User specified an unsupported autocast device_type 'mps'")

    monkeypatch.setattr(placement, "half_context", no_autocast)
    model = load_embedder("torchtoy", Placement("mps", half=True))
    assert "note: float16 autocast is not available on mps (User specified an unsupported autocast device_type " \
           "'mps'); running in float32" in capsys.readouterr().err
    assert not getattr(model, "half", False)


def test_real_bfloat16_autocast_keeps_a_tiny_clap_close_to_float32(tiny_clap_dir):
    """The CPU path really runs under torch's bfloat16 autocast (no fake): vectors move, but stay close."""
    from timbre.embedders.clap import ClapEmbedder

    full = ClapEmbedder(tiny_clap_dir, device="cpu")
    halved = placement.PlacedEmbedder(full, "cpu", half=True)
    cosine = placement.probe_cosine(full, halved)
    assert 0.99 <= cosine < 1 - 1e-7


def test_clap_and_pann_use_the_resolver(monkeypatch, tiny_clap_dir, tmp_path):
    from timbre.embedders.clap import ClapEmbedder
    from timbre.embedders.pann import PannEmbedder
    from tiny_models import save_tiny_cnn14

    have(monkeypatch)
    with pytest.raises(DeviceError, match="^cuda is not available on this machine"):
        ClapEmbedder(tiny_clap_dir, device="cuda")
    checkpoint = str(tmp_path / "cnn14.pth")
    save_tiny_cnn14(checkpoint)
    with pytest.raises(DeviceError, match="^mps .* is not available on this machine"):
        PannEmbedder(checkpoint, device="mps")
    assert ClapEmbedder(tiny_clap_dir, device="auto").device == "cpu"
