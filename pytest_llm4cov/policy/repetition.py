"""Stop a reply that has fallen into repeating itself, instead of paying for it up to the token limit.

Small models on CPU fall into loops: the shipped stage-0 adapter once wrote ``await tb.step(20000)`` until
its 4,096-token limit (301 s on 2 cores, for a scenario the harness then stopped at its step cap), and the
base 0.5B in whole-module mode writes the example testbench a second and third time. Once the reply ends in
one block of lines over and over (at least ``REPEAT_LINES`` lines and two whole copies), nothing useful is
coming: generation stops there and the reply counts as cut off (``FINISH_REPETITION``), so the parsers
treat it like one cut at the token limit.
"""

from __future__ import annotations

#: Complete lines the repeating tail must span (two copies at least), and the longest block looked for.
REPEAT_LINES = 12
MAX_PERIOD = 64
#: The finish reason of a reply stopped here (llama-cpp and transformers report "stop" or "length").
FINISH_REPETITION = "repetition"


def repeating(text: str) -> bool:
    """Do the complete non-blank lines of ``text`` end in a block of 1-``MAX_PERIOD`` lines repeated over at
    least ``REPEAT_LINES`` lines, with two whole copies of it at least?"""
    complete = text[: text.rfind("\n") + 1] if "\n" in text else ""
    lines = [ln.strip() for ln in complete.splitlines() if ln.strip()][-2 * MAX_PERIOD:]
    for period in range(1, min(MAX_PERIOD, len(lines) // 2) + 1):
        span = max(REPEAT_LINES, 2 * period)
        tail = lines[-span:]
        if len(tail) == span and all(tail[i] == tail[i + period] for i in range(span - period)):
            return True
    return False


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
