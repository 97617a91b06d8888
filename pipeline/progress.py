"""A one-line console progress display for long runs: dumps done, documents, documents per second.

It draws only when its stream is a terminal, so nothing reaches logs or pipes. The run command
activates one (`with progress.console(): ...`); the flow reports to `progress.current()`, which is a
silent instance when none is active (tests, schedules, other callers).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TextIO

BAR_WIDTH = 24


class Progress:
    """Counts dumps and documents and redraws one status line at most every `min_interval_s`."""

    def __init__(
        self,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        min_interval_s: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_tty(self.stream) if enabled is None else enabled
        self.min_interval_s = min_interval_s
        self.clock = clock
        self.total_dumps: int | None = None
        self.dumps = 0
        self.documents = 0
        self.label = ""
        self._started = clock()
        self._drawn_at: float | None = None
        self._lock = threading.Lock()

    def start(self, total_dumps: int | None) -> None:
        """A run begins with `total_dumps` dumps to process (None when unknown)."""
        with self._lock:
            self.total_dumps, self.dumps, self.documents, self.label = total_dumps, 0, 0, ""
            self._started = self.clock()
            self._draw(force=True)

    def advance(self, documents: int = 0, dumps: int = 0, label: str = "") -> None:
        """`documents` more documents (and `dumps` more dumps) are done; `label` names the latest."""
        with self._lock:
            self.documents += documents
            self.dumps += dumps
            self.label = label or self.label
            self._draw()

    def finish(self) -> None:
        """Draw the final state and end the line."""
        with self._lock:
            if self.enabled and self._drawn_at is not None:
                self._write("\r\x1b[K" + self.line() + "\n")
            self._drawn_at = None

    def rate(self) -> float:
        """Documents per second since the start."""
        elapsed = self.clock() - self._started
        return self.documents / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        elapsed = int(self.clock() - self._started)
        if self.total_dumps:
            done = min(self.dumps, self.total_dumps)
            filled = round(BAR_WIDTH * done / self.total_dumps)
            head = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done}/{self.total_dumps} dumps"
        else:
            head = f"{self.dumps} dumps"
        parts = [head, f"{self.documents} docs", f"{self.rate():.1f} docs/s", f"{elapsed // 60:02d}:{elapsed % 60:02d}"]
        if self.label:
            parts.append(self.label)
        return " | ".join(parts)

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if not force and self._drawn_at is not None and now - self._drawn_at < self.min_interval_s:
            return
        self._drawn_at = now
        # Clear the line, draw, and return to column 0 so that a log line printed next overwrites it.
        self._write("\r\x1b[K" + self.line() + "\r")

    def _write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.stream.write(text)
            self.stream.flush()


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


_SILENT = Progress(enabled=False)
_active: Progress = _SILENT


def current() -> Progress:
    """The progress display of the running command, or a silent one."""
    return _active


@contextlib.contextmanager
def console(stream: TextIO | None = None, enabled: bool | None = None) -> Iterator[Progress]:
    """Make a console progress display (on stderr by default) the current one for the duration."""
    global _active
    previous, _active = _active, Progress(stream, enabled)
    try:
        yield _active
    finally:
        _active.finish()
        _active = previous
