"""Progress of long runs: per design, step k/N and the best coverage so far.

On an interactive terminal a one-line status is drawn after pytest's current line and redrawn in place
with plain ANSI escapes, then erased when the item ends, so pytest's own output is left as it was. In
CI (the ``CI`` variable set), with ``TERM=dumb`` or when the output is not a terminal, it prints plain
lines, and only with ``-v``. xdist workers print nothing (their output never reaches the terminal).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Literal

Mode = Literal["live", "lines", "off"]

_SAVE, _RESTORE, _ERASE = "\x1b7", "\x1b8", "\x1b[K"
_DIM, _RESET = "\x1b[36m", "\x1b[0m"


def choose_mode(*, tty: bool, ci: bool, verbose: bool, worker: bool) -> Mode:
    """live on an interactive terminal; plain lines with -v in CI or without a terminal; else nothing."""
    if worker:
        return "off"
    if tty and not ci:
        return "live"
    return "lines" if verbose else "off"


def in_ci(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def format_step(design_id: str, index: int, budget: int, outcome: str, score: float, best: float) -> str:
    """'counter4::counter4 step 3/8: passed, score 62.5%, best 87.5%'."""
    return (f"{design_id} step {index + 1}/{max(budget, index + 1)}: {outcome}, "
            f"score {score:.1%}, best {best:.1%}")


class Progress:
    """Shows each design's progress through the terminal writer pytest uses (``mode`` says how)."""

    def __init__(self, mode: Mode, reporter: Any = None, writer: Any = None, capture: Any = None) -> None:
        """``reporter``: pytest's terminal reporter (lines); ``writer``: its terminal writer (live)."""
        self.mode: Mode = mode if reporter is not None and writer is not None else "off"
        self._reporter = reporter
        self._tw = writer
        self._capture = capture
        self._drawn = False

    @classmethod
    def from_config(cls, config: Any, worker: str | None) -> Progress:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return cls("off")
        tw = config.get_terminal_writer()
        capture = config.pluginmanager.get_plugin("capturemanager")
        with cls("off", capture=capture)._uncaptured():  # inside a test, fd 1 is a capture file
            tty = bool(tw.hasmarkup) and os.environ.get("TERM") != "dumb" and _stream(tw).isatty()
        mode = choose_mode(tty=tty, ci=in_ci(), verbose=config.get_verbosity() > 0, worker=worker is not None)
        return cls(mode, reporter, tw, capture)

    def _uncaptured(self) -> AbstractContextManager[Any]:
        # pytest captures fd 1 while a test runs: without this the lines land in the item's captured output.
        return self._capture.global_and_fixture_disabled() if self._capture is not None else nullcontext()

    def start(self, design_id: str, budget: int) -> None:
        if self.mode == "live":
            self._draw(f"{design_id} step 1/{budget}: running")

    def step(self, design_id: str, index: int, budget: int, outcome: str, score: float, best: float) -> None:
        text = format_step(design_id, index, budget, outcome, score, best)
        if self.mode == "lines":
            with self._uncaptured():
                self._reporter.write_line(f"  llm4cov {text}")
        elif self.mode == "live":
            # Most important first: a narrow terminal cuts the end off.
            done = min(index + 2, max(budget, index + 1))
            now = f"step {done}/{max(budget, index + 1)}" if index + 1 < budget else f"step {index + 1}/{index + 1}"
            self._draw(f"{design_id} {now}, best {best:.1%} (step {index + 1}: {outcome}, {score:.1%})")

    def finish(self) -> None:
        """Erase the live status (pytest goes on writing where its line ended)."""
        if self.mode == "live" and self._drawn:
            with self._uncaptured():
                stream = _stream(self._tw)
                stream.write(_ERASE)
                stream.flush()
            self._drawn = False

    def _draw(self, text: str) -> None:
        room = self._tw.fullwidth - self._tw.width_of_current_line - 4
        if room < 20:
            return
        text = f"[llm4cov {text}]"
        if len(text) > room:
            text = text[: room - 4] + "...]"
        with self._uncaptured():
            self._tw.flush()
            stream = _stream(self._tw)
            # Written past the terminal writer so that its idea of the current line (pytest right-aligns
            # the [NN%] column by it) stays true; the cursor goes back where pytest left it.
            stream.write(f"{_SAVE}{_ERASE} {_DIM}{text}{_RESET}{_RESTORE}")
            stream.flush()
        self._drawn = True


def _stream(tw: Any) -> Any:
    # pytest's TerminalWriter keeps its stream private; fall back to the process's stdout.
    return getattr(tw, "_file", None) or sys.__stdout__
