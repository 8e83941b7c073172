"""Pitch views in the index: computed by `timbre index`, kept per content, crash-safe, configurable."""

import json
import os
import shutil
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "app"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))

from app_demo import SR, tone  # noqa: E402
from cli_run import timbre  # noqa: E402
from ogg_files import write_ogg  # noqa: E402

from timbre.index import build_index, open_index  # noqa: E402
from timbre.progress import NullProgress  # noqa: E402
from timbre.index import views as views_module  # noqa: E402
from timbre.index.view_textures import TEXTURES, views_per_preview  # noqa: E402
from timbre.index.views import (DEFAULT_SEMITONES, complete_views, parse_semitones,  # noqa: E402
                                view_semitones, view_store, view_textures, view_vectors)

DEFAULT_COUNT = views_per_preview(DEFAULT_SEMITONES, TEXTURES)  # spectral's default

FAMILIES = ("saw", "square", "sine", "organ")


def write_library(folder, families=FAMILIES, midi=48):
    os.makedirs(folder, exist_ok=True)
    for family in families:
        write_ogg(os.path.join(folder, f"{family}.ogg"), tone(family, midi, 1.0), SR)
    return str(folder)


def test_a_new_index_gets_the_default_views_of_every_preview(tmp_path):
    report = build_index([write_library(tmp_path / "lib")], str(tmp_path / "idx"), "spectral", workers=0)
    lib = open_index(str(tmp_path / "idx"))
    assert view_semitones(lib) == DEFAULT_SEMITONES and report.views == len(FAMILIES)
    assert view_textures(lib) == TEXTURES == ("note", "chord", "arp")  # spectral's default
    views = view_vectors(lib)
    assert views.shape == (len(FAMILIES), DEFAULT_COUNT, lib.vectors.shape[1]) and DEFAULT_COUNT == 36
    own = views[:, DEFAULT_SEMITONES.index(0)]  # the note views come first
    np.testing.assert_allclose(own, lib.vectors, atol=1e-5)  # the unshifted view is the row itself
    assert not np.allclose(views[:, 0], own)  # an octave down is another vector
    assert build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), workers=0).views == 0  # nothing new


def test_moved_previews_keep_their_views_and_new_ones_get_theirs(tmp_path, monkeypatch):
    lib_dir = write_library(tmp_path / "lib", FAMILIES[:3])
    build_index([lib_dir], str(tmp_path / "idx"), "spectral", workers=0)
    os.makedirs(tmp_path / "lib" / "moved")
    shutil.move(os.path.join(lib_dir, "saw.ogg"), os.path.join(lib_dir, "moved", "saw renamed.ogg"))
    write_library(lib_dir, FAMILIES[3:])
    embedded = []
    real = views_module.shifted_clips
    monkeypatch.setattr(views_module, "shifted_clips", lambda path, *a: embedded.append(path) or real(path, *a))
    report = build_index([lib_dir], str(tmp_path / "idx"), workers=0)
    assert report.views == 1 and [os.path.basename(p) for p in embedded] == ["organ.ogg"]
    lib = open_index(str(tmp_path / "idx"))
    assert np.isfinite(view_vectors(lib)).all() and len(lib) == 4


def test_a_crash_keeps_the_parts_already_saved_and_the_next_run_finishes(tmp_path, monkeypatch):
    lib_dir = write_library(tmp_path / "lib")
    build_index([lib_dir], str(tmp_path / "idx"), "spectral", workers=0, views=(), textures=("note",))
    lib = open_index(str(tmp_path / "idx"))
    monkeypatch.setattr(views_module, "PART_PRESETS", 1)
    real, calls = views_module.shifted_clips, []

    def crash_on_third(*args):
        calls.append(args[0])
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(views_module, "shifted_clips", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        complete_views(lib, (-5, 0, 7))
    assert len(view_store(lib, (-5, 0, 7)).load()) == 2  # two parts were written before the crash
    monkeypatch.setattr(views_module, "shifted_clips", real)
    assert complete_views(lib, (-5, 0, 7)) == 2  # only the two left


def test_a_preview_that_cannot_be_decoded_is_searched_by_its_own_vector(tmp_path, monkeypatch):
    lib_dir = write_library(tmp_path / "lib", FAMILIES[:2])
    monkeypatch.setattr(views_module, "shifted_clips", lambda *a: None)
    build_index([lib_dir], str(tmp_path / "idx"), "spectral", workers=0)
    lib = open_index(str(tmp_path / "idx"))
    np.testing.assert_array_equal(view_vectors(lib), np.repeat(lib.vectors[:, None], DEFAULT_COUNT, 1))


def test_views_can_be_changed_or_turned_off_and_the_cli_says_so(tmp_path, monkeypatch, capsys):
    lib_dir, index = write_library(tmp_path / "lib", FAMILIES[:2]), str(tmp_path / "idx")
    code, out, err = timbre(monkeypatch, capsys, "index", lib_dir, "--index", index, "--views", "-12,0,12")
    assert code == 0 and "pitch views computed for 2" in out, err
    assert json.load(open(os.path.join(index, "index.json")))["views"] == {
        "semitones": [-12, 0, 12], "textures": ["note", "chord", "arp"]}
    code, out, err = timbre(monkeypatch, capsys, "index", lib_dir, "--index", index, "--view-textures", "arp,note")
    assert code == 0 and "pitch views computed for 2" in out, err
    assert json.load(open(os.path.join(index, "index.json")))["views"] == {
        "semitones": [-12, 0, 12], "textures": ["note", "arp"]}  # the shifts kept, the textures in their order
    assert view_vectors(open_index(index)).shape[1] == 6
    code, out, err = timbre(monkeypatch, capsys, "info", "--index", index)
    assert code == 0 and "views     6 a preview: -12,0,12 semitones × note, arp; 2 of 2 previews have them" in out
    assert "today's default shifts are -12,-7,-5,0,5,7,12,19,24: `timbre index DIR --views default`" in out
    code, out, err = timbre(monkeypatch, capsys, "index", lib_dir, "--index", index, "--view-textures", "pad")
    assert code == 2 and err.startswith("error: view textures") and " — " in err and len(err.strip().splitlines()) == 1
    code, out, err = timbre(monkeypatch, capsys, "index", lib_dir, "--index", index, "--views", "none", "--json")
    assert code == 0 and json.loads(out)["views"] == 0
    assert view_vectors(open_index(index)) is None
    code, out, err = timbre(monkeypatch, capsys, "info", "--index", index, "--json")
    assert code == 0 and json.loads(out)["views"] is None
    code, out, err = timbre(monkeypatch, capsys, "index", lib_dir, "--index", index, "--views", "7,x")
    assert code == 2 and err.startswith("error: views") and " — " in err and len(err.strip().splitlines()) == 1


def test_changing_the_views_deletes_the_old_ones_from_disk(tmp_path):
    lib_dir, index = write_library(tmp_path / "lib", FAMILIES[:2]), str(tmp_path / "idx")
    stores = lambda: sorted(e for e in os.listdir(os.path.join(index, "cache")) if e.startswith("views-"))  # noqa: E731
    build_index([lib_dir], index, "spectral", workers=0)
    default_store = stores()
    build_index([lib_dir], index, "spectral", workers=0, views=(-12, 0, 12))
    assert len(stores()) == 1 and stores() != default_store
    assert view_vectors(open_index(index)).shape[1] == views_per_preview((-12, 0, 12), TEXTURES)
    build_index([lib_dir], index, "spectral", workers=0, textures=("note",))
    assert len(stores()) == 1 and view_vectors(open_index(index)).shape[1] == 3
    build_index([lib_dir], index, "spectral", workers=0, views=())
    assert stores() == []


@pytest.mark.parametrize("text, expected", [("default", DEFAULT_SEMITONES), ("none", ()), ("7,-5", (-5, 0, 7)),
                                            (" -12, 12 ", (-12, 0, 12))])
def test_parse_semitones(text, expected):
    assert parse_semitones(text) == expected


@pytest.mark.parametrize("text", ["x", "1.5", "30"])
def test_parse_semitones_refuses_in_one_line(text):
    with pytest.raises(ValueError, match=" — "):
        parse_semitones(text)


def test_worker_processes_compute_the_same_views(tmp_path, monkeypatch):
    lib_dir = write_library(tmp_path / "lib")
    build_index([lib_dir], str(tmp_path / "idx"), "spectral", workers=0, views=())
    lib = open_index(str(tmp_path / "idx"))
    monkeypatch.setattr(views_module, "PART_PRESETS", 1)  # 4 previews are enough for a pool
    assert complete_views(lib, (-7, 0, 12), workers=2) == 4  # every texture: 12 views each
    pooled = view_store(lib, (-7, 0, 12)).load()
    monkeypatch.setattr(views_module, "view_store", lambda *a: views_module.ContentRows(str(tmp_path / "x"), 12))
    assert complete_views(lib, (-7, 0, 12), workers=0) == 4
    here = views_module.ContentRows(str(tmp_path / "x"), 12).load()
    assert sorted(pooled) == sorted(here) == sorted(lib.hashes)
    for key in here:
        np.testing.assert_allclose(pooled[key], here[key], atol=1e-6)


class MainProcessSpectral:
    """``spectral`` seen as a torch embedder would be: not ``parallel_safe``, ``batch_size`` clips
    per call; records the size of every call."""

    parallel_safe = False
    batch_size = 6

    def __init__(self):
        from timbre.embedders import load_embedder

        self.inner = load_embedder("spectral")
        self.calls: list[int] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed_audio(self, batch):
        self.calls.append(len(batch))
        return self.inner.embed_audio(batch)


def test_a_torch_embedder_embeds_views_here_from_clips_the_workers_decode(tmp_path, monkeypatch):
    lib_dir = write_library(tmp_path / "lib")
    build_index([lib_dir], str(tmp_path / "idx"), "spectral", workers=0, views=(), textures=("note",))
    lib = open_index(str(tmp_path / "idx"))
    with open(os.path.join(lib_dir, "square.ogg"), "wb") as fh:  # indexed, then broken on disk
        fh.write(b"not audio any more")
    model = MainProcessSpectral()
    lib.use_embedder(model)
    monkeypatch.setattr(views_module, "PART_PRESETS", 1)  # 4 previews are enough for a pool
    notes = []
    progress = NullProgress()
    progress.note = notes.append
    assert complete_views(lib, (-7, 0, 12), progress=progress, workers=2) == 3
    assert len(notes) == 1 and "pitch views: skipped" in notes[0] and "square.ogg" in notes[0]
    assert model.calls == [6, 3] or model.calls == [3, 6]  # two previews' clips per call; the broken one has none
    stored = view_store(lib, (-7, 0, 12)).load()
    square = lib.hashes[[os.path.basename(r["path"]) for r in lib.records].index("square.ogg")]
    assert sorted(stored) == sorted(h for h in lib.hashes if h != square)
    for row, key in enumerate(lib.hashes):
        if key != square:
            expected = views_module.embed_views(model.inner, lib.records[row]["path"], (-7, 0, 12),
                                                NullProgress())
            np.testing.assert_allclose(stored[key], expected, atol=1e-6)

