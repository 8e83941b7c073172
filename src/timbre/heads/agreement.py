"""How many of the producer's own judgments a ranking agrees with, in counts and in words.

A "similar" pair agrees with a space when its cosine is at or above the threshold fitted on
the training pairs, a "not similar" pair when it is below; a triplet agrees when the positive
is closer to the anchor than the negative. ``judgment_agreement`` counts this for the base
space (before) and the new head (after), over all judgments and over the held-out ones (the
validation split, which the head never trained on); ``train_head`` stores the counts in
``metrics.json`` under ``"judgments"`` and ``describe_agreement`` turns them into the sentence
the CLI and the app show.
"""

from __future__ import annotations

import numpy as np

from timbre.heads.examples import Judgments
from timbre.heads.metrics import pair_scores

NO_JUDGMENTS = "no judgments of yours yet: trained on self-supervised pairs only"


def judgment_agreement(before: np.ndarray, after: np.ndarray, judgments: Judgments,
                       before_threshold: float, after_threshold: float) -> dict:
    """``{"total", "pairs", "triplets", "held_out", "before": {"all", "held_out"}, "after": {...}}``
    where ``before`` / ``after`` are the base and projected tables."""
    held_out = np.concatenate([judgments.pair_held_out, judgments.triplet_held_out]).astype(bool)
    counts = {"total": len(judgments), "pairs": len(judgments.pairs), "triplets": len(judgments.triplets),
              "held_out": int(held_out.sum())}
    for name, table, threshold in (("before", before, before_threshold), ("after", after, after_threshold)):
        agrees = agreeing(table, judgments, threshold)
        counts[name] = {"all": int(agrees.sum()), "held_out": int(agrees[held_out].sum())}
    return counts


def agreeing(table: np.ndarray, judgments: Judgments, threshold: float) -> np.ndarray:
    """One bool per judgment (pairs, then triplets): does ``table`` agree with it?"""
    similar = pair_scores(table, judgments.pairs) >= threshold
    pairs = similar == (judgments.pair_target > 0.5)
    t = judgments.triplets
    triplets = pair_scores(table, t[:, [0, 1]]) > pair_scores(table, t[:, [0, 2]])
    return np.concatenate([pairs, triplets]).astype(bool)


def describe_agreement(metrics: dict) -> str:
    """A head's ``metrics`` (``metrics.json``) in one sentence for the producer, e.g. "of 40
    judgments you made, the new head agrees with 36; the old ranking agreed with 24 (held out
    from training: 6, agrees 5 vs 3)"."""
    counts = (metrics or {}).get("judgments")
    if counts is None:
        return "this head records no agreement with your judgments (trained before they were counted)"
    if not counts.get("total"):
        return NO_JUDGMENTS
    total, before, after = counts["total"], counts["before"], counts["after"]
    sentence = (f"of {total} judgment{'s' if total != 1 else ''} you made, the new head agrees with "
                f"{after['all']}; the old ranking agreed with {before['all']}")
    if counts["held_out"]:
        return sentence + (f" (held out from training: {counts['held_out']}, agrees "
                           f"{after['held_out']} vs {before['held_out']})")
    return sentence + " (none held out from training, so this shows fit, not how it generalises)"


def describe_summary(summary: dict, verb: str = "training on") -> str:
    """What a head learns from (``build_training_data``'s summary) in one sentence: the producer's
    judgments, self-supervised pairs, generated records and the held-out pairs."""
    outside = f", {summary['outside_files']} judged file(s) outside the index" if summary.get("outside_files") else ""
    return (f"{verb} {summary['judgments']} judgment(s) of yours{outside}, "
            f"{summary['self_supervised_pairs']} self-supervised pair(s) and "
            f"{summary['augment_records']} generated record(s); {summary['held_out_pairs']} pair(s) held out "
            f"for validation ({summary['held_out_judgments']} of them your judgments)")


def disagreement_note(counts: dict, augmented: bool) -> str | None:
    """A plain warning when the new head agrees with fewer of the producer's judgments than the
    old ranking did (held-out ones when there are any), else ``None``."""
    if not counts.get("total"):
        return None
    which = "held_out" if counts["held_out"] else "all"
    before, after = counts["before"][which], counts["after"][which]
    if after >= before:
        return None
    scope = "held-out judgments" if which == "held_out" else "judgments"
    cause = ("the self-supervised pairs pull against your ears; add judgments or train without augmentation"
             if augmented else "the head overfits; add judgments or train fewer epochs")
    return f"the new head agrees with fewer of your {scope} than the old ranking ({after} vs {before}): {cause}"
