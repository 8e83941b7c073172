"""The labeling interfaces (Label Studio XML) and the reading of an annotation's answer.

Pair mode plays clips A and B and asks "similar / not_similar / skip". Triplet mode adds a
reference R and asks which of A or B sounds closer to it. The task data holds the audio URLs
under ``a``, ``b`` (and ``r``) plus our own bookkeeping (pair id, paths, content hashes).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

MODES = ("pair", "triplet")
CONTROL_NAME = "judgment"
PAIR_CHOICES = ("similar", "not_similar", "skip")
TRIPLET_CHOICES = ("a_closer", "b_closer", "skip")
SKIP = "skip"

_PAIR_HINTS = {"similar": "Similar", "not_similar": "Not similar", "skip": "Skip (can't tell)"}
_TRIPLET_HINTS = {"a_closer": "A is closer to R", "b_closer": "B is closer to R", "skip": "Skip (can't tell)"}


def choices_for(mode: str) -> tuple[str, ...]:
    """The answer values of a mode."""
    check_mode(mode)
    return PAIR_CHOICES if mode == "pair" else TRIPLET_CHOICES


def check_mode(mode: str) -> None:
    if mode not in MODES:
        from timbre.errors import LabelingError

        raise LabelingError(f"unknown labeling mode {mode!r}; use one of {', '.join(MODES)}")


def _choice_tags(hints: dict[str, str]) -> str:
    keys = "123"
    return "\n".join(f'    <Choice value="{value}" hotkey="{keys[i]}" hint="{escape(hint)}"/>'
                     for i, (value, hint) in enumerate(hints.items()))


def label_config(mode: str = "pair") -> str:
    """The Label Studio labeling configuration for ``mode``."""
    check_mode(mode)
    if mode == "pair":
        return f"""<View>
  <Header value="Do A and B sound like the same kind of patch (timbre, not pitch)?"/>
  <Text name="a_name" value="A: $a_name"/>
  <Audio name="a" value="$a"/>
  <Text name="b_name" value="B: $b_name"/>
  <Audio name="b" value="$b"/>
  <Choices name="{CONTROL_NAME}" toName="a" choice="single-radio" required="true" showInline="true">
{_choice_tags(_PAIR_HINTS)}
  </Choices>
</View>"""
    return f"""<View>
  <Header value="Which of A or B sounds closer to R (timbre, not pitch)?"/>
  <Text name="r_name" value="R: $r_name"/>
  <Audio name="r" value="$r"/>
  <Text name="a_name" value="A: $a_name"/>
  <Audio name="a" value="$a"/>
  <Text name="b_name" value="B: $b_name"/>
  <Audio name="b" value="$b"/>
  <Choices name="{CONTROL_NAME}" toName="r" choice="single-radio" required="true" showInline="true">
{_choice_tags(_TRIPLET_HINTS)}
  </Choices>
</View>"""


def mode_of_config(config: str) -> str:
    """Which mode a project's labeling configuration was made for."""
    return "triplet" if 'name="r"' in config else "pair"


@dataclass(frozen=True)
class Answer:
    """What one annotation says: a valid choice, or why it can't be used."""

    choice: str | None
    problem: str | None = None


def read_answer(result: list[dict] | None, mode: str) -> Answer:
    """The chosen value of an annotation ``result``; unknown or missing values come back as a problem.

    Label Studio accepts any value through its API, so the value is checked here."""
    picked = [value for item in (result or [])
              if item.get("from_name") == CONTROL_NAME and item.get("type") == "choices"
              for value in (item.get("value") or {}).get("choices") or []]
    if not picked:
        return Answer(None, "no choice in the annotation")
    if len(set(picked)) > 1:
        return Answer(None, f"several choices {sorted(set(picked))}")
    if picked[0] not in choices_for(mode):
        return Answer(None, f"unknown choice {picked[0]!r} (expected one of {', '.join(choices_for(mode))})")
    return Answer(picked[0])


def choice_result(choice: str, mode: str = "pair") -> list[dict]:
    """An annotation ``result`` that picks ``choice`` (what the UI sends; used by tests and scripts)."""
    to_name = "a" if mode == "pair" else "r"
    return [{"from_name": CONTROL_NAME, "to_name": to_name, "type": "choices", "value": {"choices": [choice]}}]
