"""Where torch work runs: ``auto`` | ``cpu`` | ``cuda`` | ``mps``, resolved in one place.

``auto`` picks an NVIDIA GPU (cuda), then an Apple GPU (mps), then the CPU. The torch embedders
(clap, pann), head training (Lightning's accelerator) and head projection all take the resolved
name. Models run in float32 on every device, so the device never changes an index's fingerprint:
the same weights give the same vectors on CPU and GPU within float32 rounding.

Half precision (``--half``) is mixed precision (``torch.autocast``: float16 on CUDA and Apple
GPUs, bfloat16 on the CPU, where recent x86 and Apple CPUs have bfloat16 matmul instructions). It is
kept only when a probe clip's vector stays within cosine ``HALF_MIN_COSINE`` of float32
(:mod:`timbre.embedders.placement`), and on the CPU only when it is faster there. It is not
part of the fingerprint either, because a vector that close is the same vector for ranking
purposes, and a library indexed in half precision must stay searchable in float32.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Iterator

from timbre.errors import DeviceError

DEVICES = ("auto", "cpu", "cuda", "mps")
DEFAULT_DEVICE = "auto"
HALF_MIN_COSINE = 0.999
MPS_FALLBACK_ENV = "PYTORCH_ENABLE_MPS_FALLBACK"


@dataclass(frozen=True)
class Placement:
    """What the user asked for: a device name (``auto`` allowed) and whether to try half precision."""

    device: str = DEFAULT_DEVICE
    half: bool = False

    def resolved(self) -> "Placement":
        """The same request with ``device`` resolved to what this machine has (``DeviceError`` if absent)."""
        return Placement(resolve_device(self.device), self.half)


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(name: str | None) -> str:
    """``cpu``, ``cuda`` (or ``cuda:N``) or ``mps`` for the device ``name`` (``None`` = ``auto``).

    ``DeviceError`` (one line) for an unknown name or a device this machine does not have."""
    wanted = (name or DEFAULT_DEVICE).strip().lower()
    kind, _, number = wanted.partition(":")
    if kind not in DEVICES or (number and (kind != "cuda" or not number.isdigit())):
        raise DeviceError(f"unknown device '{name}' — use one of {', '.join(DEVICES)}")
    if kind == "auto":
        return "cuda" if cuda_available() else "mps" if mps_available() else "cpu"
    if kind == "cuda" and not cuda_available():
        raise DeviceError("cuda is not available on this machine — use --device auto or cpu")
    if kind == "mps" and not mps_available():
        raise DeviceError("mps (Apple GPU) is not available on this machine — use --device auto or cpu")
    return wanted


def device_kind(device: str) -> str:
    """``cuda:1`` -> ``cuda``; the type torch's autocast and Lightning think in."""
    return device.partition(":")[0]


def lightning_accelerator(device: str) -> tuple[str, list[int] | int]:
    """``(accelerator, devices)`` for ``pytorch_lightning.Trainer`` on a resolved ``device``."""
    kind, _, number = device.partition(":")
    if kind == "cuda":
        return "gpu", [int(number)] if number else 1
    return ("mps" if kind == "mps" else "cpu"), 1


@contextlib.contextmanager
def mps_errors(device: str) -> Iterator[None]:
    """On ``mps``, turn torch's "not implemented for MPS" failures into one ``DeviceError`` line."""
    try:
        yield
    except (NotImplementedError, RuntimeError) as err:
        if device_kind(device) == "mps" and is_mps_op_error(err):
            raise mps_unsupported(err) from err
        raise


def mps_unsupported(err: BaseException) -> DeviceError:
    """The one-line error for an operation the Apple GPU backend does not implement."""
    text = " ".join(str(err).split())[:160] or type(err).__name__
    return DeviceError(f"an operation is not supported on the Apple GPU (mps): {text} — run again with "
                       f"{MPS_FALLBACK_ENV}=1 set (those operations then run on the CPU) or with --device cpu")


def is_mps_op_error(err: BaseException) -> bool:
    """True for torch's "not implemented for MPS" failures (``NotImplementedError`` or a RuntimeError naming MPS)."""
    return isinstance(err, NotImplementedError) or (isinstance(err, RuntimeError) and "mps" in str(err).lower())
