"""The app's HTTP API through FastAPI's test client: token, search, audio, judgments, safety."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from app_demo import TOKEN


def upload(client, path) -> dict:
    response = client.post(f"/api/targets?name={os.path.basename(path)}", content=open(path, "rb").read())
    assert response.status_code == 200, response.text
    return response.json()["target"]


def test_every_api_call_needs_the_token(workspace):
    from fastapi.testclient import TestClient

    from timbre.app.server import create_app

    with TestClient(create_app(workspace, TOKEN)) as anonymous:
        for method, url in [("get", "/api/status"), ("post", "/api/search"), ("get", "/api/audio/preset/0"),
                            ("get", "/api/map"), ("post", "/api/train"), ("delete", "/api/judgments/x")]:
            response = getattr(anonymous, method)(url)
            assert response.status_code == 403 and "token" in response.json()["error"], url
        assert anonymous.get("/api/status", headers={"X-Timbre-Token": "wrong" * 5}).status_code == 403
        assert anonymous.get("/").status_code == 403
        assert anonymous.get(f"/api/status?token={TOKEN}").status_code == 200
        page = anonymous.get(f"/?token={TOKEN}")  # sets the HttpOnly, SameSite=Strict cookie
        assert page.status_code == 200 and "samesite=strict" in page.headers["set-cookie"].lower()
        assert anonymous.get("/api/status").status_code == 200  # now by cookie
        assert page.headers["referrer-policy"] == "no-referrer"


def test_status_describes_the_index(client, demo_library):
    status = client.get("/api/status").json()
    assert status["index"]["presets"] == 20 and status["index"]["embedder"] == {
        "name": "spectral", "dim": 153, "text": False}
    assert [b["name"] for b in status["banks"]] == ["organ", "saw", "sine", "square"]
    assert status["heads"] == [] and status["active_head"] is None and status["judgments"] == 0


def test_a_dropped_loop_finds_its_own_family_first(client, demo_library):
    from timbre.search import search_audio

    for target_file in demo_library.targets:
        family = target_file.name.split()[0]
        target = upload(client, target_file)
        assert target["name"] == target_file.name and len(target["id"]) == 32 and target["seconds"] > 1
        result = client.post("/api/search", json={"target": target["id"], "top": 5}).json()
        assert result["query"] == {"kind": "target", "id": target["id"], "name": target_file.name}
        assert result["head"] is None and [h["rank"] for h in result["hits"]] == [1, 2, 3, 4, 5]
        assert result["hits"][0]["bank"] == family, (family, result["hits"])
        [cli] = search_audio(str(demo_library.index), [str(target_file)], top=5)  # what `timbre search` says
        assert_same_ranking(result["hits"], cli.hits)
    recent = client.get("/api/targets").json()["targets"]
    assert [t["name"] for t in recent][0] == demo_library.targets[-1].name and len(recent) == 4


def assert_same_ranking(page_hits, cli_hits):
    """Same presets in the same order with the same scores (to float rounding: BLAS may sum in
    another order for another batch)."""
    assert [h["path"] for h in page_hits] == [h.path for h in cli_hits]
    assert [h["score"] for h in page_hits] == pytest.approx([h.score for h in cli_hits], abs=1e-5)


def test_the_thorough_switch_ranks_as_timbre_search_thorough(client, demo_library):
    from timbre.search import search_audio

    target_file = demo_library.targets[0]
    target = upload(client, target_file)
    result = client.post("/api/search", json={"target": target["id"], "top": 8, "thorough": True}).json()
    plain = client.post("/api/search", json={"target": target["id"], "top": 8}).json()
    assert result["thorough"] is True and plain["thorough"] is False
    [cli] = search_audio(str(demo_library.index), [str(target_file)], top=8, thorough=True)
    assert_same_ranking(result["hits"], cli.hits)
    assert [h["score"] for h in result["hits"]] != [h["score"] for h in plain["hits"]]


def test_targets_are_kept_by_content_hash(client, workspace, demo_library, tmp_path):
    first = upload(client, demo_library.targets[0])
    again = client.post("/api/targets/path", json={"path": str(demo_library.targets[0])}).json()["target"]
    assert again["id"] == first["id"]
    kept = workspace.targets.get(first["id"]).path
    assert kept.startswith(workspace.home) and open(kept, "rb").read() == demo_library.targets[0].read_bytes()


def test_more_like_this_leaves_the_preset_out_and_finds_its_bank(client, workspace):
    row = next(i for i, r in enumerate(workspace.lib.records) if r["bank"] == "organ")
    result = client.post("/api/search", json={"preset": row, "top": 4}).json()
    assert row not in [h["row"] for h in result["hits"]]
    assert [h["bank"] for h in result["hits"]] == ["organ"] * 4


def test_bank_filter_and_csv_export(client, demo_library):
    target = upload(client, demo_library.targets[1])
    hits = client.post("/api/search", json={"target": target["id"], "banks": ["sine", "organ"], "top": 50}).json()
    assert len(hits["hits"]) == 10 and {h["bank"] for h in hits["hits"]} == {"sine", "organ"}
    csv = client.post("/api/export", json={"target": target["id"], "banks": ["sine"], "top": 3})
    lines = csv.text.strip().splitlines()
    assert csv.headers["content-type"].startswith("text/csv") and "attachment" in csv.headers["content-disposition"]
    assert lines[0] == "target,rank,score,name,bank,path" and len(lines) == 4 and ",sine," in lines[1]


def test_preview_audio_is_served_as_is_with_ranges(client, workspace):
    path = workspace.lib.records[3]["path"]
    original = open(path, "rb").read()
    whole = client.get("/api/audio/preset/3")
    assert whole.status_code == 200 and whole.content == original
    assert whole.headers["content-type"] == "audio/ogg" and whole.headers["accept-ranges"] == "bytes"
    part = client.get("/api/audio/preset/3", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == original[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(original)}"


def test_only_indexed_files_and_kept_targets_are_served(client, workspace, tmp_path):
    for url in ["/api/audio/target/..%2F..%2Fetc%2Fpasswd", "/api/audio/target/" + "../" * 6 + "etc/passwd",
                "/api/audio/preset/999", "/api/audio/preset/-1", "/api/waveform/preset/..%2Fx",
                "/api/audio/target/" + "0" * 32]:
        response = client.get(url)
        assert response.status_code in (400, 404, 422), url
        assert b"root:" not in response.content


def test_a_preview_swapped_for_a_link_out_of_its_folder_is_refused(demo_library, tmp_path):
    from fastapi.testclient import TestClient

    from timbre.app.server import create_app
    from timbre.index import build_index
    from timbre.workspace import Workspace

    previews = tmp_path / "previews"
    shutil.copytree(demo_library.previews, previews)
    build_index([str(previews)], str(tmp_path / "index"), "spectral", workers=0)
    ws = Workspace(str(tmp_path / "index"), models_dir=str(tmp_path / "m"), home=str(tmp_path / "h"))
    secret = tmp_path / "secret.ogg"
    secret.write_bytes(b"private bytes")
    victim = ws.lib.records[0]["path"]
    os.remove(victim)
    os.symlink(secret, victim)
    broken = ws.lib.records[1]["path"]
    open(broken, "wb").write(b"\x00not an ogg any more")
    with TestClient(create_app(ws, TOKEN), headers={"X-Timbre-Token": TOKEN}) as client:
        refused = client.get("/api/audio/preset/0")
        assert refused.status_code == 400 and b"private" not in refused.content
        assert "outside its folder" in refused.json()["error"]
        waveform = client.get("/api/waveform/preset/1")  # a broken preview: one clear line, server lives on
        assert waveform.status_code == 400 and "damaged or not audio" in waveform.json()["error"]
        assert client.get("/api/status").status_code == 200


def test_a_bad_target_gets_one_clear_line(client, tmp_path):
    response = client.post("/api/targets?name=notes.wav", content=b"these are not audio bytes" * 10)
    assert response.status_code == 400
    error = response.json()["error"]
    assert "notes.wav" in error and "\n" not in error and "Traceback" not in error
    assert client.post("/api/targets?name=doc.pdf", content=b"%PDF").status_code == 400
    assert client.post("/api/search", json={"target": "f" * 32}).status_code == 400
    assert client.post("/api/search", json={}).json()["error"].startswith("search needs exactly one")
    assert client.post("/api/search", json={"text": "warm pad"}).status_code == 400  # no text tower


def test_uploads_over_the_cap_are_refused(workspace):
    from fastapi.testclient import TestClient

    from timbre.app.server import create_app

    with TestClient(create_app(workspace, TOKEN, max_upload=1000), headers={"X-Timbre-Token": TOKEN}) as c:
        response = c.post("/api/targets?name=big.wav", content=b"0" * 5000)
        assert response.status_code == 413 and "limit" in response.json()["error"]
    assert not os.path.exists(os.path.join(workspace.home, "targets", "targets.json"))


def test_short_targets_carry_a_hint(client, tmp_path):
    import numpy as np
    import soundfile as sf

    from app_demo import SR, tone

    path = tmp_path / "blip.wav"
    sf.write(path, np.concatenate([tone("saw", 60, 0.2), np.zeros(100, np.float32)]), SR)
    target = upload(client, path)
    assert "very short" in target["hint"]
    assert "very short" in client.post("/api/search", json={"target": target["id"]}).json()["hint"]


def test_judgments_land_in_the_pair_file_replace_and_undo(client, workspace, demo_library):
    from timbre.heads.pairs import read_pairs

    target = upload(client, demo_library.targets[0])
    first = client.post("/api/judgments", json={"target": target["id"], "preset": 2, "label": "similar"}).json()
    assert first["judgments"] == 1
    [record] = read_pairs(workspace.judgments.path)
    assert record["a_hash"] == target["id"] and record["source"] == "app" and record["label"] == "similar"
    assert record["b_hash"] == workspace.lib.records[2]["content_hash"] and os.path.isfile(record["a_path"])
    changed = client.post("/api/judgments", json={"target": target["id"], "preset": 2,
                                                   "label": "not_similar"}).json()
    assert [r["label"] for r in read_pairs(workspace.judgments.path)] == ["not_similar"]
    hits = client.post("/api/search", json={"target": target["id"], "top": 20}).json()["hits"]
    marked = [h for h in hits if h["row"] == 2][0]
    assert marked["judgment"] == {"id": changed["judgment"]["id"], "label": "not_similar"}
    triplet = client.post("/api/judgments", json={"kind": "triplet", "target": target["id"],
                                                  "positive": 0, "negative": 7}).json()
    assert triplet["judgments"] == 2 and triplet["judgment"]["kind"] == "triplet"
    assert client.delete(f"/api/judgments/{triplet['judgment']['id']}").json()["judgments"] == 1
    assert client.delete(f"/api/judgments/{triplet['judgment']['id']}").status_code == 400
    assert [r["kind"] for r in read_pairs(workspace.judgments.path)] == ["pair"]
    assert client.post("/api/judgments", json={"target": target["id"], "preset": "2",
                                               "label": "similar"}).status_code == 400
    assert client.post("/api/judgments", json={"target": target["id"], "preset": 1,
                                               "label": "maybe"}).status_code == 400


def test_waveforms_and_preset_details(client, demo_library):
    target = upload(client, demo_library.targets[2])
    for url in ["/api/waveform/preset/4", f"/api/waveform/target/{target['id']}"]:
        wave = client.get(url).json()
        assert len(wave["peaks"]) == 200 and max(wave["peaks"]) == 1.0 and wave["seconds"] > 0.5
    detail = client.get("/api/presets/4").json()
    assert detail["row"] == 4 and detail["path"].endswith(".ogg")


def test_map_has_a_point_per_preset(client, workspace):
    layout = client.get("/api/map").json()
    n = len(workspace.lib)
    assert len(layout["x"]) == len(layout["y"]) == len(layout["bank"]) == len(layout["names"]) == n
    assert all(0.0 <= v <= 1.0 for v in layout["x"] + layout["y"]) and layout["banks"][0] == "organ"


def test_retrain_from_the_page_makes_the_new_head_rank(client, workspace, demo_library, monkeypatch):
    from timbre.heads.model import ProjectionHead

    target = upload(client, demo_library.targets[0])
    for row, record in enumerate(workspace.lib.records):
        label = "similar" if record["bank"] == "organ" else "not_similar"
        client.post("/api/judgments", json={"target": target["id"], "preset": row, "label": label})
    started = client.post("/api/train", json={"max_epochs": 2})
    assert started.status_code == 202 and started.json()["training"]["state"] == "running"
    assert client.post("/api/train", json={}).status_code in (202, 409)
    done = workspace.training.wait(timeout=300)
    assert done["state"] == "done", done
    assert "judgments you made" in done["message"] and done["head"]
    status = client.get("/api/status").json()
    assert status["active_head"] == done["head"] and [h["id"] for h in status["heads"]] == [done["head"]]
    projected = []
    project = ProjectionHead.project
    monkeypatch.setattr(ProjectionHead, "project",
                        lambda head, x, **kw: projected.append(len(x)) or project(head, x, **kw))
    ranked = client.post("/api/search", json={"target": target["id"], "top": 3}).json()
    assert ranked["head"] == done["head"]
    assert projected and max(projected) < len(workspace.lib), "the library was projected while the page waited"
    plain = client.post("/api/search", json={"target": target["id"], "top": 3, "head": "off"}).json()
    assert plain["head"] is None
    config = json.load(open(os.path.join(workspace.models_dir, "heads", done["head"], "config.json")))
    assert config["training"]["pair_files"][0]["path"] == workspace.judgments.path


def test_text_search_when_the_embedder_has_a_text_tower(tmp_path, monkeypatch):
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "index"))
    import toy_embedders
    from fastapi.testclient import TestClient

    from timbre import embedders
    from timbre.app.server import create_app
    from timbre.index import build_index
    from timbre.search import search_text
    from timbre.workspace import Workspace

    monkeypatch.setitem(embedders.BUILTIN, "texttoy", toy_embedders.REGISTRY["texttoy"])
    paths = toy_embedders.make_library(tmp_path / "lib", banks=2, per_bank=3)  # tones 110 Hz x 1.5^i
    build_index([str(tmp_path / "lib")], str(tmp_path / "index"), "texttoy", workers=0)
    ws = Workspace(str(tmp_path / "index"), models_dir=str(tmp_path / "m"), home=str(tmp_path / "h"))
    with TestClient(create_app(ws, TOKEN), headers={"X-Timbre-Token": TOKEN}) as client:
        assert client.get("/api/status").json()["index"]["embedder"]["text"] is True
        result = client.post("/api/search", json={"text": "warmx", "top": 3}).json()
        assert result["query"] == {"kind": "text", "text": "warmx", "name": "warmx"}
    [expected] = search_text(str(tmp_path / "index"), ["warmx"], top=3)  # the CLI's ranking, exactly
    assert [h["path"] for h in result["hits"]] == [h.path for h in expected.hits]
    assert {h["path"] for h in result["hits"]} <= set(paths)
