"""Embedder registry. Built-ins and third-party embedders are found through the
``timbre.embedders`` entry-point group, so another package can add one with::

    [project.entry-points."timbre.embedders"]
    myembedder = "mypkg.module:MyEmbedder"

Classes are imported only when loaded, so listing names stays fast.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from timbre.devices import Placement
from timbre.embedders.base import Embedder, l2_normalize
from timbre.errors import TimbreError

#: Built-ins, so a source checkout works without installed metadata.
BUILTIN = {
    "spectral": "timbre.embedders.spectral:SpectralEmbedder",
    "mfcc": "timbre.embedders.mfcc:MfccEmbedder",
    "clap": "timbre.embedders.clap:ClapEmbedder",
    "pann": "timbre.embedders.pann:PannEmbedder",
    "mert": "timbre.embedders.mert:MertEmbedder",
    "openl3": "timbre.embedders.openl3:OpenL3Embedder",
    "learned": "timbre.embedders.learned:LearnedEmbedder",
}

DEFAULT_EMBEDDER = "spectral"

__all__ = ["Embedder", "l2_normalize", "available_embedders", "load_embedder", "check_embedder_name",
           "DEFAULT_EMBEDDER"]


def available_embedders() -> dict[str, str]:
    """Registry name -> ``module:Class`` for built-in and plugin embedders."""
    found = dict(BUILTIN)
    for ep in entry_points(group="timbre.embedders"):
        found.setdefault(ep.name, ep.value)
    return found


def embedder_target(name: str) -> str:
    """``module:Class`` that builds ``name`` (a combined name such as ``spectral+mfcc`` included)."""
    from timbre.embedders.combined import TARGET, is_combined

    if is_combined(name):
        return TARGET
    registry = available_embedders()
    if name not in registry:
        known = ", ".join(sorted(registry))
        raise TimbreError(f"unknown embedder '{name}'; available: {known} (or parts joined by +, e.g. spectral+mfcc)")
    return registry[name]


def check_embedder_name(name: str) -> None:
    """Raise ``TimbreError`` unless ``name`` is registered or a valid combination of registered names."""
    from timbre.embedders.combined import is_combined, parse_parts

    for part, _ in parse_parts(name) if is_combined(name) else [(name, 1.0)]:
        embedder_target(part)


def embedder_class(name: str) -> type[Embedder]:
    """Import and return the class registered under ``name``."""
    module_name, _, attr = embedder_target(name).partition(":")
    return getattr(import_module(module_name), attr)


def load_embedder(name: str, placement: Placement | None = None, **options: Any) -> Embedder:
    """Build the embedder ``name`` with its options (e.g. ``model=`` for clap/pann); ``a+b`` or
    ``a:0.7+b:0.3`` builds a combined space (:mod:`timbre.embedders.combined`).

    ``placement`` (a ``timbre.devices.Placement``) puts a torch embedder on a device (``auto``:
    cuda, then mps, then cpu); weights-free embedders ignore it. Without it, ``device=`` in
    ``options`` is passed as given (the embedder's own default otherwise)."""
    from timbre.embedders.combined import CombinedEmbedder, is_combined

    if is_combined(name):
        check_embedder_name(name)
        return CombinedEmbedder.from_name(name, placement=placement, **options)
    cls = embedder_class(name)
    if placement is None:
        return cls(**options)
    from timbre.embedders.placement import build_placed

    options.pop("device", None)
    return build_placed(cls, options, placement)


def describe_embedders() -> list[dict[str, Any]]:
    """Name, sample rate, dim, text support and a one-line description of every registered
    embedder, without loading weights: weight-free embedders (``parallel_safe``) are built,
    neural ones report their class-level defaults (``default_sample_rate``/``default_dim``)."""
    rows = []
    for name, target in sorted(available_embedders().items()):
        row: dict[str, Any] = {"name": name, "target": target}
        try:
            cls = embedder_class(name)
        except Exception as err:  # a broken plugin must not hide the others
            rows.append({**row, "error": f"{type(err).__name__}: {err}"})
            continue
        sample_rate = getattr(cls, "default_sample_rate", None)
        dim = getattr(cls, "default_dim", None)
        if cls.parallel_safe and (sample_rate is None or dim is None):
            instance = cls()
            sample_rate, dim = instance.sample_rate, instance.dim
        doc = (cls.__doc__ or "").strip().splitlines()
        rows.append({**row, "sample_rate": sample_rate, "dim": dim, "text": bool(cls.supports_text),
                     "description": getattr(cls, "description", None) or (doc[0] if doc else "")})
    return rows
