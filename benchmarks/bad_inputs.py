"""Bad-input set: >= 100 distinct bad files, names and links beside a few good files, through `timbre index`.

Builds in a temp folder: empty files, random bytes and text under every audio ending,
files truncated at several points in every container, absurd headers, silent, too short and
NaN/inf float files, names that are not UTF-8, folders named like audio, dangling links,
link loops, duplicate links, a pipe, and (when not root) permission-less files and folders.
Runs `python -m timbre index` on it twice (the second run must agree with the first) and
prints stable JSON:

    {"bad_inputs": n, "crashes": 0, "silently_dropped": 0, "reported": n, "by_reason": {...},
     "wrong_reason": [...], ...}

A bad entry is *reported* when the run's `skipped` list names it, *silently dropped* when it is
neither indexed nor reported, and has a *wrong reason* when the reason is not one expected for
it. Tricky good inputs (float audio beyond full scale, an OGG named .wav, odd names) must be
indexed. Uses the weights-free `spectral` embedder.

    python benchmarks/bad_inputs.py [--workers 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
from collections import Counter

import numpy as np
import soundfile as sf

SR = 44100
ENDINGS = (".wav", ".wave", ".ogg", ".oga", ".opus", ".flac", ".aif", ".aiff", ".mp3")
CONTAINERS = {  # ending: (format, subtype)
    "ogg": ("OGG", "VORBIS"), "opus": ("OGG", "OPUS"), "wav": ("WAV", "PCM_16"),
    "aiff": ("AIFF", "PCM_16"), "flac": ("FLAC", "PCM_16"), "mp3": ("MP3", "MPEG_LAYER_III"),
}
CUTS = (0.02, 0.25, 0.5, 0.75, 0.95)


def preset(seconds: float = 4.0, seed: int = 0) -> np.ndarray:
    """A decaying harmonic tone with a little noise: compresses like a real preview."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    wave = sum(np.sin(2 * np.pi * 220 * k * t) / k for k in range(1, 6)) * np.exp(-0.7 * t)
    return (0.3 * wave / np.abs(wave).max() + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


class BadSet:
    """Collects bad entries (raw path -> expected reasons) and good ones while writing them."""

    def __init__(self, root: str):
        self.root = root
        self.bad: dict[bytes, set[str]] = {}
        self.good: list[bytes] = []
        self.notes: list[str] = []

    def path(self, *parts: str | bytes) -> bytes:
        full = os.path.join(os.fsencode(self.root), *(os.fsencode(p) for p in parts))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        return full

    def write(self, name: str | bytes, data: bytes, *reasons: str, folder: str = "bad") -> None:
        full = self.path(folder, name)
        with open(full, "wb") as fh:
            fh.write(data)
        self.bad[full] = set(reasons)

    def audio(self, name: str, signal: np.ndarray, ending: str, folder: str = "good", **kwargs) -> bytes:
        fmt, subtype = CONTAINERS[ending]
        full = self.path(folder, f"{name}.{ending}")
        sf.write(os.fsdecode(full), signal, kwargs.pop("sr", SR if ending != "opus" else 48000),
                 format=fmt, subtype=kwargs.pop("subtype", subtype))
        return full


def wav_header(frames_bytes: int, channels: int = 1, rate: int = SR, bits: int = 16) -> bytes:
    """A 44-byte PCM WAV header declaring ``frames_bytes`` bytes of audio."""
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate, (rate * block) & 0xFFFFFFFF, block & 0xFFFF, bits)
    return (b"RIFF" + struct.pack("<I", (36 + frames_bytes) & 0xFFFFFFFF) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
            + b"data" + struct.pack("<I", frames_bytes))


def build(root: str) -> BadSet:
    s = BadSet(root)
    rng = np.random.default_rng(0)
    tone = preset()
    for ending in ("ogg", "wav", "flac", "mp3"):
        s.good.append(s.audio("good", tone, ending))
    _broken_bytes(s, rng)
    _truncations(s, tone)
    _headers(s, tone)
    _signals(s, tone)
    _names_links_folders(s, tone)
    return s


def _broken_bytes(s: BadSet, rng) -> None:
    for ending in ENDINGS:
        s.write(f"empty{ending}", b"", "empty")
        s.write(f"random-small{ending}", rng.bytes(100), "damaged")
        s.write(f"random-large{ending}", rng.bytes(20000), "damaged")
        s.write(f"text{ending}", b"these are liner notes, not audio\n" * 20, "damaged")
    s.write("zeros.wav", bytes(5000), "damaged")
    s.write("only-magic.ogg", b"OggS", "damaged", "truncated")
    s.write("only-riff.wav", b"RIFF\x00\x00\x00\x00WAVE", "damaged", "empty", "truncated")
    s.write("id3-only.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00", "damaged", "empty")


def _truncations(s: BadSet, tone: np.ndarray) -> None:
    for ending in CONTAINERS:
        whole = open(s.audio("whole", tone, ending, folder="tmp"), "rb").read()
        os.remove(s.path("tmp", f"whole.{ending}"))
        for cut in CUTS:
            size = int(len(whole) * cut)
            # a cut inside the header or the first audio frame leaves nothing that decodes, so the
            # decoder cannot tell it from damage: "damaged or cut short" is right there too
            reasons = ("truncated",) if cut > 0.05 else ("truncated", "damaged", "empty")
            s.write(f"cut-{int(cut * 100):02d}pct.{ending}", whole[:size], *reasons, folder="bad/truncated")


def _headers(s: BadSet, tone: np.ndarray) -> None:
    pcm = (tone[:SR] * 32767).astype("<i2").tobytes()
    s.write("header-only.wav", wav_header(len(pcm)), "truncated")
    s.write("header-zero-data.wav", wav_header(0), "empty")
    s.write("huge-data-length.wav", wav_header(0xFFFFFF00) + pcm,
            "truncated")
    s.write("rate-zero.wav", wav_header(len(pcm), rate=0) + pcm, "damaged")
    s.write("rate-one.wav", wav_header(len(pcm), rate=1) + pcm, "damaged")
    s.write("rate-3GHz.wav", wav_header(len(pcm), rate=3_000_000_000) + pcm, "damaged")
    s.write("channels-zero.wav", wav_header(len(pcm), channels=0) + pcm, "damaged")
    s.write("channels-65535.wav", wav_header(len(pcm), channels=65535) + pcm, "damaged", "truncated")
    flac = bytearray(open(s.audio("f", tone, "flac", folder="tmp"), "rb").read())
    os.remove(s.path("tmp", "f.flac"))
    head = int.from_bytes(flac[18:26], "big")
    flac[18:26] = ((head & ~((1 << 36) - 1)) | ((1 << 36) - 1)).to_bytes(8, "big")  # 2^36 samples declared
    s.write("huge-streaminfo.flac", bytes(flac), "truncated")


def _signals(s: BadSet, tone: np.ndarray) -> None:
    for ending in ("wav", "ogg", "flac"):
        s.bad[s.audio("silence", np.zeros(SR, np.float32), ending, folder="bad/signal")] = {"silent"}
        s.bad[s.audio("short-20ms", tone[: SR // 50], ending, folder="bad/signal")] = {"too_short", "silent"}
    s.bad[s.audio("near-silence", tone * 1e-4, "wav", folder="bad/signal", subtype="FLOAT")] = {"silent"}
    s.bad[s.audio("one-sample", tone[:1], "wav", folder="bad/signal")] = {"too_short"}
    s.bad[s.audio("short-5ms", tone[: SR // 200], "wav", folder="bad/signal")] = {"too_short"}
    for name, bad in (("nan", np.nan), ("inf", np.inf), ("neg-inf", -np.inf)):
        data = tone.copy()
        data[1000:2000] = bad
        s.bad[s.audio(f"float-{name}", data, "wav", folder="bad/signal", subtype="FLOAT")] = {"damaged"}
    s.bad[s.audio("float-all-nan", np.full(SR, np.nan, np.float32), "wav", folder="bad/signal",
                  subtype="FLOAT")] = {"damaged"}
    stereo = np.stack([tone, tone], axis=1) / 0.3 * 3.0e38  # the mono mix overflows float32
    s.good.append(s.audio("float-beyond-full-scale", stereo.astype(np.float32), "wav", subtype="FLOAT"))


def _names_links_folders(s: BadSet, tone: np.ndarray) -> None:
    ogg = open(s.good[0], "rb").read()
    for raw in (b"caf\xe9.ogg", b"\xff\xfe.wav", b"na\xefve pad.flac", b"\x80.mp3"):
        s.write(raw, ogg, "bad_name", folder="names")
    for raw in (b"a.ogg", b"b.ogg"):
        s.write(os.path.join(b"B\xe4nk", raw), ogg, "bad_name", folder="names")
    for name in ("odd name ☃ – é.ogg", "UPPER.OGG", "ogg-named.wav"):
        with open(s.path("good", name), "wb") as fh:
            fh.write(ogg)
        s.good.append(s.path("good", name))
    for ending in (".wav", ".ogg", ".flac"):
        s.bad[os.path.dirname(s.path("folders", f"Pad{ending}", "x"))] = {"folder"}
    links = s.path("links", "x")
    base = os.path.dirname(links)
    for name, target, reason in (
        (b"dangling.wav", b"/nonexistent/preset.wav", "dangling_link"),
        (b"dangling.ogg", b"gone.ogg", "dangling_link"),
        (b"dangling-folder", b"/nonexistent/bank", "dangling_link"),
        (b"self.wav", b"self.wav", "link_loop"),
        (b"ping.ogg", b"pong.ogg", "link_loop"),
        (b"pong.ogg", b"ping.ogg", "link_loop"),
        (b"up", b"..", "link_loop"),
        (b"copy-of-good.ogg", s.good[0], "duplicate"),
        (b"good-bank-again", os.path.dirname(s.good[0]), "duplicate"),
    ):
        os.symlink(target, os.path.join(base, name))
        s.bad[os.path.join(base, name)] = {reason}
    os.mkfifo(os.path.join(base, b"stream.wav"))
    s.bad[os.path.join(base, b"stream.wav")] = {"not_a_file"}
    if os.geteuid() == 0:
        s.notes.append("running as root: permission-less files and folders cannot be made (root reads them)")
        return
    s.write("locked.ogg", ogg, "permission_denied", folder="perm")
    os.chmod(s.path("perm", "locked.ogg"), 0)
    s.write("inside.ogg", ogg, "unreadable_folder", folder="perm/locked-folder")
    s.bad.pop(s.path("perm/locked-folder", "inside.ogg"))
    s.bad[s.path("perm", "locked-folder")] = {"unreadable_folder"}
    os.chmod(s.path("perm", "locked-folder"), 0)


def run_index(lib: str, index: str, workers: int) -> tuple[int, dict | None, str]:
    env = dict(os.environ, TIMBRE_THREADS=str(max(1, workers)))
    proc = subprocess.run([sys.executable, "-m", "timbre", "index", lib, "--index", index, "--json",
                           "--workers", str(workers)], capture_output=True, text=True, env=env, timeout=600)
    try:
        return proc.returncode, json.loads(proc.stdout), proc.stderr
    except ValueError:
        return proc.returncode, None, proc.stderr


def score(s: BadSet, report: dict, indexed: set[str]) -> dict:
    from timbre.errors import display_path

    skipped = {entry["path"]: entry for entry in report["skipped"]}
    by_reason, wrong, dropped, reported = Counter(), [], [], 0
    for raw, reasons in sorted(s.bad.items()):
        shown = display_path(os.fsdecode(raw))
        rel = os.path.relpath(shown, s.root)
        entry = skipped.get(shown)
        if entry is None:
            (wrong if shown in indexed else dropped).append(
                {"path": rel, "expected": sorted(reasons), "got": "indexed" if shown in indexed else "nothing"})
            continue
        reported += 1
        by_reason[entry["reason"]] += 1
        if entry["reason"] not in reasons:
            wrong.append({"path": rel, "expected": sorted(reasons), "got": entry["reason"], "detail": entry["detail"]})
    good_missing = [os.path.relpath(os.fsdecode(g), s.root) for g in s.good if os.fsdecode(g) not in indexed]
    return {"bad_inputs": len(s.bad), "reported": reported, "silently_dropped": len(dropped),
            "dropped": dropped, "by_reason": dict(sorted(by_reason.items())), "wrong_reason": wrong,
            "good_files": len(s.good), "good_missing": good_missing}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", help="build the set in this (new) folder and keep it")
    args = parser.parse_args()
    root = args.keep or tempfile.mkdtemp(prefix="timbre-bad-")
    lib, index = os.path.join(root, "lib"), os.path.join(root, "index")
    s = build(lib)
    s.root = lib
    crashes, runs = 0, []
    for _ in range(2):
        code, report, stderr = run_index(lib, index, args.workers)
        if code != 0 or report is None or "Traceback" in stderr:
            crashes += 1
            print(stderr, file=sys.stderr)
        runs.append(report)
    from timbre.index import open_index

    indexed = set(open_index(index).paths)
    result = score(s, runs[0] or {"skipped": []}, indexed)
    second = score(s, runs[1] or {"skipped": []}, indexed)
    result.update(crashes=crashes, rerun_agrees=second["by_reason"] == result["by_reason"], notes=s.notes,
                  indexed=len(indexed))
    print(json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False))
    if not args.keep:
        _chmod_back(root)
        import shutil

        shutil.rmtree(root, ignore_errors=True)


def _chmod_back(root: str) -> None:
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, 0o755)


if __name__ == "__main__":
    main()
