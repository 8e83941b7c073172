"""The page of `timbre app` in a real Chromium: target in, ranked presets out, audition by keys,
marks in the pair file, undo, triplets, retrain, the map, and the error line.

The tests share one page and run in file order (a producer's session): each builds on the state
the one before left. Screenshots of the main states go to `app_server.artifacts`.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os

import pytest
from chromium_path import ARGS as CHROMIUM_ARGS
from chromium_path import chromium_or_skip

pytestmark = pytest.mark.slow

WAIT_MS = 20_000

PLAYING = "window.timbreMetrics.playing"
ROWS = "[data-testid=result-row]"


@pytest.fixture(scope="module")
def browser_page(app_server):
    """One Chromium page on the app; console errors and page errors are collected in `page.problems`."""
    playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    executable = chromium_or_skip()
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            # the page sends script-src 'self'; bypass it only for the test's own probes
            page = browser.new_page(viewport={"width": 1360, "height": 860}, accept_downloads=True, bypass_csp=True)
            page.problems = []
            page.on("pageerror", lambda err: page.problems.append(f"pageerror: {err}"))
            page.on("console", lambda msg: msg.type == "error" and page.problems.append(f"console: {msg.text}"))
            page.set_default_timeout(WAIT_MS)
            page.goto(app_server.url)
            page.wait_for_selector("body[data-ready='1']")
            yield page
        finally:
            browser.close()


def shot(page, app_server, name: str) -> str:
    path = os.path.join(str(app_server.artifacts), f"{name}.png")
    page.screenshot(path=path)
    print(f"\nscreenshot: {path}")
    return path


def pair_records(app_server) -> list[dict]:
    path = str(app_server.pairs_file)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def selected_row(page) -> dict:
    return page.evaluate("""() => { const row = document.querySelector('[data-testid=result-row].selected');
        return {index: Number(row.dataset.index), row: Number(row.dataset.row),
                name: row.querySelector('.name').textContent, mark: row.dataset.judgment}; }""")


def wait_playing(page, prefix: str) -> str:
    page.wait_for_function(f"({PLAYING} || '').startsWith({json.dumps(prefix)})")
    return page.evaluate(PLAYING)


def press(page, key: str) -> None:
    page.locator("[data-testid=result-list]").focus()
    page.keyboard.press(key)


def test_page_shows_the_index_and_the_help_line(browser_page, app_server):
    page = browser_page
    assert page.get_by_test_id("status-presets").inner_text() == "20 presets"
    info = page.get_by_test_id("index-info").inner_text()
    assert "20 presets" in info and "spectral" in info, info
    assert page.locator("[data-testid=bank-chip]").count() == 4
    assert page.get_by_test_id("help").is_visible() and "similar" in page.get_by_test_id("help").inner_text()
    assert page.get_by_test_id("text-search").is_hidden()  # spectral has no text side
    assert not page.problems, page.problems


def test_a_picked_target_lists_ranked_presets(browser_page, app_server):
    page = browser_page
    saw = next(p for p in app_server.targets if "saw" in p.name)
    page.get_by_test_id("file-input").set_input_files(str(saw))
    page.wait_for_function(f"document.querySelectorAll('{ROWS}').length === 20")
    assert page.get_by_test_id("target-name").inner_text() == "saw loop.wav"
    first = page.locator(ROWS).first
    assert first.locator(".rank").inner_text() == "1"
    assert first.locator(".bank").inner_text() == "saw", "the saw loop should rank a saw preset first"
    scores = [float(s) for s in page.locator(f"{ROWS} .score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    assert all(len(s.split(".")[1]) == 3 for s in page.locator(f"{ROWS} .score").all_inner_texts())
    assert "ranked by spectral embedder, no head" in page.get_by_test_id("ranked-by").inner_text()
    page.wait_for_function("document.querySelectorAll('[data-testid=result-row][data-wave-ready]').length >= 10")
    assert page.evaluate("""() => { const c = document.querySelector('[data-testid=row-wave]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0; return n; }""") > 100
    page.wait_for_function("document.querySelector('[data-testid=target-wave]').width > 0")
    shot(page, app_server, "results")
    assert not page.problems, page.problems


def test_a_file_dropped_on_the_page_becomes_the_target(browser_page, app_server):
    page = browser_page
    square = next(p for p in app_server.targets if "square" in p.name)
    payload = base64.b64encode(square.read_bytes()).decode()
    page.evaluate("""([name, b64]) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], name, {type: 'audio/wav'}));
        for (const type of ['dragenter', 'dragover', 'drop'])
            document.querySelector('[data-testid=result-list]').dispatchEvent(
                new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""", [square.name, payload])
    page.wait_for_function("document.querySelector('[data-testid=target-name]').textContent === 'square loop.wav'")
    page.wait_for_function("document.querySelectorAll('[data-testid=recent-target]').length === 2")
    assert page.get_by_test_id("drop-overlay").is_hidden()
    sine = next(p for p in app_server.targets if "sine" in p.name)
    page.get_by_test_id("path-input").fill(str(sine))
    page.get_by_test_id("path-input").press("Enter")
    page.wait_for_function("document.querySelector('[data-testid=target-name]').textContent === 'sine loop.wav'")
    page.wait_for_function("document.querySelectorAll('[data-testid=recent-target]').length === 3")
    # back to the saw loop through the recent list
    page.locator("[data-testid=recent-target]", has_text="saw loop.wav").click()
    page.wait_for_function("document.querySelector('[data-testid=target-name]').textContent === 'saw loop.wav'")
    page.wait_for_function(f"document.querySelector('{ROWS} .bank').textContent === 'saw'")


def test_enter_plays_the_selected_preset(browser_page):
    # how fast is measured by benchmarks/app_latency.py --browser, not asserted here
    page = browser_page
    row = selected_row(page)
    assert row["index"] == 0
    press(page, "Enter")
    assert wait_playing(page, "preset:") == f"preset:{row['row']}"
    start = page.evaluate("window.timbre.player.position()")
    page.wait_for_timeout(300)
    later = page.evaluate("window.timbre.player.position()")
    assert later is not None and later > start + 0.1, (start, later)
    assert page.evaluate("window.timbreMetrics.lastPlayLatencyMs") >= 0


def test_arrow_down_moves_the_selection_and_auditions_it(browser_page):
    page = browser_page
    press(page, "ArrowDown")
    row = selected_row(page)
    assert row["index"] == 1
    wait_playing(page, f"preset:{row['row']}")
    press(page, "ArrowDown")
    press(page, "ArrowUp")
    assert selected_row(page)["index"] == 1
    press(page, "Space")
    page.wait_for_function(f"{PLAYING} === null")


def test_a_toggles_between_the_target_and_the_preset(browser_page):
    page = browser_page
    row = selected_row(page)
    press(page, "a")
    wait_playing(page, "target:")
    press(page, "a")
    wait_playing(page, f"preset:{row['row']}")
    press(page, "l")
    assert page.get_by_test_id("target-loop").get_attribute("aria-pressed") == "true"
    press(page, "a")
    wait_playing(page, "target:")
    assert page.evaluate("window.timbre.player.current.loop") is True
    press(page, "Space")
    page.wait_for_function(f"{PLAYING} === null")


def test_bank_chips_filter_the_list(browser_page):
    page = browser_page
    page.locator("[data-testid=bank-chip][data-bank=sine]").click()
    page.wait_for_function(f"document.querySelectorAll('{ROWS}').length === 5")
    assert set(page.locator(f"{ROWS} .bank").all_inner_texts()) == {"sine"}
    page.locator("[data-testid=bank-chip][data-bank=sine]").click()
    page.wait_for_function(f"document.querySelectorAll('{ROWS}').length === 20")
    assert page.locator(f"{ROWS} .bank").first.inner_text() == "saw"


def test_the_thorough_switch_reranks_by_the_notes_of_the_loop(browser_page, app_server):
    page = browser_page
    before = page.locator(f"{ROWS} .score").all_inner_texts()
    page.get_by_test_id("thorough").check()
    page.wait_for_function("document.querySelector('[data-testid=ranked-by]').textContent.includes('thorough')")
    page.wait_for_function(f"document.querySelector('{ROWS} .bank').textContent === 'saw'")
    assert page.locator(f"{ROWS} .score").all_inner_texts() != before
    shot(page, app_server, "thorough")
    page.get_by_test_id("thorough").uncheck()
    page.wait_for_function("!document.querySelector('[data-testid=ranked-by]').textContent.includes('thorough')")


def test_m_searches_more_like_the_selected_preset(browser_page):
    page = browser_page
    press(page, "ArrowDown")
    name = selected_row(page)["name"]
    press(page, "m")
    page.wait_for_function(f"document.querySelector('[data-testid=ranked-by]').textContent"
                           f".includes({json.dumps('more like “' + name + '”')})")
    assert name not in page.locator(f"{ROWS} .name").all_inner_texts()
    page.locator("[data-testid=recent-target]", has_text="saw loop.wav").click()
    page.wait_for_function("window.timbre.state.query.target !== undefined")
    page.wait_for_function(f"document.querySelector('{ROWS} .bank').textContent === 'saw'")


def test_marks_go_to_the_pair_file_and_undo_takes_them_back(browser_page, app_server):
    page = browser_page
    before = len(pair_records(app_server))
    press(page, "Home")  # no-op key: selection stays
    row = selected_row(page)
    press(page, "s")
    page.wait_for_function("document.querySelector('[data-testid=result-row].selected').dataset.judgment === 'similar'")
    records = pair_records(app_server)
    assert len(records) == before + 1
    assert records[-1]["label"] == "similar" and records[-1]["b_path"].endswith(row["name"] + ".ogg")
    press(page, "d")  # changed my mind: replaces
    page.wait_for_function(
        "document.querySelector('[data-testid=result-row].selected').dataset.judgment === 'not_similar'")
    records = pair_records(app_server)
    assert len(records) == before + 1 and records[-1]["label"] == "not_similar"
    assert page.get_by_test_id("judgment-count").inner_text().split()[0] == str(before + 1)
    page.locator("[data-testid=result-list]").focus()
    page.keyboard.press("Control+z")
    page.wait_for_function("document.querySelector('[data-testid=result-row].selected').dataset.judgment === ''")
    assert len(pair_records(app_server)) == before
    assert page.get_by_test_id("row-mark").first.inner_text() == ""


def test_triplet_mode_writes_a_triplet(browser_page, app_server):
    page = browser_page
    press(page, "t")
    panel = page.get_by_test_id("triplet-panel")
    panel.wait_for(state="visible")
    assert "saw loop.wav" in panel.inner_text()
    first = page.get_by_test_id("triplet-card-1").locator(".name").inner_text()
    second = page.get_by_test_id("triplet-card-2").locator(".name").inner_text()
    assert first != second
    page.get_by_test_id("triplet-play-1").click()
    wait_playing(page, "preset:")
    page.wait_for_timeout(200)  # let the waveforms draw
    shot(page, app_server, "triplets")
    press(page, "1")
    page.wait_for_function(f"document.querySelector('[data-testid=triplet-card-1] .name').textContent !== "
                           f"{json.dumps(first)} || document.querySelector('[data-testid=triplet-card-2] .name')"
                           f".textContent !== {json.dumps(second)}")
    triplets = [r for r in pair_records(app_server) if r["kind"] == "triplet"]
    assert len(triplets) == 1
    assert triplets[0]["positive_path"].endswith(first + ".ogg")
    assert triplets[0]["negative_path"].endswith(second + ".ogg")
    press(page, "0")  # skip writes nothing
    page.wait_for_timeout(200)
    assert len([r for r in pair_records(app_server) if r["kind"] == "triplet"]) == 1
    press(page, "t")
    panel.wait_for(state="hidden")


def test_retrain_shows_the_sentence_and_reranks_with_the_new_head(browser_page, app_server):
    page = browser_page
    # a producer's marks: saw presets are similar to the saw loop, the rest are not
    rows = page.locator(ROWS)
    for index in range(rows.count()):
        rows.nth(index).locator(".name").click()
        press(page, "s" if rows.nth(index).locator(".bank").inner_text() == "saw" else "d")
        page.wait_for_function(f"document.querySelectorAll('{ROWS}')[{index}].dataset.judgment !== ''")
    assert len([r for r in pair_records(app_server) if r["kind"] == "pair"]) >= 20
    page.get_by_test_id("train").click()
    page.get_by_test_id("train-panel").wait_for(state="visible")
    state = wait_for_training(page)
    assert state == "done", page.get_by_test_id("train-panel").inner_text()
    page.wait_for_function("document.querySelector('[data-testid=ranked-by]').dataset.head !== ''")
    message = page.get_by_test_id("train-message").inner_text()
    assert "judgments" in message, message
    head = page.get_by_test_id("ranked-by").get_attribute("data-head")
    assert f"ranked by head {head}" in page.get_by_test_id("ranked-by").inner_text()
    assert page.get_by_test_id("head-select").input_value() == head
    assert page.locator(f"{ROWS} .bank").first.inner_text() == "saw"
    marks = page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.judgment)")
    assert marks.count("similar") == 5, "the marks come back with the reranked list"
    shot(page, app_server, "trained")
    page.get_by_test_id("head-select").select_option("off")
    page.wait_for_function("document.querySelector('[data-testid=ranked-by]').dataset.head === ''")
    assert "no head" in page.get_by_test_id("ranked-by").inner_text()
    page.get_by_test_id("head-select").select_option(head)
    page.wait_for_function(f"document.querySelector('[data-testid=ranked-by]').dataset.head === {json.dumps(head)}")
    assert not page.problems, page.problems


def wait_for_training(page, limit_s: float = 600) -> str:
    """Poll the page's training panel until the run ends; prints the stages it went through."""
    seen = []
    for _ in range(int(limit_s * 2)):
        state = page.get_by_test_id("train-panel").get_attribute("data-state")
        stage = page.get_by_test_id("train-stage").inner_text()
        if not seen or seen[-1] != stage:
            seen.append(stage)
            print(f"\ntraining: {state} {stage} {page.get_by_test_id('train-progress').get_attribute('style')}")
        if state in ("done", "failed"):
            return state
        page.wait_for_timeout(500)
    raise AssertionError(f"training still running after {limit_s} s: {seen}")


def test_export_downloads_the_list_as_csv(browser_page):
    page = browser_page
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert len(rows) == 20 and rows[0]["bank"] == "saw" and rows[0]["rank"] == "1"


def test_a_row_dragged_out_carries_a_download_url(browser_page, app_server):
    page = browser_page
    data = page.evaluate("""() => { const dt = new DataTransfer();
        document.querySelector('[data-testid=result-row]').dispatchEvent(
            new DragEvent('dragstart', {dataTransfer: dt, bubbles: true}));
        return [dt.getData('DownloadURL'), dt.getData('text/uri-list')]; }""")
    download, uri = data
    mime, name, url = download.split(":", 2)
    assert mime == "audio/ogg" and name.endswith(".ogg") and url == uri
    assert url.startswith(app_server.base + "/api/audio/preset/") and f"token={app_server.token}" in url
    page.locator("[data-testid=row-copy]").first.click()
    page.wait_for_function("document.querySelector('[data-testid=message-text]').textContent.includes('copied')")


def test_the_map_draws_every_preset_and_auditions_on_hover(browser_page, app_server):
    page = browser_page
    page.get_by_test_id("tab-map").click()
    page.wait_for_function("window.timbreMetrics.mapDrawMs !== null")
    assert page.locator("#map-canvas").get_attribute("data-points") == "20"
    lit = page.evaluate("""() => { const c = document.getElementById('map-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0; return n; }""")
    assert lit > 20 * 4, lit
    assert page.locator(".legend-item").count() == 4
    row = 7
    box = page.locator("#map-overlay").bounding_box()
    sx, sy = page.evaluate(f"window.timbre.mapView.toScreen(window.timbre.mapView.data.x[{row}], "
                           f"window.timbre.mapView.data.y[{row}])")
    page.mouse.move(box["x"] + sx + 2, box["y"] + sy + 1)
    tip = page.get_by_test_id("map-tip")
    tip.wait_for(state="visible")
    name = page.evaluate(f"window.timbre.mapView.data.names[{row}]")
    assert name in tip.inner_text()
    wait_playing(page, f"preset:{row}")
    shot(page, app_server, "map")
    page.mouse.down()
    page.mouse.up()
    page.wait_for_function(f"window.timbre.state.query && window.timbre.state.query.preset === {row}")
    assert "more like" in page.get_by_test_id("ranked-by").inner_text()
    print(f"\nmap draw (20 points): {page.evaluate('window.timbreMetrics.mapDrawMs')} ms")


def test_the_map_takes_30000_points_on_one_canvas(browser_page, app_server):
    # the draw time at 30,000 points is measured by benchmarks/app_latency.py --browser
    page = browser_page
    found = page.evaluate("""() => { const n = 30000, banks = 12, x = [], y = [], bank = [], names = [];
        for (let i = 0; i < n; i++) { const b = i % banks, a = 2 * Math.PI * b / banks, r = 0.18 * (i % 97) / 97;
            x.push(0.5 + 0.3 * Math.cos(a) + r * Math.cos(i)); y.push(0.5 + 0.3 * Math.sin(a) + r * Math.sin(i));
            bank.push(b); names.push('preset ' + i); }
        const view = window.timbre.mapView;
        view.setData({head: null, x, y, bank, banks: Array.from({length: banks}, (_, b) => 'bank ' + b), names});
        const [sx, sy] = view.toScreen(x[123], y[123]);
        return {nearest: view.nearest(sx, sy), canvases: document.querySelectorAll('canvas').length}; }""")
    assert page.locator("#map-canvas").get_attribute("data-points") == "30000"
    assert found["nearest"] is not None and found["canvases"] < 100, found  # no element per point
    shot(page, app_server, "map-30000")


def test_a_bad_target_shows_one_error_line(browser_page, app_server, tmp_path):
    page = browser_page
    page.get_by_test_id("tab-results").click()
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"this is not audio at all" * 10)
    page.get_by_test_id("file-input").set_input_files(str(bad))
    message = page.get_by_test_id("message")
    message.wait_for(state="visible")
    page.wait_for_function("document.querySelector('[data-testid=message]').dataset.kind === 'error'")
    text = page.get_by_test_id("message-text").inner_text()
    assert text and "\n" not in text, text
    assert page.locator(ROWS).count() > 0, "the page keeps its list"
    shot(page, app_server, "error")
