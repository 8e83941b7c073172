"""Bad names, links and folders: each is reported with a reason, never crashes a run, never blocks other files."""

import errno
import json
import os

import pytest
from toy_embedders import make_library, write_tone

from timbre.index import build_index, open_index
from timbre.search import search_audio


def _reasons(report):
    return {os.path.basename(s.path): s.reason for s in report.skipped}


@pytest.mark.parametrize("workers", [0, 2])
def test_a_name_that_is_not_utf8_is_skipped_and_never_blocks_indexing(tmp_path, workers):
    good = make_library(tmp_path / "lib", banks=1, per_bank=2)
    _write_tone_as(os.path.join(os.fsencode(tmp_path / "lib" / "bank0"), b"caf\xe9.wav"), tmp_path)
    index = str(tmp_path / "idx")

    report = build_index([str(tmp_path / "lib")], index, "toy", workers=workers)
    assert report.added == len(good)
    [skip] = report.skipped
    assert skip.reason == "bad_name" and skip.path.endswith("caf\\xe9.wav") and "rename it" in skip.detail
    json.dumps(report.to_dict(), ensure_ascii=False).encode("utf-8")  # printable as UTF-8

    later = write_tone(tmp_path / "lib" / "bank0" / "later.wav", 900.0)
    again = build_index([str(tmp_path / "lib")], index, workers=workers)
    assert again.added == 1 and again.unchanged == len(good) and _reasons(again) == {"caf\\xe9.wav": "bad_name"}
    lib = open_index(index)
    assert sorted(lib.paths) == sorted(good + [later])
    assert [s["reason"] for s in lib.skipped] == ["bad_name"]


def test_a_folder_whose_name_is_not_utf8_reports_each_file(tmp_path):
    make_library(tmp_path / "lib", banks=1, per_bank=1)
    folder = os.path.join(os.fsencode(tmp_path / "lib"), b"B\xe4nk")
    os.mkdir(folder)
    for name in (b"a.wav", b"b.wav"):
        _write_tone_as(os.path.join(folder, name), tmp_path)
    report = build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), "toy", workers=0)
    assert report.added == 1 and sorted(_reasons(report).items()) == [("a.wav", "bad_name"), ("b.wav", "bad_name")]


def test_dangling_links_and_link_loops_are_reported(tmp_path):
    paths = make_library(tmp_path / "lib", banks=1, per_bank=2)
    bank = tmp_path / "lib" / "bank0"
    os.symlink(tmp_path / "gone.wav", bank / "dangling.wav")
    os.symlink(bank / "self.ogg", bank / "self.ogg")
    os.symlink(tmp_path / "lib", bank / "loop")
    os.symlink(tmp_path / "missing-folder", bank / "old bank")
    os.symlink(tmp_path / "gone.txt", bank / "notes.txt")  # not audio: nothing to report
    report = build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), "toy", workers=0)
    assert report.added == len(paths)
    assert _reasons(report) == {"dangling.wav": "dangling_link", "self.ogg": "link_loop", "loop": "link_loop",
                                "old bank": "dangling_link"}
    assert all(" — " in s.detail for s in report.skipped)
    assert {os.path.basename(s["path"]) for s in open_index(str(tmp_path / "idx")).skipped} == set(_reasons(report))


def test_a_folder_named_like_audio_is_reported_and_its_files_indexed(tmp_path):
    make_library(tmp_path / "lib", banks=1, per_bank=1)
    inner = write_tone(tmp_path / "lib" / "Pad.wav" / "take 1.wav", 330.0)
    report = build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), "toy", workers=0)
    assert _reasons(report) == {"Pad.wav": "folder"}
    assert inner in open_index(str(tmp_path / "idx")).paths


def test_a_pipe_named_like_audio_is_reported_without_blocking(tmp_path):
    make_library(tmp_path / "lib", banks=1, per_bank=1)
    os.mkfifo(tmp_path / "lib" / "bank0" / "live.ogg")
    report = build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), "toy", workers=0)
    assert report.added == 1 and _reasons(report) == {"live.ogg": "not_a_file"}


def test_an_unreadable_file_is_reported_as_permission_denied(tmp_path, monkeypatch):
    paths = make_library(tmp_path / "lib", banks=1, per_bank=2)
    _deny(monkeypatch, paths[0], "open")
    report = build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), "toy", workers=0)
    assert report.added == 1 and _reasons(report) == {os.path.basename(paths[0]): "permission_denied"}
    assert report.skipped[0].detail == "cannot read (permission denied) — check its permissions"


def test_an_unreadable_folder_keeps_its_indexed_rows_and_is_reported(tmp_path, monkeypatch):
    paths = make_library(tmp_path / "lib", banks=2, per_bank=2)
    index = str(tmp_path / "idx")
    build_index([str(tmp_path / "lib")], index, "toy", workers=0)
    _deny(monkeypatch, tmp_path / "lib" / "bank1", "scandir")

    report = build_index([str(tmp_path / "lib")], index, workers=0)
    assert report.removed == 0 and report.unchanged == len(paths)
    assert _reasons(report) == {"bank1": "unreadable_folder"} and "kept" in report.skipped[0].detail
    assert sorted(open_index(index).paths) == sorted(paths)


def test_the_same_library_through_a_symlinked_path_is_indexed_once(tmp_path):
    paths = make_library(tmp_path / "lib", banks=2, per_bank=2)
    os.symlink(tmp_path / "lib", tmp_path / "link")
    index = str(tmp_path / "idx")
    build_index([str(tmp_path / "link")], index, "toy", workers=0, views=())  # scores are the rows' own
    again = build_index([str(tmp_path / "lib"), str(tmp_path / "link")], index, workers=0)
    assert (again.added, again.removed, again.unchanged) == (0, 0, len(paths))
    lib = open_index(index)
    assert sorted(lib.paths) == sorted(paths)
    [result] = search_audio(index, [paths[0]], top=3)
    assert len({hit.path for hit in result.hits}) == 3 and result.hits[1].score < 0.999


def test_rows_indexed_through_a_link_before_are_replaced_not_doubled(tmp_path, monkeypatch):
    from timbre.index import scan

    paths = make_library(tmp_path / "lib", banks=1, per_bank=3)
    os.symlink(tmp_path / "lib", tmp_path / "link")
    index = str(tmp_path / "idx")
    with monkeypatch.context() as patch:
        patch.setattr(scan.os.path, "realpath", os.path.abspath)  # as older versions stored paths
        build_index([str(tmp_path / "link")], index, "toy", workers=0)
    assert all(p.startswith(str(tmp_path / "link")) for p in open_index(index).paths)
    report = build_index([str(tmp_path / "lib")], index, workers=0)
    assert sorted(open_index(index).paths) == sorted(paths) and report.reused == len(paths)


def test_a_file_linked_into_a_second_bank_is_indexed_once_and_the_link_reported(tmp_path):
    paths = make_library(tmp_path / "lib", banks=2, per_bank=1)
    os.symlink(paths[0], tmp_path / "lib" / "bank1" / "also.wav")
    os.symlink(tmp_path / "lib" / "bank0", tmp_path / "lib" / "bank9")
    report = build_index([str(tmp_path / "lib")], str(tmp_path / "idx"), "toy", workers=0)
    assert report.added == 2 and _reasons(report) == {"also.wav": "duplicate", "bank9": "duplicate"}


def _write_tone_as(raw_path, tmp_path):
    """A tone file under a name soundfile cannot write (bytes that are not UTF-8)."""
    os.rename(write_tone(tmp_path / "tmp-tone.wav", 500.0), raw_path)


def _deny(monkeypatch, path, call):
    """Make ``os.<call>`` refuse ``path`` with EACCES (root reads through chmod 000)."""
    path = str(path)
    if os.geteuid() != 0:
        os.chmod(path, 0)
        monkeypatch.undo = lambda real=monkeypatch.undo: (os.chmod(path, 0o755), real())
        return
    real = getattr(os, call)

    def refuse(target, *args, **kwargs):
        if os.fspath(target) == path:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real(target, *args, **kwargs)

    monkeypatch.setattr(os, call, refuse)
