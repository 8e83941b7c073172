"""Building an embedder on a device: the device passed to torch embedders, one-line errors for
operations the Apple GPU lacks, and half precision kept only when it leaves vectors unchanged.

Weights-free embedders (no ``device`` parameter) run on the CPU whatever is asked. A torch
embedder gets the resolved device; on ``mps`` its calls are wrapped so a missing operator
ends as one ``DeviceError`` line with the ``PYTORCH_ENABLE_MPS_FALLBACK`` advice. With
``half`` a probe clip is embedded in float32 and under autocast (float16 on CUDA and Apple
GPUs, bfloat16 on the CPU); below cosine ``HALF_MIN_COSINE`` half precision is dropped with a
note, and on the CPU also when it is not clearly faster (CPUs without bfloat16 instructions
emulate it). See :mod:`timbre.devices` for why neither the device nor half precision enters
the fingerprint.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
import time
from typing import Any, Sequence

import numpy as np

from timbre.devices import HALF_MIN_COSINE, Placement, device_kind, mps_errors
from timbre.errors import DeviceError

PROBE_SECONDS = 3.0
#: bfloat16 on the CPU is kept only at this speed-up over float32 on the probe clip.
CPU_HALF_MIN_SPEEDUP = 1.2


def takes_device(cls: type) -> bool:
    """Whether an embedder class accepts a ``device`` (the torch ones do)."""
    try:
        return "device" in inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return False


def build_placed(cls: type, options: dict[str, Any], placement: Placement):
    """``cls(**options)`` on ``placement``'s device (resolved here), wrapped as the device needs."""
    if not takes_device(cls):
        return cls(**options)
    placement = placement.resolved()
    model = cls(**{**options, "device": placement.device})
    if device_kind(placement.device) == "mps":
        model = PlacedEmbedder(model, placement.device)
    if placement.half:
        model = with_half_precision(model, placement.device)
    return model


class PlacedEmbedder:
    """An embedder seen through its device: same attributes, calls guarded (and autocast when ``half``)."""

    def __init__(self, inner, device: str, half: bool = False):
        self.inner = inner
        self.device = device
        self.half = half

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def embed_audio(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        with self._guard():
            return self.inner.embed_audio(batch)

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        with self._guard():
            return self.inner.embed_text(texts)

    @contextlib.contextmanager
    def _guard(self):
        with mps_errors(self.device), half_context(self.device) if self.half else contextlib.nullcontext():
            yield

    def __repr__(self) -> str:
        return f"PlacedEmbedder({self.inner!r}, device={self.device!r}, half={self.half})"


def half_dtype(device: str):
    """float16 on GPUs; bfloat16 on the CPU, where float16 matmuls have no fast kernels."""
    import torch

    return torch.bfloat16 if device_kind(device) == "cpu" else torch.float16


def half_context(device: str):
    """Autocast on ``device``: matmuls and convolutions in half precision, reductions in float32."""
    import torch

    return torch.autocast(device_type=device_kind(device), dtype=half_dtype(device))


def with_half_precision(model, device: str):
    """``model`` under half-precision autocast if its probe vector stays within ``HALF_MIN_COSINE``
    of float32 (and, on the CPU, the probe runs at least ``CPU_HALF_MIN_SPEEDUP`` times faster),
    else ``model`` unchanged; says which on stderr."""
    inner = model.inner if isinstance(model, PlacedEmbedder) else model
    halved = PlacedEmbedder(inner, device, half=True)
    kind = str(half_dtype(device)).replace("torch.", "")
    try:
        cosine = probe_cosine(model, halved)
    except (RuntimeError, NotImplementedError, TypeError, DeviceError) as err:  # no autocast for this device in this torch
        cause = err.__cause__ or err  # the torch message, not mps_errors' advice for a whole run
        note(f"{kind} autocast is not available on {device} ({' '.join(str(cause).split())[:120]}); running in float32")
        return model
    if not cosine >= HALF_MIN_COSINE:
        note(f"half precision changes this model's vectors (probe cosine {cosine:.5f} < {HALF_MIN_COSINE} to "
             f"float32); running in float32")
        return model
    speed = ""
    if device_kind(device) == "cpu":  # a CPU without bfloat16 instructions emulates it, slower than float32
        speedup = probe_seconds(model) / max(probe_seconds(halved), 1e-9)
        if speedup < CPU_HALF_MIN_SPEEDUP:
            note(f"{kind} is not faster than float32 on this CPU ({speedup:.2f}x on a probe clip); running in float32")
            return model
        speed = f", {speedup:.1f}x faster"
    note(f"half precision ({kind}) on {device} (probe cosine {cosine:.5f} to float32{speed})")
    return halved


def probe_cosine(full, halved) -> float:
    """Cosine between the float32 and half-precision vectors of one probe clip."""
    clip = probe_clip(int(full.sample_rate))
    a = np.asarray(full.embed_audio([clip]), np.float64)[0]
    b = np.asarray(halved.embed_audio([clip]), np.float64)[0]
    denominator = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / denominator) if denominator > 0 else float("nan")


def probe_seconds(model) -> float:
    """Best of two timed embeddings of the probe clip (after ``probe_cosine`` warmed the model up)."""
    clip = probe_clip(int(model.sample_rate))
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        model.embed_audio([clip])
        best = min(best, time.perf_counter() - started)
    return best


def probe_clip(sample_rate: int, seconds: float = PROBE_SECONDS) -> np.ndarray:
    """A fixed synth-like note: a decaying saw-ish tone with a little seeded noise."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    tone = sum(np.sin(2 * np.pi * 110.0 * k * t) / k for k in range(1, 12))
    noise = np.random.default_rng(0).standard_normal(len(t))
    clip = (tone + 0.05 * noise) * np.exp(-1.5 * t)
    return (0.5 * clip / np.max(np.abs(clip))).astype(np.float32)


def note(message: str) -> None:
    """A one-line note on stderr (how the model runs), like the progress notes."""
    sys.stderr.write(f"note: {message}\n")
