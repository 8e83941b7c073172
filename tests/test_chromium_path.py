"""The browser tests find Chromium on Linux and macOS, or skip saying how to get one."""

import os
import stat

import pytest

import chromium_path


def fake_binary(path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def nowhere(monkeypatch, tmp_path):
    """No browser in any standard place (the test adds the one it wants)."""
    monkeypatch.delenv(chromium_path.ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setattr(chromium_path, "LINUX_PATHS", ())
    monkeypatch.setattr(chromium_path, "MACOS_PATHS", ())


def test_timbre_chromium_wins(nowhere, monkeypatch, tmp_path):
    binary = fake_binary(tmp_path / "my chrome" / "chrome")
    monkeypatch.setenv(chromium_path.ENV, binary)
    assert chromium_path.find_chromium() == (binary, "")


def test_a_timbre_chromium_that_is_not_executable_is_named(nowhere, monkeypatch, tmp_path):
    monkeypatch.setenv(chromium_path.ENV, str(tmp_path / "missing"))
    found, why = chromium_path.find_chromium()
    assert found is None and "TIMBRE_CHROMIUM=" in why and "not an executable file" in why


def test_a_macos_application_bundle_is_found(nowhere, monkeypatch, tmp_path):
    app = fake_binary(tmp_path / "Applications" / "Google Chrome.app" / "Contents" / "MacOS" / "Google Chrome")
    monkeypatch.setattr(chromium_path, "MACOS_PATHS", (str(tmp_path / "nothing"), app))
    assert chromium_path.find_chromium() == (app, "")


def test_chromium_on_path_is_found(nowhere, monkeypatch, tmp_path):
    binary = fake_binary(tmp_path / "bin" / "chromium-browser")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert chromium_path.find_chromium() == (binary, "")


def test_no_browser_skips_with_what_to_do_on_each_system(nowhere):
    found, why = chromium_path.find_chromium()
    assert found is None
    assert "TIMBRE_CHROMIUM" in why and "apt-get install -y chromium" in why and "brew install --cask chromium" in why
    with pytest.raises(pytest.skip.Exception, match="no Chromium or Chrome found"):
        chromium_path.chromium_or_skip()


def test_debian_default_is_still_first_on_linux(monkeypatch, tmp_path):
    monkeypatch.delenv(chromium_path.ENV, raising=False)
    debian = fake_binary(tmp_path / "usr-bin" / "chromium")
    monkeypatch.setattr(chromium_path, "LINUX_PATHS", (debian,))
    assert chromium_path.find_chromium() == (debian, "")
    assert os.access(debian, os.X_OK)
