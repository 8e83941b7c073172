"""Where the browser tests find Chromium (shared by the app and Label Studio browser tests).

``TIMBRE_CHROMIUM`` wins; then Debian's ``/usr/bin/chromium``, a ``chromium`` /
``chromium-browser`` / ``google-chrome`` on PATH, and the usual macOS application bundles.
Playwright drives the browser found; it never downloads one.
"""

from __future__ import annotations

import os
import shutil

import pytest

ENV = "TIMBRE_CHROMIUM"
LINUX_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MACOS_PATHS = ("/Applications/Chromium.app/Contents/MacOS/Chromium",
               "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
               os.path.expanduser("~/Applications/Chromium.app/Contents/MacOS/Chromium"),
               os.path.expanduser("~/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
INSTALL_HINT = (f"set {ENV}=/path/to/chromium, or install it (Debian/Ubuntu: apt-get install -y chromium; "
                "macOS: brew install --cask chromium, or Google Chrome)")


def find_chromium() -> tuple[str | None, str]:
    """``(executable, "")`` or ``(None, why not and what to do)``."""
    chosen = os.environ.get(ENV)
    if chosen:
        if os.path.isfile(chosen) and os.access(chosen, os.X_OK):
            return chosen, ""
        return None, f"{ENV}={chosen} is not an executable file; point it at a Chromium or Chrome binary"
    on_path = [shutil.which(name) for name in PATH_NAMES]
    for candidate in (*LINUX_PATHS, *[p for p in on_path if p], *MACOS_PATHS):
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate, ""
    return None, f"no Chromium or Chrome found: {INSTALL_HINT}"


def chromium_or_skip() -> str:
    """The browser to drive, or a pytest skip that says how to get one."""
    found, why = find_chromium()
    if found is None:
        pytest.skip(why)
    return found
