"""Stop a reply that has fallen into repeating itself, instead of paying for it up to the token limit.

Small models on CPU fall into loops: the shipped stage-0 adapter once wrote ``await tb.step(20000)`` until
its 4,096-token limit (301 s on 2 cores, for a scenario the harness then stopped at its step cap), and the
base 0.5B in whole-module mode writes the example testbench a second and third time. Once the reply ends in
one block of lines over and over (at least ``REPEAT_LINES`` lines and two whole copies), nothing useful is
coming: generation stops there and the reply counts as cut off (``FINISH_REPETITION``), so the parsers
treat it like one cut at the token limit.

A loop can also stay inside one line that never ends: the whole-module student wm4, on OpenTitan's
prim_onehot_check, wrote its test's docstring as "... with a reset half way, with a reset half way and a reset
half way and ..." until the 2,048-token limit, in all four steps. So the line being written is checked too:
once it ends in one phrase (``MIN_PHRASE``-``MAX_PHRASE`` characters, with a space in it) repeated over
``LOOP_CHARS`` characters and three copies at least, generation stops the same way. Long literals
(``0xffff...``, ``[0, 0, 0, ...]``) repeat a shorter unit or one without a space, and are left alone.

Stopping alone left wm4 with no testbench on prim_onehot_check: the loop was in the test's docstring, so
the body never came. A line loop inside a docstring or a comment loses nothing worth keeping, so
``resume_point`` cuts the loop off, closes the docstring (or ends the comment line) and gives the text the
model continues from (``ModelPolicy.complete``). A loop in code is not resumed: no closing is known there.
"""

from __future__ import annotations

import io
import re
import tokenize

#: Complete lines the repeating tail must span (two copies at least), and the longest block looked for.
REPEAT_LINES = 12
MAX_PERIOD = 64
#: The phrase loop in one line: the characters it must span, and the length of the repeated phrase.
LOOP_CHARS = 240
MIN_PHRASE = 8
MAX_PHRASE = 120
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


def looping_line(line: str) -> bool:
    """Does ``line`` end in one phrase of ``MIN_PHRASE``-``MAX_PHRASE`` characters, with whitespace in it, over
    at least ``LOOP_CHARS`` characters and three copies?"""
    return _phrase_period(line) is not None


def _phrase_period(line: str) -> int | None:
    """The length of the phrase ``line`` ends in over and over (see ``looping_line``), or None."""
    if len(line) < LOOP_CHARS:
        return None
    for period in range(1, MAX_PHRASE + 1):
        span = max(LOOP_CHARS, 3 * period)
        tail = line[-span:]
        if len(tail) == span and tail[:-period] == tail[period:]:
            # the shortest period found: a run of one short unit is a literal, not a phrase
            phrase = tail[-period:]
            return period if period >= MIN_PHRASE and any(c.isspace() for c in phrase) else None
    return None


#: What a phrase cut short ends in and reads better without: a separator, or one joining word after one.
_DANGLING = re.compile(r"[\s,;:-]+(?:(?:and|or|with|a|an|the|then|of|to|at|from|in|on|for)[\s,;:-]*)?$")


def resume_point(text: str) -> str | None:
    """The reply to continue from, when ``text`` (a reply the guard stopped) ends in a line that loops inside a
    docstring or a comment of its code: everything before the loop, the docstring closed or the comment line
    ended. None where the loop is elsewhere (code, a string, an open bracket, prose after the code block), where
    the closed code would not tokenize, or where the line does not loop."""
    start = text.rfind("\n") + 1
    line = text[start:]
    period = _phrase_period(line)
    if period is None:
        return None
    begin = len(line) - max(LOOP_CHARS, 3 * period)
    while begin > 0 and line[begin - 1] == line[begin - 1 + period]:
        begin -= 1
    head = line[:begin]
    if head and head[-1].isalnum() and line[begin].isalnum():
        head = re.sub(r"\w+$", "", head)  # the loop began inside a word: drop its start
    while _DANGLING.search(head):
        head = _DANGLING.sub("", head)
    fences = text.count("```", 0, start)
    if fences % 2 == 0 and fences:
        return None  # after the code block: prose, nothing to continue
    code = text[text.find("\n", text.rfind("```", 0, start)) + 1: start] if fences else text[:start]
    for quote in ('"""', "'''"):
        if (code + head).count(quote) % 2:
            if head.endswith((quote[0], "\\")):
                head += " "  # the closing quotes must not merge with a quote or be escaped
            ending = head + quote + "\n"
            return text[:start] + ending if _comment_or_docstring_ends(code + ending, docstring=True) else None
    ending = head + "\n"
    return text[:start] + ending if _comment_or_docstring_ends(code + ending, docstring=False) else None


def _comment_or_docstring_ends(code: str, *, docstring: bool) -> bool:
    """Does ``code`` tokenize to its end with no bracket or string left open, its last line a string statement
    (``docstring``) or ending in a comment?"""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):  # an open bracket or string, or broken indentation
        return False
    if any(tok.type == tokenize.ERRORTOKEN for tok in tokens):
        return False  # e.g. a stray quote: Python 3.11 reads on past it
    last_row = code.count("\n")
    last = [tok for tok in tokens if tok.end[0] == last_row and tok.type not in (tokenize.NL, tokenize.NEWLINE)]
    if docstring:
        return bool(last) and last[-1].type == tokenize.STRING and all(
            tok.type in (tokenize.STRING, tokenize.INDENT, tokenize.DEDENT) for tok in last
        )
    return bool(last) and last[-1].type == tokenize.COMMENT


class RepetitionGuard:
    """Fed the reply as it is generated; says when to stop. Checks the lines when one completes, and the line
    being written while it grows."""

    def __init__(self) -> None:
        self.text = ""
        self.stopped = False

    def feed(self, piece: str) -> bool:
        """Add ``piece``; True once the reply repeats (and from then on)."""
        self.text += piece
        if not self.stopped and piece:
            if "\n" in piece:
                self.stopped = repeating(self.text)
            else:
                self.stopped = looping_line(self.text[self.text.rfind("\n") + 1:])
        return self.stopped
