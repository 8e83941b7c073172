"""`--thorough` search: a loop's notes are compared with the presets (spectral, synthesized library)."""

import json
import os
import sys

import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "app"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))

from app_demo import SR, tone  # noqa: E402
from cli_run import timbre  # noqa: E402
from ogg_files import write_ogg  # noqa: E402

from timbre.search import search_audio  # noqa: E402
from timbre.search.engine import rank_rows  # noqa: E402
from timbre.search.notes import MAX_EVENTS, segment_notes  # noqa: E402

FAMILIES = ("saw", "square", "sine", "organ")
DECAYS = (1.0, 4.0)  # two near-variations per family


@pytest.fixture(scope="module")
def spectral_library(tmp_path_factory):
    """(index path, folder) of 4 families x 2 decays, previews at C3, indexed with spectral."""
    from timbre.index import build_index

    root = tmp_path_factory.mktemp("thorough")
    for family in FAMILIES:
        os.makedirs(root / "lib" / family)
        for k, decay in enumerate(DECAYS):
            write_ogg(root / "lib" / family / f"{family} {k}.ogg", tone(family, 48, 1.2, decay=decay), SR)
    build_index([str(root / "lib")], str(root / "idx"), "spectral", workers=0)
    return str(root / "idx"), root


def sequence(family: str, pitches, seconds: float = 0.4, decay: float = 1.0) -> np.ndarray:
    return np.concatenate([tone(family, midi, seconds, decay=decay) for midi in pitches])


def write_target(folder, name: str, audio: np.ndarray) -> str:
    path = str(folder / name)
    sf.write(path, audio, SR)
    return path


@pytest.mark.parametrize("count", [1, 3, 6, 10])
def test_segmentation_finds_each_note_of_a_sequence(count):
    pitches = [55 + (5 * k) % 17 for k in range(count)]
    audio = sequence("saw", pitches) + 0.003 * np.random.default_rng(0).normal(size=int(SR * 0.4) * count)
    events = segment_notes(audio.astype(np.float32), SR)
    assert len(events) == count
    assert all(0.3 * SR <= len(e) <= 0.5 * SR for e in events)


def test_segmentation_limits_long_silent_and_many_events():
    assert segment_notes(np.zeros(3 * SR, np.float32), SR) == []
    assert segment_notes(tone("saw", 60, 0.1), SR) == []
    assert [len(e) for e in segment_notes(tone("saw", 60, 5.0), SR)] == [2 * SR, 2 * SR, SR]
    many = sequence("organ", [50 + k % 12 for k in range(30)], seconds=0.3)
    events = segment_notes(many, SR)
    again = segment_notes(many, SR)
    assert len(events) == MAX_EVENTS and all(np.array_equal(a, b) for a, b in zip(events, again))


@pytest.mark.parametrize("family", FAMILIES)
def test_a_melody_of_one_timbre_finds_its_preset_first_with_thorough(spectral_library, family):
    index, root = spectral_library
    target = write_target(root, f"{family}-melody.wav", sequence(family, [57, 62, 65, 69, 64, 60]))
    [result] = search_audio(index, [target], top=8, thorough=True)
    assert result.hits[0].name == f"{family} 0"
    assert [h.rank for h in result.hits] == list(range(1, 9))
    assert all(a.score >= b.score for a, b in zip(result.hits, result.hits[1:]))


def test_default_search_is_unchanged_and_never_segments(spectral_library, monkeypatch):
    from timbre.audio import load_audio
    from timbre.index import open_index
    from timbre.search import notes

    index, root = spectral_library
    target = write_target(root, "default.wav", sequence("square", [60, 67, 64]))
    [thorough] = search_audio(index, [target], top=8, thorough=True)
    monkeypatch.setattr(notes, "segment_notes", lambda *a: pytest.fail("default search segmented the target"))
    [default] = search_audio(index, [target], top=8)
    lib = open_index(index)
    model = lib.load_embedder()
    query = model.embed_audio([load_audio(target, model.sample_rate)])
    scores, ids = rank_rows(lib, query, 8)
    assert [(h.row, h.score) for h in default.hits] == [(int(i), float(s)) for s, i in zip(scores[0], ids[0])]
    assert [h.score for h in thorough.hits] != [h.score for h in default.hits]


def test_cli_search_thorough(spectral_library, monkeypatch, capsys):
    index, root = spectral_library
    target = write_target(root, "cli.wav", sequence("organ", [55, 59, 62, 67]))
    code, out, err = timbre(monkeypatch, capsys, "search", target, "--index", index, "--thorough",
                            "--format", "json", "--top", "3")
    assert code == 0, err
    hits = json.loads(out)[0]["results"]
    assert hits[0]["name"] == "organ 0" and len(hits) == 3
    code, out, err = timbre(monkeypatch, capsys, "search", target, "--index", index, "--format", "json")
    assert code == 0 and json.loads(out)[0]["results"][0]["score"] != hits[0]["score"]


def test_the_notes_reorder_the_candidates_by_the_mixed_score():
    from types import SimpleNamespace

    from timbre.search.engine import NOTE_WEIGHT, WHOLE_WEIGHT, rank_rows_thorough

    library = np.eye(4, dtype=np.float32)  # row r is direction r
    whole = np.array([[0.7, 0.6, 0.3, 0.0]], np.float32)  # nearest to row 0 as a whole ...
    notes = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.8, 0.6, 0.0]], np.float32)  # ... its notes to row 1
    lib = SimpleNamespace(vectors=library, config={}, embedder_spec={"name": "spectral"},  # no views
                          memoized=lambda key, compute: compute())
    scores, ids = rank_rows_thorough(lib, whole, [notes], 4, candidates=3)
    assert ids[0].tolist() == [1, 0, 2, 3]  # row 3 was past the candidates: it stays last
    assert scores[0][0] == pytest.approx(WHOLE_WEIGHT * 0.6 + NOTE_WEIGHT * 0.9)
    assert scores[0][3] == pytest.approx(0.0)
    assert scores[0][1] == pytest.approx(WHOLE_WEIGHT * 0.7)
    unchanged = rank_rows_thorough(lib, whole, [np.zeros((0, 4), np.float32)], 4)
    assert [a.tolist() for a in unchanged] == [a.tolist() for a in rank_rows(lib, whole, 4)]


def test_thorough_decodes_each_target_once_and_skips_bad_ones(spectral_library, tmp_path, monkeypatch):
    import timbre.audio

    index, _ = spectral_library
    good = write_target(tmp_path, "loop.wav", sequence("square", [48, 55, 60]))
    bad = str(tmp_path / "bad.wav")
    with open(bad, "wb") as fh:
        fh.write(b"not audio")
    decoded = []
    real = timbre.audio.load_audio
    monkeypatch.setattr(timbre.audio, "load_audio", lambda path, sr: decoded.append(path) or real(path, sr))
    results = search_audio(index, [bad, good], top=3, thorough=True)
    assert decoded == [bad, good]  # one decoding per target, shared by the whole loop and its notes
    assert results[0].error and results[1].hits[0].name.startswith("square")
