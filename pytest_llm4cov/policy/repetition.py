"""Stop a reply that has fallen into repeating itself, instead of paying for it up to the token limit.

Small models on CPU fall into loops: the shipped stage-0 adapter once wrote ``await tb.step(20000)`` until
its 4,096-token limit (301 s on 2 cores, for a scenario the harness then stopped at its step cap). Once the
last ``REPEAT_LINES`` lines are one block of up to ``MAX_PERIOD`` lines over and over, nothing useful is
coming: generation stops there and the reply counts as cut off (``FINISH_REPETITION``), so the parsers
treat it like one cut at the token limit.
"""

from __future__ import annotations

#: Complete lines that must repeat, and the longest repeating block looked for.
REPEAT_LINES = 12
MAX_PERIOD = 4
#: The finish reason of a reply stopped here (llama-cpp and transformers report "stop" or "length").
FINISH_REPETITION = "repetition"


def repeating(text: str) -> bool:
    """Do the last ``REPEAT_LINES`` complete non-blank lines of ``text`` repeat a block of 1-``MAX_PERIOD`` lines?"""
    complete = text[: text.rfind("\n") + 1] if "\n" in text else ""
    lines = [ln.strip() for ln in complete.splitlines() if ln.strip()][-REPEAT_LINES:]
    if len(lines) < REPEAT_LINES:
        return False
    return any(all(lines[i] == lines[i + p] for i in range(len(lines) - p)) for p in range(1, MAX_PERIOD + 1))


class RepetitionGuard:
    """Fed the reply as it is generated; says when to stop. Checks only when a line completes."""

    def __init__(self) -> None:
        self.text = ""
        self.stopped = False

    def feed(self, piece: str) -> bool:
        """Add ``piece``; True once the reply repeats (and from then on)."""
        self.text += piece
        if not self.stopped and "\n" in piece:
            self.stopped = repeating(self.text)
        return self.stopped
