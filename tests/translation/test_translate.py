"""The Japanese → English layer on its own: vocabulary, longest match, particles, unknown words,
the user's translations.toml."""

import pytest

from timbre.errors import TimbreError
from timbre.translation import has_japanese, load_vocabulary, translate_query, user_file


@pytest.fixture(autouse=True)
def home(monkeypatch, tmp_path):
    monkeypatch.setenv("TIMBRE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.mark.parametrize("query, english", [
    ("暖かいパッド", "warm pad"),
    ("明るいリード", "bright lead"),
    ("暗くて重いドローン", "dark heavy drone"),
    ("太いベース", "thick bass"),
    ("柔らかいストリングスとディレイ", "soft strings delay"),
    ("硬めのプラック", "hard pluck"),
    ("金属的なベルの音", "metallic bell sound"),
    ("重低音", "sub bass"),  # the compound wins over 重 + 低音
    ("ブラスにリバーブ、ディストーション", "brass reverb distortion"),
    ("あたたかいぱっど", "warm pad"),  # hiragana, and a katakana word written in hiragana
    ("warm パッド", "warm pad"),  # English words pass through
    ("ウォームなキーズ", "warm keys"),
])
def test_sound_design_words_are_translated(query, english):
    translation = translate_query(query)
    assert translation.english == english and translation.unknown == [] and translation.translated


def test_english_queries_are_left_alone():
    translation = translate_query("warm analog pad")
    assert translation.english == "warm analog pad" and not translation.translated and translation.unknown == []
    assert not has_japanese("warm pad") and has_japanese("パッド") and has_japanese("暖")


def test_words_not_understood_are_reported_and_the_rest_still_searched():
    translation = translate_query("すごくエモい浮遊感のパッド")
    assert translation.english == "pad"
    assert translation.unknown == ["エモい", "浮遊感"]


def test_nothing_understood_gives_no_english():
    translation = translate_query("浮遊感")
    assert translation.english == "" and translation.unknown == ["浮遊感"]


def test_the_users_file_adds_and_overrides_words(home):
    home.mkdir()
    (home / "translations.toml").write_text('[words]\n"エモい" = "emotional"\n"浮遊感" = "floating airy"\n'
                                            '"パッド" = "synth pad"\n', encoding="utf-8")
    assert user_file() == str(home / "translations.toml")
    translation = translate_query("エモい浮遊感のパッド")
    assert translation.english == "emotional floating airy synth pad" and translation.unknown == []
    assert load_vocabulary()["暖か"] == "warm"


@pytest.mark.parametrize("text", ['[words]\n"エモい" = 3\n', "[words\n"])
def test_a_broken_users_file_fails_in_one_line(home, text):
    home.mkdir()
    (home / "translations.toml").write_text(text, encoding="utf-8")
    with pytest.raises(TimbreError, match="translations.toml") as err:
        translate_query("パッド")
    assert "\n" not in str(err.value)
