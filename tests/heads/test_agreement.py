"""Agreement with the producer's judgments: counted on a constructed case, said in words."""

import numpy as np

from timbre.heads.agreement import describe_agreement, disagreement_note, judgment_agreement
from timbre.heads.examples import Judgments

# cosines: (0,1) 0.5, (0,2) 0, (0,3) -1, (1,2) 0.866, (1,3) -0.5, (2,3) 0
BEFORE = np.array([[1, 0], [0.5, np.sqrt(0.75)], [0, 1], [-1, 0]], np.float32)
# the "head" moves row 2: (0,2) 0.6, (1,2) 0.993, (2,3) -0.6
AFTER = np.array([[1, 0], [0.5, np.sqrt(0.75)], [0.6, 0.8], [-1, 0]], np.float32)


def _judgments() -> Judgments:
    pairs = np.array([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3]])
    similar = np.array([1, 1, 0, 0, 0], np.float32)
    triplets = np.array([[0, 1, 2], [2, 3, 1], [1, 2, 0]])  # (anchor, closer, farther)
    return Judgments(pairs, similar, np.array([True, False, False, True, False]),
                     triplets, np.array([False, True, True]))


def test_counts_on_a_constructed_case():
    counts = judgment_agreement(BEFORE, AFTER, _judgments(), before_threshold=0.5, after_threshold=0.9)
    # before, threshold 0.5 ("at or above" is similar): pairs T F T F T, triplets T F T
    # after, threshold 0.9: pairs F F T F T, triplets F F T
    assert counts == {"total": 8, "pairs": 5, "triplets": 3, "held_out": 4,
                      "before": {"all": 5, "held_out": 2}, "after": {"all": 3, "held_out": 1}}


def test_the_sentence_a_producer_reads():
    counts = {"total": 40, "pairs": 30, "triplets": 10, "held_out": 6,
              "before": {"all": 24, "held_out": 3}, "after": {"all": 36, "held_out": 5}}
    assert describe_agreement({"judgments": counts}) == (
        "of 40 judgments you made, the new head agrees with 36; the old ranking agreed with 24 "
        "(held out from training: 6, agrees 5 vs 3)")
    one = {"total": 1, "pairs": 1, "triplets": 0, "held_out": 0,
           "before": {"all": 0, "held_out": 0}, "after": {"all": 1, "held_out": 0}}
    assert describe_agreement({"judgments": one}).startswith(
        "of 1 judgment you made, the new head agrees with 1; the old ranking agreed with 0 (none held out")
    none = {**one, "total": 0, "pairs": 0, "after": {"all": 0, "held_out": 0}}
    assert describe_agreement({"judgments": none}) == "no judgments of yours yet: trained on self-supervised pairs only"
    assert "no agreement" in describe_agreement({"before": {}, "after": {}})


def test_a_plain_note_when_the_head_agrees_with_fewer_judgments():
    counts = judgment_agreement(BEFORE, AFTER, _judgments(), 0.5, 0.9)
    note = disagreement_note(counts, augmented=True)
    assert "fewer of your held-out judgments than the old ranking (1 vs 2)" in note
    assert "self-supervised pairs pull against your ears" in note
    assert "overfits" in disagreement_note(counts, augmented=False)
    assert disagreement_note(judgment_agreement(BEFORE, BEFORE, _judgments(), 0.5, 0.5), True) is None
    assert disagreement_note({"total": 0}, True) is None
