"""The labeling interfaces and the checking of answers."""

import xml.etree.ElementTree as ET

import pytest

from timbre.errors import LabelingError
from timbre.labeling.interface import choice_result, label_config, mode_of_config, read_answer


@pytest.mark.parametrize("mode, players, choices", [
    ("pair", ["a", "b"], ["similar", "not_similar", "skip"]),
    ("triplet", ["r", "a", "b"], ["a_closer", "b_closer", "skip"]),
])
def test_config_has_a_player_per_clip_and_the_choices(mode, players, choices):
    view = ET.fromstring(label_config(mode))
    assert [a.get("name") for a in view.iter("Audio")] == players
    assert [a.get("value") for a in view.iter("Audio")] == [f"${p}" for p in players]
    assert [c.get("value") for c in view.iter("Choice")] == choices
    assert mode_of_config(label_config(mode)) == mode


def test_unknown_mode_is_one_line_error():
    with pytest.raises(LabelingError, match="unknown labeling mode 'quad'"):
        label_config("quad")


def test_answers_are_validated_on_our_side():
    assert read_answer(choice_result("similar"), "pair").choice == "similar"
    assert read_answer(choice_result("a_closer", "triplet"), "triplet").choice == "a_closer"
    assert "unknown choice 'maybe'" in read_answer(choice_result("maybe"), "pair").problem
    assert "unknown choice 'similar'" in read_answer(choice_result("similar"), "triplet").problem
    assert read_answer([], "pair").problem == "no choice in the annotation"
    two = choice_result("similar") + choice_result("not_similar")
    assert "several choices" in read_answer(two, "pair").problem
