"""Where exact-preset search loses on a benchmark: finding the variation group, or the preset in it.

A benchmark preset belongs to a group of 2-6 near-variations (``timbre bench render``). MRR counts
the exact preset, so a system can fail two ways: it ranks another group first (group retrieval), or
it finds the group but not which variation played (within-group discrimination). This script
searches every target through the product path (``search_audio``, views and head included) on the
indexes ``timbre eval`` built, and prints stable JSON:

* ``exact``: MRR and R@1 of the exact preset (as ``timbre eval``);
* ``group``: R@1 and MRR of the target's group, ranking groups by their best preset;
* ``within_group``: R@1 and MRR of the exact preset among its own group's presets, with
  ``chance`` (the mean of 1 / group size) beside it.

    TIMBRE_THREADS=2 python benchmarks/group_confusion.py --bench /tmp/bench --eval /tmp/bench-eval \\
        --head latest --models /tmp/heads
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np


def confusion(bench, hits_per_target: list[list[str]]) -> dict:
    """The three figure blocks for ranked preset names, one list per target of ``bench``."""
    group_of = {p.name: p.group for p in bench.presets}
    sizes = {g: sum(1 for p in bench.presets if p.group == g) for g in set(group_of.values())}
    exact, group, within, chance = [], [], [], []
    for target, names in zip(bench.targets, hits_per_target):
        groups_in_order = list(dict.fromkeys(group_of.get(n) for n in names))
        siblings = [n for n in names if group_of.get(n) == target.group]
        exact.append(_reciprocal(names, target.preset))
        group.append(_reciprocal(groups_in_order, target.group))
        within.append(_reciprocal(siblings, target.preset))
        chance.append(1.0 / sizes.get(target.group, 1))
    return {"targets": len(exact), "exact": _summary(exact), "group": _summary(group),
            "within_group": {**_summary(within), "chance_r1": round(float(np.mean(chance)), 3)}}


def _reciprocal(ranking: list, item) -> float:
    return 1.0 / (ranking.index(item) + 1) if item in ranking else 0.0


def _summary(reciprocals: list[float]) -> dict:
    values = np.asarray(reciprocals)
    return {"mrr": round(float(values.mean()), 3), "r1": round(float((values == 1.0).mean()), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", required=True, help="a folder from `timbre bench render`")
    parser.add_argument("--eval", required=True, help="the --out folder of `timbre eval` on it (holds indexes/)")
    parser.add_argument("--embedder", default="spectral")
    parser.add_argument("--head", default=None, help="a head ref (e.g. latest); none: the base space")
    parser.add_argument("--models", default=None, help="the models folder the head is in")
    parser.add_argument("--thorough", action="store_true")
    args = parser.parse_args()

    from timbre.evaluation.ground_truth import load_benchmark
    from timbre.heads.registry import load_head
    from timbre.index import open_index
    from timbre.runtime import default_models_dir
    from timbre.search import search_audio

    bench = load_benchmark(args.bench)
    lib = open_index(os.path.join(args.eval, "indexes", args.embedder))
    head = load_head(args.models or default_models_dir(), args.head) if args.head else None
    results = search_audio(lib, [t.path for t in bench.targets], top=len(lib), head=head, thorough=args.thorough)
    names = [[getattr(bench.preset_for_path(h.path), "name", None) for h in r.hits] for r in results]
    print(json.dumps({"bench": args.bench, "embedder": args.embedder, "head": head.id if head else None,
                      "thorough": args.thorough, **confusion(bench, names)}, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
