"""Tags end to end with a text-capable toy whose audio and text agree: zero-shot tags from the text
tower and tags from names/folders, `timbre info` counts, `timbre search --tag` filters (audio and text)."""

import json
import os
import sys

import pytest
from word_toy import make_tagged_library, use_word_toy, write_preset

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))

from cli_run import timbre  # noqa: E402

from timbre.index import build_index, open_index  # noqa: E402
from timbre.search import search_library  # noqa: E402
from timbre.tags import library_tags  # noqa: E402

PADS = {"patch 01", "patch 02", "patch 03", "Nice One"}  # three by ear, one by its folder "Pads"


@pytest.fixture
def tagged_index(tmp_path, monkeypatch):
    monkeypatch.setenv("TIMBRE_HOME", str(tmp_path / "home"))
    use_word_toy(monkeypatch)
    build_index([make_tagged_library(tmp_path / "lib")], str(tmp_path / "idx"), "wordtoy", workers=0,
                views=())  # word vectors: no pitch to view
    return str(tmp_path / "idx")


def test_every_preset_gets_the_tags_its_sound_and_name_give(tagged_index):
    lib = open_index(tagged_index)
    tags = {record["name"]: row for record, row in zip(lib.records, library_tags(lib))}
    assert {name for name, row in tags.items() if "pad" in row["tags"]} == PADS
    assert tags["patch 07"]["tags"] == ["bell"] and tags["patch 09"]["tags"] == ["keys"]
    assert tags["LD Screamer"] == {"tags": ["lead", "pluck"], "name": ["lead"], "audio": {"pluck": 1.0}}
    assert tags["Nice One"]["name"] == ["pad"] and list(tags["Nice One"]["audio"]) == ["bass"]


def test_tags_are_cached_per_index_state(tagged_index, tmp_path, monkeypatch):
    from word_toy import WordToyEmbedder

    library_tags(open_index(tagged_index))
    calls = []
    monkeypatch.setattr(WordToyEmbedder, "embed_text", lambda self, texts: calls.append(texts) or 1 / 0)
    assert len(library_tags(open_index(tagged_index))) == 12 and calls == []  # from the cache
    write_preset(tmp_path / "lib" / "bank" / "patch 11.wav", ("pad",))
    build_index([str(tmp_path / "lib")], tagged_index, workers=0)
    with pytest.raises(ZeroDivisionError):  # a new state: tags are computed again
        library_tags(open_index(tagged_index))


def test_search_tag_keeps_only_presets_with_that_tag(tagged_index, tmp_path):
    [by_text] = search_library(tagged_index, [], ["warm"], top=10, tags=["pad"])
    assert {h.name for h in by_text.hits} == PADS and by_text.hits[0].name == "patch 01"
    [untagged] = search_library(tagged_index, [], ["warm"], top=2)
    assert {h.name for h in untagged.hits} == {"patch 01", "patch 04"}  # warm pad and warm bass tie
    target = write_preset(tmp_path / "loop.wav", ("warm", "lead"))
    [unfiltered] = search_library(tagged_index, [target], top=1)
    assert unfiltered.hits[0].name == "patch 10"  # the lead
    [by_audio] = search_library(tagged_index, [target], top=3, tags=["pad", "bell"])
    assert by_audio.hits[0].name == "patch 01" and {h.name for h in by_audio.hits} <= PADS | {"patch 07"}


def test_the_cli_filters_and_info_counts_the_tags(tagged_index, monkeypatch, capsys):
    code, out, err = timbre(monkeypatch, capsys, "search", "--index", tagged_index, "--text", "暖かい",
                            "--tag", "pad", "--format", "json")
    assert code == 0, err
    [entry] = json.loads(out)
    assert entry["searched_for"] == "warm" and entry["results"][0]["name"] == "patch 01"
    assert {hit["name"] for hit in entry["results"]} == PADS
    code, out, err = timbre(monkeypatch, capsys, "info", "--index", tagged_index)
    assert code == 0, err
    assert "tags      names and audio" in out and "        4  pad" in out and "        3  lead" in out
    code, out, err = timbre(monkeypatch, capsys, "info", "--index", tagged_index, "--json")
    assert json.loads(out)["tags"]["counts"] == {"pad": 4, "bass": 3, "lead": 3, "pluck": 2, "bell": 1, "keys": 1}


def test_an_unknown_tag_fails_in_one_line_listing_the_tags(tagged_index, monkeypatch, capsys):
    code, out, err = timbre(monkeypatch, capsys, "search", "--index", tagged_index, "--text", "warm", "--tag", "pda")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "no preset is tagged 'pda' — tags in this index: pad (4), bass (3)" in err


def test_an_index_without_a_text_tower_tags_by_name_only(tmp_path, monkeypatch, capsys):
    make_tagged_library(tmp_path / "lib")
    build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), "spectral", workers=0)
    code, out, err = timbre(monkeypatch, capsys, "info", "--index", tmp_path / "idx", "--json")
    assert code == 0, err
    tags = json.loads(out)["tags"]
    assert tags == {"counts": {"lead": 1, "pad": 1}, "source": "names only (the embedder has no text tower)"}
