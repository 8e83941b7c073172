"""Every command fed its typical wrong inputs ends with one `error:` line (or Click's usage message),
exit 2, and no traceback; a bug ends with one line asking for --debug, exit 1."""

import errno
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "index"))

import toy_embedders  # noqa: E402
from cli_run import timbre  # noqa: E402

from timbre import embedders  # noqa: E402


@pytest.fixture(autouse=True)
def toy_registry(monkeypatch, tmp_path):
    for name, target in toy_embedders.REGISTRY.items():
        monkeypatch.setitem(embedders.BUILTIN, name, target)
    monkeypatch.setenv("TIMBRE_CONFIG", os.devnull + ".missing")
    monkeypatch.setenv("TIMBRE_HOME", str(tmp_path / "home"))
    for var in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", "TIMBRE_DEBUG"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """An indexed toy library and a drawer of wrong inputs."""
    from timbre.index import build_index

    root = tmp_path_factory.mktemp("bad")
    paths = toy_embedders.make_library(root / "lib", banks=1, per_bank=3)
    with pytest.MonkeyPatch.context() as mp:
        for name, target in toy_embedders.REGISTRY.items():
            mp.setitem(embedders.BUILTIN, name, target)
        build_index([str(root / "lib")], str(root / "idx"), "toy", workers=0)
    (root / "notes.txt").write_text("not audio\n")
    (root / "empty.wav").write_bytes(b"")
    (root / "folder").mkdir()
    (root / "broken.parquet").write_bytes(b"PAR1 broken")
    (root / "array.jsonl").write_text("[1, 2]\n")
    (root / "heavy.jsonl").write_text(json.dumps({"a_path": paths[0], "b_path": paths[1], "label": "similar",
                                                  "weight": "heavy"}) + "\n")
    (root / "nan.jsonl").write_text(json.dumps({"a_path": paths[0], "b_path": paths[1], "label": "similar"})[:-1]
                                    + ', "weight": NaN}\n')
    (root / "badtype.toml").write_text('[trainer]\nmax_epochs = "many"\n')
    (root / "junk-models" / "heads").mkdir(parents=True)
    (root / "junk-models" / "heads" / "latest").write_bytes(b"\xff\xfe\x00\x80junk")
    (root / "bench-array").mkdir()
    (root / "bench-array" / "manifest.json").write_text("[1, 2]\n")
    return {"root": root, "wav": paths[0], "idx": root / "idx", **{
        name.replace(".", "_").replace("-", "_"): root / name
        for name in ("notes.txt", "empty.wav", "folder", "broken.parquet", "array.jsonl", "heavy.jsonl",
                     "nan.jsonl", "badtype.toml", "junk-models", "bench-array")}}


CASES = {
    "index missing folder": "index {root}/nope --index {root}/new",
    "index a file as folder": "index {notes_txt} --index {root}/new2",
    "index into a file": "index {root}/lib --index {notes_txt}",
    "index negative workers": "index {root}/lib --index {root}/new3 --workers -1",
    "index unknown embedder": "index {root}/lib --index {root}/new4 --embedder nope",
    "info missing index": "info --index {root}/nope",
    "info a file as index": "info --index {notes_txt}",
    "search nothing": "search --index {idx}",
    "search a folder": "search {folder} --index {idx}",
    "search a text file": "search {notes_txt} --index {idx}",
    "search all bad": "search {notes_txt} {empty_wav} --index {idx} --format json",
    "search bad format": "search {wav} --index {idx} --format xml",
    "search top 0": "search {wav} --index {idx} --top 0",
    "search unknown head": "search {wav} --index {idx} --head nope --models {root}/models",
    "search rerank without head": "search {wav} --index {idx} --rerank 3",
    "search head with junk latest": "search {wav} --index {idx} --head latest --models {junk_models}",
    "search missing index": "search {wav} --index {root}/nope",
    "train missing index": "train --index {root}/nope --models {root}/models",
    "train pairs folder": "train --index {idx} --models {root}/models --pairs {folder}",
    "train pairs wav": "train --index {idx} --models {root}/models --pairs {wav}",
    "train pairs broken parquet": "train --index {idx} --models {root}/models --pairs {broken_parquet}",
    "train pairs array line": "train --index {idx} --models {root}/models --pairs {array_jsonl}",
    "train pairs heavy weight": "train --index {idx} --models {root}/models --pairs {heavy_jsonl}",
    "train pairs nan weight": "train --index {idx} --models {root}/models --pairs {nan_jsonl}",
    "train pairs missing": "train --index {idx} --models {root}/models --pairs {root}/nope.jsonl",
    "train config missing": "train --index {idx} --models {root}/models --config {root}/nope.toml",
    "train config bad type": "train --index {idx} --models {root}/models --config {badtype_toml}",
    "train config not toml": "train --index {idx} --models {root}/models --config {wav}",
    "train max epochs 0": "train --index {idx} --models {root}/models --max-epochs 0",
    "heads show unknown": "heads show nope --models {root}/models",
    "heads show junk latest": "heads show --models {junk_models}",
    "heads rm unknown": "heads rm nope --models {root}/models",
    "heads rm no ref": "heads rm --models {root}/models",
    "eval missing bench": "eval --bench {root}/nope",
    "eval no bench": "eval",
    "eval bench array manifest": "eval --bench {bench_array}",
    "eval top 0": "eval --bench {bench_array} --top 0",
    "bench render unknown size": "bench render {root}/b1 --size huge",
    "bench render into a file": "bench render {notes_txt} --size tiny",
    "bench render negative seed": "bench render {root}/b2 --size tiny --seed -1",
    "bench render unknown source": "bench render {root}/b3 --size tiny --source fm",
    "learn missing index": "learn --index {root}/nope --models {root}/models",
    "learn max presets 1": "learn --index {idx} --models {root}/models --max-presets 1",
    "learn epochs 0": "learn --index {idx} --models {root}/models --epochs 0",
    "index learned before learning": "index {root}/lib --index {root}/new5 --embedder learned",
    "index learned model a file": "index {root}/lib --index {root}/new6 --embedder learned --model {notes_txt}",
    "index learned model not one": "index {root}/lib --index {root}/new7 --embedder learned --model {junk_models}",
    "models convert missing": "models convert {root}/nope.pt {root}/out",
    "models convert not a checkpoint": "models convert {notes_txt} {root}/out",
    "models convert no args": "models convert",
    "app missing index": "app --index {root}/nope --no-browser",
    "app bad port": "app --index {idx} --no-browser --port 99999",
    "label status without server": "label status --index {idx}",
    "unknown command": "frobnicate",
    "unknown option": "info --frobnicate",
}


def assert_one_clean_failure(code: int, err: str, expect: int = 2) -> None:
    assert code == expect, err
    assert "Traceback" not in err, err
    if "Usage:" in err:  # Click's own usage error
        assert "Error:" in err
        return
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors and lines[-1].startswith("error: "), err


@pytest.mark.parametrize("case", list(CASES))
def test_wrong_input_gives_one_line_and_exit_2(case, files, monkeypatch, capsys):
    args = CASES[case].format(**files).split()
    code, _, err = timbre(monkeypatch, capsys, *args)
    assert_one_clean_failure(code, err)


def test_every_failed_target_of_a_batch_is_reported(files, monkeypatch, capsys):
    bad = [files["notes_txt"], files["empty_wav"], files["root"] / "missing.wav"]
    code, out, err = timbre(monkeypatch, capsys, "search", *bad, "--index", files["idx"], "--format", "json")
    assert code == 2
    entries = json.loads(out)
    assert [e["target"] for e in entries] == [str(b) for b in bad] and all(e["error"] for e in entries)
    assert [line.startswith("error: ") for line in err.splitlines()] == [True] * 3
    code, out, err = timbre(monkeypatch, capsys, "search", *bad, "--index", files["idx"], "--format", "jsonl")
    assert code == 2 and len(out.splitlines()) == 3 and err.count("error: ") == 3


@pytest.mark.parametrize("error,words", [
    (PermissionError(errno.EACCES, "Permission denied", "/ro/idx"), "/ro/idx: Permission denied — check the"),
    (OSError(errno.ENOSPC, "No space left on device", "/full/idx"), "No space left on device — free some disk"),
    (OSError(errno.EROFS, "Read-only file system", "/ro"), "/ro: Read-only file system — check the permissions"),
])
def test_os_errors_of_any_command_are_one_line(error, words, files, monkeypatch, capsys):
    from timbre import index as index_package

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(index_package, "build_index", failing)
    code, _, err = timbre(monkeypatch, capsys, "index", files["root"] / "lib", "--index", files["root"] / "x")
    assert_one_clean_failure(code, err)
    assert words in err


def test_a_bug_is_one_line_with_a_debug_hint_and_debug_shows_the_traceback(files, monkeypatch, capsys):
    from timbre import index as index_package

    def buggy(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(index_package, "describe_index", buggy)
    code, _, err = timbre(monkeypatch, capsys, "info", "--index", files["idx"])
    assert_one_clean_failure(code, err, expect=1)
    assert "unexpected KeyError" in err and "--debug" in err
    for args in (("info", "--index", files["idx"], "--debug"), ("--debug", "info", "--index", files["idx"])):
        code, _, err = timbre(monkeypatch, capsys, *args)
        assert code == 1 and "Traceback" in err and err.strip().splitlines()[-1].startswith("error: unexpected")
    monkeypatch.setenv("TIMBRE_DEBUG", "1")
    code, _, err = timbre(monkeypatch, capsys, "info", "--index", files["idx"])
    assert code == 1 and "Traceback" in err


def test_debug_shows_the_traceback_of_a_user_error_too(files, monkeypatch, capsys):
    code, _, err = timbre(monkeypatch, capsys, "info", "--index", files["root"] / "nope", "--debug")
    assert code == 2 and "Traceback" in err and err.strip().splitlines()[-1].startswith("error: ")


def test_a_nan_head_never_reaches_the_output(files, monkeypatch, capsys):
    pytest.importorskip("torch")
    import torch

    from timbre.heads.model import ResidualProjection
    from timbre.heads.registry import CONFIG_FILE, FORMAT_VERSION, commit_head, save_weights, staging_dir, write_json
    from timbre.index import open_index

    models, lib = str(files["root"] / "nan-models"), open_index(str(files["idx"]))
    net = ResidualProjection(lib.vectors.shape[1], 8, dropout=0.0)
    with torch.no_grad():
        net.skip.weight.fill_(float("nan"))
    folder = staging_dir(models, "20260101-000000-nannan")
    save_weights(folder, net)
    write_json(os.path.join(folder, CONFIG_FILE), {
        "format_version": FORMAT_VERSION, "dims": {"input": net.input_dim, "hidden": 8, "output": net.output_dim},
        "embedder": {"name": "toy", "fingerprint": lib.embedder_spec["fingerprint"]}})
    commit_head(models, folder, "20260101-000000-nannan")
    for extra in ((), ("--rerank", "3")):
        code, out, err = timbre(monkeypatch, capsys, "search", files["wav"], "--index", files["idx"],
                                "--models", models, "--head", "latest", "--format", "json", *extra)
        assert_one_clean_failure(code, err)
        assert "NaN or inf" in err and "timbre heads rm" in err and out == ""


def test_self_pairs_alone_are_noted_and_train_nothing(files, monkeypatch, capsys):
    pairs = files["root"] / "self.jsonl"
    pairs.write_text(json.dumps({"a_path": files["wav"], "b_path": files["wav"], "label": "similar"}) + "\n")
    models = files["root"] / "self-models"
    code, _, err = timbre(monkeypatch, capsys, "train", "--index", files["idx"], "--models", models,
                          "--pairs", pairs, "--no-augment")
    assert_one_clean_failure(code, err)
    assert "1 pair record(s) name one file twice and are left out" in err and "nothing to train on" in err
    assert not os.path.exists(models / "heads" / "latest")
