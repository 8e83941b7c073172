"""The augmentation budget (augment.max_presets) and the time estimate asked about before embedding."""

import os
import random
import sys

import pytest

from heads_toy_embedder import build_toy_index

from timbre.errors import TimbreError
from timbre.heads import augment, budget
from timbre.heads.budget import budget_rows
from timbre.heads.config import load_head_config
from timbre.heads.train import train_head

TINY = {"model": {"hidden_dim": 16}, "trainer": {"max_epochs": 1, "batch_size": 32, "patience": 1,
                                                 "val_fraction": 0.25},
        "augment": {"variants_per_preset": 2}}


def records(folders: dict[str, int], prefix: str = "") -> list[dict]:
    return [{"folder": f"/lib/{folder}", "content_hash": f"{prefix}{folder}-{i}"}
            for folder, count in folders.items() for i in range(count)]


def chosen(rows: list[dict], max_presets: int, seed: int = 0) -> set[str]:
    return {rows[r]["content_hash"] for r in budget_rows(rows, max_presets, seed)}


def test_no_budget_or_a_budget_above_the_library_takes_every_preset():
    rows = records({"a": 5, "b": 3})
    assert budget_rows(rows, 0) == list(range(8)) and budget_rows(rows, 8) == list(range(8))


def test_the_sample_is_stratified_by_folder():
    rows = records({"bass": 60, "pads": 30, "fx": 10})
    picked = chosen(rows, 20)
    assert len(picked) == 20
    assert [sum(h.startswith(f"{f}-") for h in picked) for f in ("bass", "pads", "fx")] == [12, 6, 2]


def test_the_sample_is_seeded_and_does_not_depend_on_file_order():
    rows = records({"bass": 40, "pads": 25, "fx": 7})
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    assert chosen(rows, 30) == chosen(shuffled, 30)
    assert chosen(rows, 30, seed=1) != chosen(rows, 30, seed=0)


def test_the_sample_stays_stable_as_the_library_grows():
    rows = records({"bass": 400, "pads": 300, "fx": 300})
    grown = rows + records({"new bank": 100})
    before, after = chosen(rows, 300), chosen(grown, 300)
    assert len(before & after) >= 0.88 * 300  # the new bank takes its share; the rest keep their presets


def test_max_presets_is_validated():
    assert load_head_config()["augment"]["max_presets"] == budget_default()
    with pytest.raises(TimbreError, match="augment.max_presets must be >= 0"):
        load_head_config({"augment": {"max_presets": -1}})


def budget_default() -> int:
    import tomllib

    with open(os.path.join(os.path.dirname(__file__), "..", "..", "configs", "head.toml"), "rb") as fh:
        return tomllib.load(fh)["augment"]["max_presets"]


class Recorder:
    def __init__(self):
        self.events = []

    def start(self, total, desc, unit="file"):
        self.events.append(("start", desc, total))

    def advance(self, n=1):
        pass

    def note(self, message):
        self.events.append(("note", message))

    def close(self):
        pass

    def notes(self):
        return [e[1] for e in self.events if e[0] == "note"]


@pytest.fixture
def index(tmp_path):
    return build_toy_index(tmp_path, 12)


def config(max_presets: int) -> dict:
    return {**TINY, "augment": {**TINY["augment"], "max_presets": max_presets}}


def test_training_augments_only_the_budget_and_says_so(index, tmp_path):
    progress = Recorder()
    info = train_head(index, pairs=(), augment=True, config=config(6), models_dir=str(tmp_path / "m"),
                      progress=progress)
    assert info.training["summary"]["augmented"] == 6 * 2 and info.training["summary"]["presets"] == 12
    assert any(n.startswith("augmenting 6 of 12 presets (augment.max_presets = 6") for n in progress.notes())


def test_the_estimate_is_printed_before_the_clips_are_embedded(index, tmp_path):
    progress = Recorder()
    train_head(index, pairs=(), augment=True, config=config(0), models_dir=str(tmp_path / "m"), progress=progress)
    estimate = next(i for i, e in enumerate(progress.events)
                    if e[0] == "note" and e[1].startswith("augmentation: 14 more clips to embed with headtoy, about "))
    started = next(i for i, e in enumerate(progress.events) if e[:2] == ("start", "augmenting previews"))
    assert estimate < started and "a clip, measured on 8 clips)" in progress.events[estimate][1]


def test_a_long_estimate_asks_and_a_no_trains_nothing(index, tmp_path, monkeypatch):
    monkeypatch.setattr(budget, "CONFIRM_SECONDS", 0.0)
    questions = []
    models = tmp_path / "m"
    with pytest.raises(TimbreError, match="training cancelled before embedding 14 augmented clips .* "
                                          "set a smaller augment.max_presets"):
        train_head(index, pairs=(), augment=True, config=config(0), models_dir=str(models),
                   confirm=lambda q: questions.append(q) or False)
    assert len(questions) == 1 and questions[0].startswith("Embedding them takes about ")
    assert not (models / "heads").exists() or not [n for n in os.listdir(models / "heads") if n[0].isdigit()]
    info = train_head(index, pairs=(), augment=True, config=config(0), models_dir=str(models),
                      confirm=lambda q: True)
    assert info.latest


def test_nobody_to_ask_goes_ahead_and_says_so(index, tmp_path, monkeypatch):
    monkeypatch.setattr(budget, "CONFIRM_SECONDS", 0.0)
    progress = Recorder()
    train_head(index, pairs=(), augment=True, config=config(0), models_dir=str(tmp_path / "m"), progress=progress)
    assert any(n.startswith("going ahead without asking") for n in progress.notes())


def test_a_bigger_budget_embeds_only_the_presets_it_adds(index, tmp_path, monkeypatch):
    embedded = []
    real = augment.embed_augmentations

    def counting(lib, settings, seed=0, progress=None, rows=None):
        embedded.extend(rows)
        return real(lib, settings, seed, progress, rows=rows)

    monkeypatch.setattr(augment, "embed_augmentations", counting)
    train_head(index, pairs=(), augment=True, config=config(4), models_dir=str(tmp_path / "m"))
    first = set(embedded)
    embedded.clear()
    train_head(index, pairs=(), augment=True, config=config(8), models_dir=str(tmp_path / "m"))
    assert len(first) == 4 and len(embedded) == 4 and not first & set(embedded)


def run_cli(monkeypatch, capsys, index, tmp_path, *flags, tty=False):
    from cli_run import timbre

    class Stdin:
        def isatty(self):
            return tty

    monkeypatch.setattr(sys, "stdin", Stdin())
    toml = tmp_path / "tiny.toml"
    toml.write_text("[model]\nhidden_dim = 16\n[trainer]\nmax_epochs = 1\nval_fraction = 0.25\n"
                    "[augment]\nvariants_per_preset = 2\n")
    return timbre(monkeypatch, capsys, "train", "--index", index, "--models", tmp_path / "m", "--augment",
                  "--config", toml, *flags)


@pytest.fixture
def long_estimate(monkeypatch):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
    monkeypatch.setattr(budget, "CONFIRM_SECONDS", 0.0)
    monkeypatch.setenv("TIMBRE_CONFIG", os.devnull + ".missing")


def test_cli_yes_goes_ahead_without_asking(index, tmp_path, monkeypatch, capsys, long_estimate):
    code, out, err = run_cli(monkeypatch, capsys, index, tmp_path, "--yes", tty=True)
    assert code == 0, err
    assert "augmentation: 14 more clips to embed with headtoy" in err and "Go ahead? yes (--yes)" in err


def test_cli_without_a_terminal_goes_ahead_and_says_why(index, tmp_path, monkeypatch, capsys, long_estimate):
    code, out, err = run_cli(monkeypatch, capsys, index, tmp_path)
    assert code == 0, err
    assert "Go ahead? yes (not an interactive terminal; pass --yes to say so)" in err


def test_cli_prompt_answered_no_cancels(index, tmp_path, monkeypatch, capsys, long_estimate):
    import typer

    monkeypatch.setattr(typer, "confirm", lambda question, **kw: False)
    code, out, err = run_cli(monkeypatch, capsys, index, tmp_path, tty=True)
    assert code == 2 and err.strip().splitlines()[-1].startswith("error: training cancelled before embedding")


def test_measuring_the_cost_leaves_every_preset_with_its_own_clips(index):
    import numpy as np

    from timbre.index import open_index

    lib = open_index(index)
    settings = load_head_config(config(0))["augment"]
    calls = []
    views, owner = augment.augmented_views(lib, settings, 0, check_cost=lambda *args: calls.append(args))
    direct = augment.embed_augmentations(lib, settings, 0)
    assert len(calls) == 1 and calls[0][:1] == (14,)
    np.testing.assert_array_equal(owner, np.repeat(np.arange(12), 2))
    np.testing.assert_array_equal(views, direct)


def test_the_estimate_counts_the_processes_that_share_the_clips():
    notes = []
    progress = type("P", (), {"note": lambda self, text: notes.append(text)})()
    budget.check_cost(4000, 0.012, 16, 2, "spectral", progress, confirm=None)
    budget.check_cost(4000, 0.012, 16, 1, "clap", progress, confirm=None)
    assert notes == ["augmentation: 4000 more clips to embed with spectral, about 24 s (12.0 ms a clip, measured on "
                     "16 clips, 2 processes sharing them)",
                     "augmentation: 4000 more clips to embed with clap, about 48 s (12.0 ms a clip, measured on "
                     "16 clips)"]

