"""How `timbre app` feels on a 30,000-preset library: start-up, warm search, the map, playback.

The library: 64 real synthesized previews (.ogg, 8 banks) embedded with `spectral`, and 30,000
index rows whose vectors are those previews' vectors plus noise (so the space is clustered as a real
library's is), each row a hard link to one of the real files (so every row can be played). Then a real
`timbre app` process is started and timed over HTTP; with --browser, headless Chromium opens the page
and reads the page's own timings (key press -> audible playback, map draw).

    python benchmarks/app_latency.py --presets 30000 --searches 40 --browser

Prints one JSON document (seconds and milliseconds, rounded).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

import numpy as np
import soundfile as sf

SR = 22050
BANKS = ["bass", "lead", "pad", "pluck", "keys", "bell", "brass", "strings"]


def synth(bank_index: int, variant: int, midi: float, seconds: float) -> np.ndarray:
    """A band-limited note whose harmonic law and envelope depend on the bank."""
    f0 = 440.0 * 2 ** ((midi - 69) / 12) * (1 + 0.003 * variant)
    t = np.arange(int(SR * seconds)) / SR
    k = np.arange(1, int(SR / 2 / f0))
    law = k ** -(0.5 + 0.25 * bank_index) * (1 + (k % (bank_index + 2) == 0))
    wave = np.sin(2 * np.pi * f0 * t[:, None] * k[None, :]) @ law
    env = np.minimum(1.0, t / (0.002 + 0.04 * (bank_index % 3))) * np.exp(-t * (0.5 + 0.4 * bank_index))
    return (0.4 * wave * env / np.max(np.abs(wave * env))).astype(np.float32)


def build_library(root: str, presets: int, seed: int = 0) -> tuple[str, list[str]]:
    """A `spectral` index of ``presets`` rows over 64 real previews; returns (index, target wavs)."""
    from timbre.embedders import load_embedder
    from timbre.index import store
    from timbre.index.scan import content_hash

    model = load_embedder("spectral")
    files = []
    for b, bank in enumerate(BANKS):
        os.makedirs(os.path.join(root, "previews", bank), exist_ok=True)
        for v in range(8):
            path = os.path.join(root, "previews", bank, f"{bank} {v}.ogg")
            sf.write(path, synth(b, v, 48, 2.0), SR)
            files.append((bank, path))
    from timbre.audio import load_audio

    base = np.asarray(model.embed_audio([load_audio(p, model.sample_rate) for _, p in files]), np.float32)
    rng = np.random.default_rng(seed)
    pick = np.arange(presets) % len(files)
    vectors = base[pick] + 0.15 * rng.standard_normal((presets, base.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = []
    for i, j in enumerate(pick):  # every row its own file: a hard link to one of the real previews
        bank, source = files[j]
        folder = os.path.join(root, "library", f"{bank}-{i % 4}")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{bank} {i:05d}.ogg")
        os.link(source, path)
        rows.append({"path": path, "name": f"{bank} {i:05d}", "bank": f"{bank}-{i % 4}",
                     "folder": folder, "size": os.path.getsize(path), "mtime": 0.0,
                     "content_hash": uuid.UUID(int=int(rng.integers(1 << 62)) << 64 | i).hex if i >= len(files)
                     else content_hash(source), "duration": 2.0, "sample_rate": SR, "channels": 1})
    index = os.path.join(root, "index")
    os.makedirs(os.path.join(index, store.SHARDS_DIR))
    store.write_config(index, model.spec())
    manifest = store.empty_manifest()
    manifest["shards"] = [store.write_shard(index, rows, vectors)]
    store.write_manifest(index, manifest)
    targets = []
    for s in range(64):  # 10-s loops of 20 notes at other pitches, each a distinct file
        notes = [synth(s % len(BANKS), s, float(rng.integers(52, 76)), 0.5) for _ in range(20)]
        targets.append(os.path.join(root, f"target-{s}.wav"))
        sf.write(targets[-1], np.concatenate(notes), 44100 if s % 2 else 48000, subtype="PCM_24")
    return index, targets


def request(url: str, token: str, body=None, raw: bytes | None = None) -> tuple[float, dict | bytes]:
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"X-Timbre-Token": token, "Content-Type":
                                 "application/octet-stream" if raw is not None else "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(req, timeout=300) as response:
        payload = response.read()
    elapsed = time.perf_counter() - start
    kind = response.headers.get("content-type", "")
    return elapsed, json.loads(payload) if "json" in kind else payload


def percentiles(seconds: list[float]) -> dict:
    ms = np.array(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "n": len(ms)}


def start_app(index: str, home: str) -> tuple[subprocess.Popen, str, float]:
    """Spawn `timbre app`; returns the process, its URL and the seconds until the page is served."""
    env = {**os.environ, "TIMBRE_HOME": home}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "timbre", "app", "--index", index, "--port", "0",
                                "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env=env)
    url = process.stdout.readline().split("timbre app: ")[1].strip()
    with urllib.request.urlopen(url, timeout=300) as page:
        page.read()
    return process, url, time.perf_counter() - started


def measure_server(base: str, token: str, targets: list[str], searches: int) -> dict:
    """Search timings: upload + embed + rank of fresh 10-s targets, and ranking alone."""
    fresh, cached, filtered, ids = [], [], [], []
    for path in targets[:searches]:
        with open(path, "rb") as fh:
            upload, answer = request(f"{base}/api/targets?name={os.path.basename(path)}", token, raw=fh.read())
        ids.append(answer["target"]["id"])
        rank, _ = request(f"{base}/api/search", token, {"target": ids[-1], "top": 50})
        fresh.append(upload + rank)
    for target_id in ids:
        cached.append(request(f"{base}/api/search", token, {"target": target_id, "top": 50})[0])
        filtered.append(request(f"{base}/api/search", token, {"target": target_id, "top": 50,
                                                              "banks": ["lead-1", "pad-2"]})[0])
    map_first, layout = request(f"{base}/api/map", token)
    map_again, _ = request(f"{base}/api/map", token)
    return {"search_fresh_10s_target": percentiles(fresh), "search_cached_target": percentiles(cached),
            "search_bank_filter": percentiles(filtered), "map_first_s": round(map_first, 2),
            "map_cached_s": round(map_again, 3), "map_points": len(layout["x"]),
            "search_while_training": while_training(base, token, ids)}


def while_training(base: str, token: str, ids: list[str]) -> dict:
    """Ranking latency while a retrain runs in the server (it keeps running until the app stops)."""
    request(f"{base}/api/train", token, {})
    time.sleep(3)
    seconds = [request(f"{base}/api/search", token, {"target": target_id, "top": 50})[0] for target_id in ids]
    _, state = request(f"{base}/api/train", token)
    return {**percentiles(seconds), "training_stage": state["training"]["stage"]}


def measure_browser(url: str, target: str) -> dict:
    """Chromium's own timings from the page (window.timbreMetrics in app.js): key press -> playback
    started (decoded preset; and a cold one: fetch + decode + start), and the 30,000-point map draw."""
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("TIMBRE_CHROMIUM") or shutil.which("chromium") or shutil.which("google-chrome")
    if not chromium:
        return {"skipped": "no Chromium found: set TIMBRE_CHROMIUM=/path/to/chromium"}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
        page = browser.new_page(viewport={"width": 1400, "height": 900}, bypass_csp=True)
        started = time.perf_counter()
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']", timeout=60000)
        loaded = time.perf_counter() - started
        page.get_by_test_id("file-input").set_input_files(target)
        page.wait_for_selector("[data-testid=result-row]", timeout=60000)
        page.wait_for_timeout(1500)  # let the page decode the top rows ahead, as it does for a user
        warm = []
        for key in ["Enter"] + ["ArrowDown", "Enter"] * 5:
            page.locator("[data-testid=result-list]").focus()
            page.keyboard.press(key)
            page.wait_for_timeout(400)
            if key == "Enter":
                warm.append(page.evaluate("window.timbreMetrics.lastPlayLatencyMs"))
        cold = page.evaluate("""async () => { const hits = window.timbre.list.hits, out = [];
            for (const hit of hits.slice(-5)) { window.timbre.player.buffers.clear();
                await window.timbre.player.play('preset:' + hit.row,
                    new URL('/api/audio/preset/' + hit.row + location.search, location.href).href);
                out.push(window.timbreMetrics.lastPlayLatencyMs); } return out; }""")
        output_ms = page.evaluate("window.timbreMetrics.outputLatencyMs")
        page.get_by_test_id("tab-map").click()
        page.wait_for_function("window.timbreMetrics.mapDrawMs !== null", timeout=180000)
        metrics = page.evaluate("window.timbreMetrics")
        points = page.locator("#map-canvas").get_attribute("data-points")
        browser.close()
    return {"page_load_s": round(loaded, 2), "key_to_play_ms": {"decoded_median": float(np.median(warm)),
            "decoded_max": float(np.max(warm)), "cold_median": float(np.median(cold)),
            "audio_output_latency_ms": output_ms}, "map_points": int(points),
            "map_draw_ms": metrics["mapDrawMs"], "map_load_ms": metrics.get("mapLoadMs")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", type=int, default=30000)
    parser.add_argument("--searches", type=int, default=40)
    parser.add_argument("--browser", action="store_true", help="also time the page in headless Chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        started = time.perf_counter()
        index, targets = build_library(root, args.presets)
        built = time.perf_counter() - started
        process, url, ready = start_app(index, os.path.join(root, "home"))
        base, token = url.split("/?")[0], url.split("token=")[1]
        try:
            figures = {"presets": args.presets, "threads": os.environ.get("TIMBRE_THREADS", "all cores"),
                       "library_build_s": round(built, 1), "start_to_first_page_s": round(ready, 2)}
            figures.update(measure_server(base, token, targets, min(args.searches, len(targets))))
            if args.browser:
                figures["browser"] = measure_browser(url, targets[-1])
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(json.dumps(figures, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
