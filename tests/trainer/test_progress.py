"""Stage progress: counts and an ETA, redrawn in place on a terminal, plain lines in CI and logs."""

from __future__ import annotations

import io

from trainer.progress import StageProgress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_without_a_terminal():
    out = io.StringIO()
    p = StageProgress("collect", 4, out, unit="runs")
    p.update(1, "counter4")
    p.update(3, "uart_rx")
    p.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in out.getvalue()
    assert "collect [######..................] 1/4 runs" in lines[0] and lines[0].endswith("counter4")
    assert "3/4 runs" in lines[1] and "ETA" in lines[1]


def test_redrawn_bar_on_a_terminal(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    out = Tty()
    p = StageProgress("train", 2, out)
    p.update()
    p.update()
    p.close()
    text = out.getvalue()
    assert text.count("\r\x1b[K") == 2 and text.endswith("\n") and "2/2" in text


def test_ci_gets_plain_lines_even_on_a_terminal(monkeypatch):
    monkeypatch.setenv("CI", "true")
    out = Tty()
    StageProgress("curate", 1, out).update(1)
    assert "\r" not in out.getvalue() and out.getvalue().endswith("\n")
