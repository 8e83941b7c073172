"""Tags and Japanese text in the app's API, over an index built with a text-capable toy whose audio
and text vectors agree (so the expected preset must win)."""

from __future__ import annotations

import pytest
from app_demo import TOKEN
from word_toy import make_tagged_library, use_word_toy

PADS = {"patch 01", "patch 02", "patch 03", "Nice One"}


@pytest.fixture
def word_client(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from timbre.app.server import create_app
    from timbre.index import build_index
    from timbre.workspace import Workspace

    use_word_toy(monkeypatch)
    monkeypatch.setenv("TIMBRE_HOME", str(tmp_path / "home"))
    build_index([make_tagged_library(tmp_path / "lib")], str(tmp_path / "idx"), "wordtoy", workers=0,
                views=())  # word vectors: no pitch to view
    workspace = Workspace(str(tmp_path / "idx"), models_dir=str(tmp_path / "models"), home=str(tmp_path / "home"))
    with TestClient(create_app(workspace, TOKEN), headers={"X-Timbre-Token": TOKEN}) as client:
        yield client


def test_status_lists_the_tags_with_counts(word_client):
    status = word_client.get("/api/status").json()
    assert status["index"]["embedder"]["text"] is True
    assert status["tags"][:3] == [{"name": "pad", "count": 4}, {"name": "bass", "count": 3},
                                  {"name": "lead", "count": 3}]


def test_a_tag_filter_keeps_only_tagged_presets(word_client):
    everything = word_client.post("/api/search", json={"text": "warm", "top": 2}).json()
    assert {h["name"] for h in everything["hits"]} == {"patch 01", "patch 04"}  # warm pad, warm bass
    pads = word_client.post("/api/search", json={"text": "warm", "tags": ["pad"], "top": 50}).json()
    assert {h["name"] for h in pads["hits"]} == PADS and pads["hits"][0]["name"] == "patch 01"
    both = word_client.post("/api/search", json={"text": "warm", "tags": ["pad"], "banks": ["bank"]}).json()
    assert {h["name"] for h in both["hits"]} == PADS - {"Nice One"}
    csv = word_client.post("/api/export", json={"text": "warm", "tags": ["bass"], "top": 5}).text
    assert "patch 04" in csv and "patch 01" not in csv
    wrong = word_client.post("/api/search", json={"text": "warm", "tags": ["pda"]})
    assert wrong.status_code == 400 and "no preset is tagged 'pda'" in wrong.json()["error"]


def test_a_japanese_text_search_says_what_it_searched_for(word_client):
    result = word_client.post("/api/search", json={"text": "エモい金属的なベル", "top": 1}).json()
    assert result["query"] == {"kind": "text", "text": "エモい金属的なベル", "name": "エモい金属的なベル",
                               "searched_for": "metallic bell", "not_understood": ["エモい"]}
    assert result["hits"][0]["name"] == "patch 07"
    nothing = word_client.post("/api/search", json={"text": "浮遊感"})
    assert nothing.status_code == 400 and "no word understood" in nothing.json()["error"]
