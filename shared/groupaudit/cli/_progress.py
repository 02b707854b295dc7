"""Progress of long work on stderr, when stderr is a terminal; nothing otherwise.

A pipe, a file or a CI log gets no progress lines (stdout never does): what the command
prints there is exactly what it printed before. On a terminal one line is redrawn in place
(``\\r``) with the step and the time taken so far, every ``interval_s`` while a step runs,
and a last line says what was done and how long it took.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TextIO

CLEAR = "\r\x1b[K"


class Progress:
    def __init__(self, label: str, stream: TextIO | None = None, *, interval_s: float = 0.5) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.interval_s = interval_s
        self.enabled = _is_terminal(self.stream)
        self._step = ""
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> Progress:
        self._started = time.monotonic()
        if self.enabled:
            self._draw()
            self._ticker = threading.Thread(target=self._tick, name="groupaudit-progress", daemon=True)
            self._ticker.start()
        return self

    def step(self, text: str) -> None:
        """What is being done now (e.g. ``group 3/7: grp-sales``)."""
        self._step = text
        if self.enabled:
            self._draw()

    def done(self, summary: str) -> None:
        """The last line: what was done (it stays on the terminal)."""
        if self.enabled:
            self._finish(f"{self.label}: {summary} in {self._elapsed():.1f}s\n")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.enabled:
            self._finish("")  # an error's own message follows on a clean line

    def _elapsed(self) -> float:
        return time.monotonic() - self._started

    def _tick(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            step = f" {self._step}" if self._step else ""
            self.stream.write(f"{CLEAR}{self.label}:{step} … {self._elapsed():.0f}s")
            self.stream.flush()

    def _finish(self, last: str) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            self._stop.set()
            self.stream.write(CLEAR + last)
            self.stream.flush()
        if self._ticker is not None and self._ticker is not threading.current_thread():
            self._ticker.join()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
