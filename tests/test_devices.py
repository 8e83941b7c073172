"""Device choice: `auto` is cuda, then mps, then cpu; an absent or unknown device fails in one line.

GPU availability is mocked (torch.cuda.is_available, torch.backends.mps.is_available), so these
run anywhere."""

import pytest
import torch

from timbre.config import embedder_choice, placement_choice
from timbre.devices import Placement, lightning_accelerator, resolve_device
from timbre.errors import DeviceError


@pytest.fixture
def machine(monkeypatch):
    """``machine(cuda=..., mps=...)`` sets what torch reports as available."""
    def have(cuda: bool = False, mps: bool = False) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    return have


@pytest.mark.parametrize("cuda, mps, expected", [
    (True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu"),
])
def test_auto_prefers_cuda_then_mps_then_cpu(machine, cuda, mps, expected):
    machine(cuda=cuda, mps=mps)
    assert resolve_device("auto") == expected
    assert resolve_device(None) == expected
    assert Placement().resolved() == Placement(expected, False)


def test_explicit_devices_resolve_to_themselves_when_present(machine):
    machine(cuda=True, mps=True)
    assert [resolve_device(d) for d in ("cpu", "cuda", "mps", "CUDA", "cuda:1")] == ["cpu", "cuda", "mps", "cuda",
                                                                                    "cuda:1"]


def test_an_absent_gpu_is_one_line_that_says_what_to_use(machine):
    machine(cuda=False, mps=False)
    with pytest.raises(DeviceError) as cuda:
        resolve_device("cuda")
    assert str(cuda.value) == "cuda is not available on this machine — use --device auto or cpu"
    with pytest.raises(DeviceError) as mps:
        resolve_device("mps")
    assert "mps (Apple GPU) is not available on this machine — use --device auto or cpu" == str(mps.value)


@pytest.mark.parametrize("name", ["tpu", "gpu", "mps:0", "cuda:x", ""])
def test_unknown_device_names_list_the_choices(machine, name):
    machine(cuda=True, mps=True)
    if name == "":
        assert resolve_device(name) == "cuda"  # empty means auto
        return
    with pytest.raises(DeviceError, match="unknown device .* use one of auto, cpu, cuda, mps"):
        resolve_device(name)


def test_lightning_gets_the_matching_accelerator():
    assert lightning_accelerator("cpu") == ("cpu", 1)
    assert lightning_accelerator("cuda") == ("gpu", 1)
    assert lightning_accelerator("cuda:1") == ("gpu", [1])
    assert lightning_accelerator("mps") == ("mps", 1)


def test_command_line_beats_config_beats_auto(machine):
    machine(cuda=False, mps=True)
    config = {"embedder": {"name": "clap", "options": {"device": "mps", "half": True}}}
    assert placement_choice(None, None, config) == Placement("mps", True)
    assert placement_choice("cpu", False, config) == Placement("cpu", False)
    assert placement_choice(None, None, {}) == Placement("auto", False)


def test_config_device_the_machine_lacks_fails_like_the_flag(machine):
    machine(cuda=False, mps=False)
    with pytest.raises(DeviceError, match="^cuda is not available on this machine — use --device auto or cpu$"):
        placement_choice(None, None, {"embedder": {"options": {"device": "cuda"}}})


def test_auto_and_cpu_are_checked_without_importing_torch(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: pytest.fail("cpu/auto must not probe the GPU here"))
    assert placement_choice("auto", None, {}) == Placement("auto", False)
    assert placement_choice("cpu", None, {}) == Placement("cpu", False)


def test_device_and_half_are_not_embedder_options():
    config = {"embedder": {"name": "clap", "options": {"model": "m", "device": "cuda", "half": True}}}
    assert embedder_choice(None, None, config).options == {"model": "m"}


def test_mps_gaps_become_one_line_only_on_mps():
    from timbre.devices import mps_errors

    gap = NotImplementedError("The operator 'aten::stft' is not currently implemented for the MPS device.")
    with pytest.raises(DeviceError, match=r"^an operation is not supported on the Apple GPU \(mps\): .*aten::stft.* "
                                          r"PYTORCH_ENABLE_MPS_FALLBACK=1 .* --device cpu$"):
        with mps_errors("mps"):
            raise gap
    with pytest.raises(NotImplementedError):
        with mps_errors("cpu"):
            raise gap
