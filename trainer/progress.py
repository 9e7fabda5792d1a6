"""Progress of a long stage: done/total, rate and ETA; a redrawn bar on a terminal, plain lines in CI or logs."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from pytest_llm4cov.progress import in_ci


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s" if m else f"{s}s"


class StageProgress:
    """``update(done, detail)`` after each unit of work; ``close()`` ends the bar's line."""

    def __init__(self, stage: str, total: int, stream: TextIO | None = None, *, unit: str = "") -> None:
        self.stage, self.total, self.unit = stage, max(0, total), unit
        self.stream = stream or sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)()) and not in_ci()
        self.started = time.monotonic()
        self.done = 0

    def line(self, done: int, detail: str = "") -> str:
        elapsed = time.monotonic() - self.started
        eta = elapsed / done * (self.total - done) if done else 0.0
        width = 24
        filled = int(width * done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        unit = f" {self.unit}" if self.unit else ""
        text = f"{self.stage} [{bar}] {done}/{self.total}{unit}  {_clock(elapsed)} elapsed, ETA {_clock(eta)}"
        return f"{text}  {detail}" if detail else text

    def update(self, done: int | None = None, detail: str = "") -> None:
        self.done = self.done + 1 if done is None else done
        text = self.line(self.done, detail)
        if self.live:
            self.stream.write("\r\x1b[K" + text[:200])
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()
