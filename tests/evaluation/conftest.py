"""A fake five-preset benchmark manifest (no audio) and fake search results for it."""

import json
import os

import pytest

from timbre.evaluation.ground_truth import load_benchmark
from timbre.search.results import Hit, SearchResult

PRESETS = [  # name, family, group
    ("p1", "pad", "pad-a"), ("p2", "pad", "pad-a"), ("p3", "pad", "pad-b"),
    ("b1", "bass", "bass-a"), ("b2", "bass", "bass-a"),
]
TARGETS = [  # id, preset, fx, kind
    ("t1", "p1", [], "chord"),
    ("t2", "b1", ["reverb"], "melody"),
    ("t3", "p3", ["delay", "eq"], "arp"),
]
#: The ranking a fake system returns for each target (all five presets, best first).
RANKINGS = {
    "t1": ["p2", "p1", "p3", "b1", "b2"],
    "t2": ["b1", "b2", "p1", "p2", "p3"],
    "t3": ["b1", "p1", "p2", "b2", "p3"],
}


def write_manifest(root) -> None:
    family_of = {name: (family, group) for name, family, group in PRESETS}
    manifest = {
        "version": 1, "size": "fake", "seed": 7,
        "presets": [{"name": n, "family": f, "group": g, "preview": f"previews/{f}/{n}.ogg",
                     "params": f"presets/{f}/{n}.json"} for n, f, g in PRESETS],
        "targets": [{"path": f"targets/{tid}.wav", "preset": p, "family": family_of[p][0],
                     "group": family_of[p][1], "fx": fx, "kind": kind, "notes": [60],
                     "sample_rate": 44100, "bit_depth": 16} for tid, p, fx, kind in TARGETS],
    }
    with open(os.path.join(root, "manifest.json"), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh)


@pytest.fixture
def fake_bench(tmp_path):
    write_manifest(tmp_path)
    return load_benchmark(str(tmp_path))


def fake_results(bench, rankings=RANKINGS) -> list[SearchResult]:
    """SearchResults whose hits point at the previews named in ``rankings``."""
    preview_of = {p.name: p.preview for p in bench.presets}
    results = []
    for target in bench.targets:
        names = rankings[os.path.splitext(os.path.basename(target.path))[0]]
        hits = [Hit(rank=i + 1, score=1.0 - i / 10, path=preview_of.get(n, f"/elsewhere/{n}.ogg"), name=n, bank="x")
                for i, n in enumerate(names)]
        results.append(SearchResult(target.path, hits))
    return results


@pytest.fixture
def make_results():
    return fake_results
