"""The benchmark's ground truth: its manifest, and how relevant a preset is to a target.

Graded relevance of a library preset to a target rendered from preset ``p``:
3 = ``p`` itself, 2 = another preset of ``p``'s variation group, 1 = another preset of
``p``'s family, 0 = anything else.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

from timbre.errors import TimbreError

EXACT, SAME_GROUP, SAME_FAMILY, UNRELATED = 3, 2, 1, 0


class BenchmarkError(TimbreError):
    """The benchmark folder or its manifest is missing or malformed."""


@dataclass(frozen=True)
class BenchPreset:
    """One preset of the library; ``preview`` is the absolute path of its one-shot."""

    name: str
    family: str
    group: str
    preview: str


@dataclass(frozen=True)
class BenchTarget:
    """One query loop rendered from ``preset``; ``path`` is absolute."""

    path: str
    preset: str
    group: str
    family: str
    fx: tuple[str, ...]
    kind: str

    @property
    def has_fx(self) -> bool:
        return bool(self.fx)

    @property
    def note_kind(self) -> str:
        """``"chords"`` or ``"single notes"`` (melodies and arpeggios play one note at a time)."""
        return "chords" if self.kind == "chord" else "single notes"


@dataclass
class Benchmark:
    """A rendered benchmark: its presets (the library) and targets (the queries)."""

    root: str
    version: int
    size: str
    seed: int
    presets: list[BenchPreset]
    targets: list[BenchTarget]
    source: str = "synth"
    _by_path: dict[str, BenchPreset] = field(init=False, repr=False)
    _by_name: dict[tuple[str, str], BenchPreset] = field(init=False, repr=False)
    _group_sizes: Counter = field(init=False, repr=False)
    _family_sizes: Counter = field(init=False, repr=False)
    _family_group_sizes: Counter = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_path = {os.path.realpath(p.preview): p for p in self.presets}
        self._by_name = {(p.name, p.family): p for p in self.presets}
        self._group_sizes = Counter(p.group for p in self.presets)
        self._family_sizes = Counter(p.family for p in self.presets)
        self._family_group_sizes = Counter((p.family, p.group) for p in self.presets)

    @property
    def previews_dir(self) -> str:
        return os.path.join(self.root, "previews")

    def preset_for_path(self, path: str) -> BenchPreset | None:
        """The preset whose preview is at ``path`` (None for a file not in the manifest)."""
        return self._by_path.get(os.path.realpath(path))

    def ideal_relevances(self, target: BenchTarget, k: int) -> list[int]:
        """The ``k`` highest relevances any library preset has to ``target``, descending.

        Counted from group and family sizes (what ``relevance`` gives each preset), so it
        stays fast for a 30k library.
        """
        exact_preset = self._by_name.get((target.preset, target.family))
        exact = 1 if exact_preset is not None else 0
        exact_in_group = 1 if exact and exact_preset.group == target.group else 0
        group = self._group_sizes[target.group] - exact_in_group
        family = (self._family_sizes[target.family] - exact + exact_in_group
                  - self._family_group_sizes[(target.family, target.group)])
        ideal = [EXACT] * exact + [SAME_GROUP] * group + [SAME_FAMILY] * family
        return (ideal + [UNRELATED] * k)[:k]

    def info(self) -> dict:
        """What identifies this benchmark in a report."""
        return {"path": self.root, "version": self.version, "size": self.size, "seed": self.seed,
                "source": self.source, "presets": len(self.presets), "targets": len(self.targets)}


def relevance(target: BenchTarget, preset: BenchPreset | None) -> int:
    """Graded relevance (3/2/1/0, see the module docstring) of ``preset`` to ``target``."""
    if preset is None:
        return UNRELATED
    if preset.name == target.preset and preset.family == target.family:
        return EXACT
    if preset.group == target.group:
        return SAME_GROUP
    if preset.family == target.family:
        return SAME_FAMILY
    return UNRELATED


def load_benchmark(bench_dir: str) -> Benchmark:
    """Read ``<bench_dir>/manifest.json`` (written by ``timbre.bench.render_benchmark``)."""
    from timbre.bench.manifest import read_manifest

    root = os.path.abspath(bench_dir)
    manifest = read_manifest(root)
    where = os.path.join(root, "manifest.json")
    try:
        presets = [_preset(root, entry) for entry in manifest["presets"]]
        targets = [_target(root, entry) for entry in manifest["targets"]]
    except (KeyError, TypeError) as exc:
        raise BenchmarkError(f"{where}: a preset or target lacks the field {exc}; render the benchmark again") from exc
    if not presets or not targets:
        raise BenchmarkError(f"{where}: the manifest lists no presets or no targets; render a larger benchmark")
    return Benchmark(root=root, version=manifest["version"], size=str(manifest.get("size", "")),
                     seed=int(manifest.get("seed", 0)), presets=presets, targets=targets,
                     source=str(manifest.get("source", "synth")))


def _preset(root: str, entry: dict) -> BenchPreset:
    return BenchPreset(name=entry["name"], family=entry["family"], group=str(entry["group"]),
                       preview=os.path.join(root, entry["preview"]))


def _target(root: str, entry: dict) -> BenchTarget:
    return BenchTarget(path=os.path.join(root, entry["path"]), preset=entry["preset"],
                       group=str(entry["group"]), family=entry["family"],
                       fx=tuple(entry.get("fx") or ()), kind=entry["kind"])
