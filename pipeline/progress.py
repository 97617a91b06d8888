"""The console progress display of a run (tqdm): dumps done, documents, documents per second.

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

from tqdm import tqdm

BAR_FORMAT = "[{bar:24}] {n_fmt}/{total_fmt} dumps | {docs} docs | {docs_rate:.1f} docs/s | {elapsed}{label}"


class _DumpBar(tqdm):
    """tqdm counting dumps, with the documents, their rate and the latest dump's name on the line."""

    documents = 0
    label = ""

    @property
    def format_dict(self) -> dict:
        values = super().format_dict
        elapsed = values.get("elapsed") or 0
        values.update(
            docs=self.documents,
            docs_rate=self.documents / elapsed if elapsed > 0 else 0.0,
            label=f" | {self.label}" if self.label else "",
        )
        return values


class Progress:
    """Counts dumps and documents on a tqdm line, redrawn at most every `min_interval_s`."""

    def __init__(
        self,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        min_interval_s: float = 0.1,
        clock: Callable[[], float] = time.time,
    ):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_tty(self.stream) if enabled is None else enabled
        self.min_interval_s = min_interval_s
        self.clock = clock
        self.bar: _DumpBar | None = None
        self._lock = threading.Lock()

    def start(self, total_dumps: int | None) -> None:
        """A run begins with `total_dumps` dumps to process (None when unknown)."""
        with self._lock:
            self._close()
            if not self.enabled:
                return
            self.bar = _DumpBar(
                total=total_dumps, file=self.stream, bar_format=BAR_FORMAT, ascii="-#", mininterval=0,
                miniters=1, dynamic_ncols=False, leave=True, delay=0,
            )
            self.bar._time = self.clock
            self.bar.start_t = self.bar.last_print_t = self.clock()
            self.bar.refresh()

    def advance(self, documents: int = 0, dumps: int = 0, label: str = "") -> None:
        """`documents` more documents (and `dumps` more dumps) are done; `label` names the latest."""
        with self._lock:
            if self.bar is None:
                return
            self.bar.documents += documents
            self.bar.label = label or self.bar.label
            self.bar.n += dumps
            if self.clock() - self.bar.last_print_t >= self.min_interval_s:
                self.bar.refresh()
                self.bar.last_print_t = self.clock()

    def finish(self) -> None:
        """Draw the final state and end the line."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self.bar is not None:
            with contextlib.suppress(OSError, ValueError):
                self.bar.refresh()
                self.bar.close()
            self.bar = None


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
