"""`timbre search --text "暖かいパッド"` end to end: the Japanese query is translated, the English
goes through the index's text tower (a toy whose audio and text vectors agree), the expected
preset wins, and the user sees what was searched for and what was not understood."""

import json
import os
import sys

import pytest
from word_toy import use_word_toy, write_preset

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))

from cli_run import timbre  # noqa: E402

from timbre.index import build_index  # noqa: E402
from timbre.search import search_text  # noqa: E402

PRESETS = {"warm pad": ("warm", "pad"), "bright pad": ("bright", "pad"), "warm bass": ("warm", "bass"),
           "metallic bell": ("metallic", "bell"), "dark lead": ("dark", "lead")}


@pytest.fixture
def word_index(tmp_path, monkeypatch):
    monkeypatch.setenv("TIMBRE_HOME", str(tmp_path / "home"))
    use_word_toy(monkeypatch)
    for name, words in PRESETS.items():
        write_preset(tmp_path / "lib" / "bank" / f"{name}.wav", words)
    build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), "wordtoy", workers=0)
    return str(tmp_path / "idx")


def test_a_japanese_query_finds_the_preset_it_describes(word_index):
    results = search_text(word_index, ["暖かいパッド", "金属的なベル", "暗いリード", "warm bass"], top=2)
    assert [r.hits[0].name for r in results] == ["warm pad", "metallic bell", "dark lead", "warm bass"]
    assert [r.searched_for for r in results] == ["warm pad", "metallic bell", "dark lead", None]
    assert all(r.not_understood == [] for r in results)


def test_the_cli_shows_what_was_searched_for_and_what_was_not_understood(word_index, monkeypatch, capsys):
    code, out, err = timbre(monkeypatch, capsys, "search", "--index", word_index, "--text", "暖かいパッド",
                            "--text", "エモい明るいパッド", "--top", "1")
    assert code == 0, err
    blocks = out.split("\n\n")
    assert blocks[0].splitlines()[:2] == ["暖かいパッド", "  searched for: warm pad"] and "warm pad" in blocks[0]
    assert "  searched for: bright pad" in blocks[1] and "bright pad.wav" in blocks[1]
    assert "  not understood: エモい — add such words to" in blocks[1] and "translations.toml" in blocks[1]
    code, out, err = timbre(monkeypatch, capsys, "search", "--index", word_index, "--text", "エモい明るいパッド",
                            "--format", "json", "--top", "1")
    [entry] = json.loads(out)
    assert entry["searched_for"] == "bright pad" and entry["not_understood"] == ["エモい"]


def test_a_query_with_no_word_understood_fails_clearly(word_index, monkeypatch, capsys):
    code, out, err = timbre(monkeypatch, capsys, "search", "--index", word_index, "--text", "浮遊感")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "浮遊感: no word understood" in err and 'translations.toml as [words] "浮遊感"' in err


def test_words_from_the_users_file_are_used(word_index, tmp_path, monkeypatch, capsys):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "translations.toml").write_text('[words]\n"ほっこり" = "warm"\n', encoding="utf-8")
    [result] = search_text(word_index, ["ほっこりベース"], top=1)
    assert result.searched_for == "warm bass" and result.hits[0].name == "warm bass"
