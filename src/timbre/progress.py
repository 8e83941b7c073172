"""Progress reporting that keeps the library UI-agnostic.

Library functions take ``progress: Progress | None``; the CLI passes ``TqdmProgress`` (files/s
and ETA on stderr), a GUI can pass its own implementation, tests pass nothing.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives the steps of one long task."""

    def start(self, total: int, desc: str, unit: str = "file") -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def note(self, message: str) -> None: ...

    def close(self) -> None: ...


class NullProgress:
    """Reports nothing."""

    def start(self, total: int, desc: str, unit: str = "file") -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def note(self, message: str) -> None:
        pass

    def close(self) -> None:
        pass


class TqdmProgress:
    """A tqdm bar on stderr (rate and ETA); ``note`` prints above the bar."""

    def __init__(self, disable: bool = False):
        self._bar = None
        self._disable = disable

    def start(self, total: int, desc: str, unit: str = "file") -> None:
        from tqdm import tqdm

        self.close()
        self._bar = tqdm(total=total, desc=desc, unit=unit, disable=self._disable, dynamic_ncols=True)

    def advance(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def note(self, message: str) -> None:
        from tqdm import tqdm

        tqdm.write(message, file=__import__("sys").stderr)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def ensure_progress(progress: Progress | None) -> Progress:
    """``progress`` or a ``NullProgress``."""
    return progress if progress is not None else NullProgress()
