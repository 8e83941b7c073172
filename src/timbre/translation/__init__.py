"""Japanese text queries for English-only text towers: ``translate_query("暖かいパッド")`` →
``Translation(english="warm pad", unknown=[])``.

No tokeniser dependency: the query is read left to right, taking at each position the longest
word of the vocabulary (:mod:`timbre.translation.vocabulary` plus the user's
``$TIMBRE_HOME/translations.toml``), skipping particles and adjective endings between words and
passing Latin-script words through unchanged ("warm パッド" works). What matches nothing is
reported back, so the user sees which words were not understood.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field

from timbre.errors import TimbreError
from timbre.translation.vocabulary import SKIPPED, VOCABULARY

USER_FILE = "translations.toml"
#: Hiragana, katakana (with the long-vowel mark), CJK ideographs and the full-width forms.
_HIRAGANA = re.compile(r"[\u3041-\u3096ー]+")
_RUNS = re.compile(r"[\u30a1-\u30faー]+[\u3041-\u3096]*|[\u3400-\u9fff々]+[\u3041-\u3096]*|[\u3041-\u3096]+|.")
_PUNCTUATION = "、。，．・！？!?　 「」『』（）()〜~"
_PARTICLES = "のでとにはがをもやへよね"
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef々〆ヵヶ]")


@dataclass(frozen=True)
class Translation:
    """A query as the text tower gets it: ``english`` (the query itself when it had no Japanese),
    ``unknown`` (Japanese fragments that matched no word), ``translated`` (whether any Japanese was read)."""

    original: str
    english: str
    unknown: list[str] = field(default_factory=list)
    translated: bool = False


def has_japanese(text: str) -> bool:
    """Whether ``text`` holds any kana or kanji."""
    return bool(_JAPANESE.search(text))


def user_file() -> str:
    """Where the user's own words live: ``$TIMBRE_HOME/translations.toml``."""
    from timbre.runtime import timbre_home

    return os.path.join(timbre_home(), USER_FILE)


def load_vocabulary(path: str | None = None) -> dict[str, str]:
    """The built-in vocabulary updated with the user's file (``path`` or :func:`user_file`), whose
    ``[words]`` table maps Japanese to English (``"エモい" = "emotional"``; ``""`` skips a word)."""
    path = path or user_file()
    words = dict(VOCABULARY)
    if not os.path.exists(path):
        return words
    try:
        with open(path, "rb") as fh:
            table = tomllib.load(fh).get("words", {})
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise TimbreError(f"{path}: not a readable TOML file ({exc}) — fix it or remove it") from exc
    bad = [key for key, value in table.items() if not isinstance(value, str)]
    if not isinstance(table, dict) or bad:
        raise TimbreError(f"{path}: [words] must map words to English text, e.g. \"エモい\" = \"emotional\" "
                          f"(not {bad[0] if bad else 'words'}) — fix it")
    words.update({key.strip(): value.strip() for key, value in table.items() if key.strip()})
    return words


def translate_query(text: str, vocabulary: dict[str, str] | None = None) -> Translation:
    """``text`` in English for a text tower; text without Japanese comes back unchanged."""
    if not has_japanese(text):
        return Translation(text, text)
    words = load_vocabulary() if vocabulary is None else vocabulary
    longest = max(map(len, words), default=0)
    english: list[str] = []
    unknown: list[str] = []
    pending = ""  # Japanese characters not (yet) understood
    i = 0
    while i < len(text):
        match = _longest_match(text, i, words, longest)
        if match is not None:
            unknown += [pending] if pending else []
            pending = ""
            english += [match[1]] if match[1] else []
            i += len(match[0])
        elif not has_japanese(text[i]) and text[i] not in SKIPPED:
            unknown += [pending] if pending else []
            pending = ""
            latin = re.match(r"[^\s\u3000]+?(?=\s|\u3000|$|[\u3040-\u30ff\u3400-\u9fff])", text[i:])
            run = latin.group(0) if latin else text[i]
            english.append(run)
            i += len(run)
        elif text[i] in SKIPPED and not pending:
            i += 1
        else:
            pending += text[i]
            i += 1
    unknown += [pending] if pending else []
    fragments = [piece for fragment in unknown for piece in _words_of(fragment)]
    return Translation(text, " ".join(_dedupe(english)), fragments, True)


def _longest_match(text: str, start: int, words: dict[str, str], longest: int) -> tuple[str, str] | None:
    for size in range(min(longest, len(text) - start), 0, -1):
        piece = text[start:start + size]
        if piece in words:
            return piece, words[piece]
        if _HIRAGANA.fullmatch(piece) and _katakana(piece) in words:  # ぱっど is パッド
            return piece, words[_katakana(piece)]
    return None


def _katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


def _dedupe(words: list[str]) -> list[str]:
    """Drop a word that repeats the one before it ("warm warm pad" from 暖かい温かみの…)."""
    return [w for k, w in enumerate(words) if k == 0 or w != words[k - 1]]


def _words_of(fragment: str) -> list[str]:
    """A run of unknown text as the words a reader sees: one per katakana or kanji run with the
    hiragana that follows it (エモい, 浮遊感), without particles and punctuation at the ends."""
    words = []
    for run in _RUNS.findall(fragment):
        word = run.strip(_PUNCTUATION).rstrip(_PARTICLES)
        if word and not set(word) <= SKIPPED:
            words.append(word)
    return words
