"""A model's reply -> the testbench it holds, or a precise reason why it holds none.

The contract (see prompts/system.md) is one complete cocotb module in one fenced python block. Replies
break it in every way: no fence, an unclosed fence (cut at the token limit), several blocks, prose
around code, reasoning in ``<think>`` tags, garbage. ``parse_reply`` never raises; a rejection comes
with a message written for the next step's feedback, so the model can fix exactly that.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

#: Cap on what a rejected reply may put into a testbench (the run log keeps the raw reply whole).
MAX_CODE_CHARS = 60_000

How = Literal["fenced", "unclosed", "unfenced", "none"]

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([\w+.-]*)[^\n`]*$")
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_PY_LANGS = {"", "python", "py", "python3", "py3", "cocotb"}

# Names cocotb testbenches use most, and where they come from: an unimported one is a certain
# NameError that the model can fix from one line of feedback.
COCOTB_NAMES: dict[str, str] = {
    "cocotb": "import cocotb",
    "Clock": "from cocotb.clock import Clock",
    **{
        n: f"from cocotb.triggers import {n}"
        for n in (
            "RisingEdge", "FallingEdge", "Edge", "Timer", "ClockCycles", "ReadOnly", "ReadWrite",
            "NextTimeStep", "First", "Combine", "with_timeout", "Event",
        )
    },
    "random": "import random",
}


@dataclass(frozen=True)
class Block:
    lang: str
    code: str
    closed: bool


@dataclass(frozen=True)
class ParsedReply:
    """The code taken from a reply and, when it cannot be a cocotb test module, why."""

    code: str
    error: str | None
    how: How
    blocks: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


def fenced_blocks(text: str) -> list[Block]:
    """Every fenced code block, in order; a block left open at the end runs to the end of the text."""
    blocks: list[Block] = []
    fence: str | None = None
    lang = ""
    body: list[str] = []
    for line in text.splitlines():
        m = _FENCE.match(line)
        if fence is None:
            if m:
                fence, lang, body = m.group(1), m.group(2).lower(), []
            continue
        stripped = line.strip()
        if stripped and stripped[0] == fence[0] and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
            blocks.append(Block(lang, "\n".join(body), True))
            fence = None
            continue
        if line.rstrip().endswith(fence) and not line.rstrip().endswith(fence[0] * (len(fence) + 1)):
            # A closing fence glued to the last code line ("    return x```"): models do this.
            body.append(line.rstrip()[: -len(fence)])
            blocks.append(Block(lang, "\n".join(body), True))
            fence = None
            continue
        body.append(line)
    if fence is not None:
        blocks.append(Block(lang, "\n".join(body), False))
    return blocks


def _has_cocotb_test(code: str) -> bool:
    return "cocotb.test" in code or re.search(r"@\s*test\b", code) is not None


def extract_code(text: str) -> tuple[str, How, int]:
    """The testbench text of a reply: the fenced block with a cocotb test (the longest if several),
    else the longest python block, else the whole reply when it is bare Python."""
    blocks = fenced_blocks(text)
    if blocks:
        with_test = [b for b in blocks if _has_cocotb_test(b.code)]
        python = [b for b in blocks if b.lang in _PY_LANGS]
        pool = with_test or python or blocks
        best = max(pool, key=lambda b: (b.closed, len(b.code)))
        return best.code.strip("\n"), ("fenced" if best.closed else "unclosed"), len(blocks)
    stripped = text.strip()
    if stripped and _looks_like_python(stripped):
        return stripped, "unfenced", 0
    return "", "none", 0


def _looks_like_python(text: str) -> bool:
    return _parses(text) and ("import" in text or "def " in text)


def _excerpt(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def check_module(code: str) -> str | None:
    """Why ``code`` cannot be a cocotb 2 test module (a message for the model), or None if it can."""
    tree = _tree(code)
    if tree is None:
        problem = _syntax_problem(code)
        return f"the testbench is not valid Python: {problem[1] if problem else 'it does not parse'}"
    tests, plain = [], []
    for node in ast.walk(tree):
        if isinstance(node, (ast.AsyncFunctionDef, ast.FunctionDef)):
            if any(_is_cocotb_test(d) for d in node.decorator_list):
                (tests if isinstance(node, ast.AsyncFunctionDef) else plain).append(node.name)
    if not tests:
        if plain:
            return (
                f"`{plain[0]}` is decorated with @cocotb.test() but is a plain `def`: "
                "cocotb tests must be coroutines, `async def`"
            )
        return "no cocotb test found: decorate an `async def test_...(dut)` with @cocotb.test()"
    missing = _unimported(tree)
    if missing:
        fixes = "; ".join(COCOTB_NAMES[n] for n in missing)
        names = ", ".join(f"`{n}`" for n in missing)
        return f"the testbench uses {names} without importing it: add `{fixes}`"
    return None


def _is_cocotb_test(deco: ast.expr) -> bool:
    target = deco.func if isinstance(deco, ast.Call) else deco
    text = ast.unparse(target)
    return text in ("cocotb.test", "test")


def _unimported(tree: ast.Module) -> list[str]:
    """Known cocotb names that are read but never bound anywhere in the module."""
    bound: set[str] = set()
    loaded: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return []  # a star import could bind anything
                bound.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
    return sorted(n for n in loaded - bound if n in COCOTB_NAMES)


def _cut_phrases(max_tokens: int | None, repeated: bool) -> tuple[str, str]:
    """(what happened, what to do) for a reply the backend stopped early, as the feedback says it."""
    if repeated:
        return "the reply repeated the same lines over and over and was stopped", "write each part once"
    if max_tokens:
        return f"the reply was cut off at the {max_tokens}-token limit", "write a shorter testbench"
    return "the reply was cut off at the token limit", "write a shorter testbench"


def before_the_cut(
    code: str, *, max_tokens: int | None = None, repeated: bool = False, rewrite: Callable[[str], str] | None = None
) -> tuple[str, str] | None:
    """The part of a cut-off testbench that runs, and a note saying so; None when there is none to take.

    A reply stopped mid-code (the token limit, the repetition guard) fails as a whole on its last,
    half-written line, though the tests before it are complete. This keeps the longest run of whole
    lines from the start that parses and still holds an ``async`` cocotb test, so those tests run and
    measure coverage; the note tells the model what was dropped and why, with the first syntax error.
    Code that parses is left alone. ``rewrite``: a text fix the static repair applies next (Verilog
    literals): a line that parses after it is not taken for the cut. A ``while`` loop whose body the
    dropped lines went on with is dropped too: its exit may have been among them.
    """
    texts = [code, rewrite(code)] if rewrite else [code]
    problems = [_syntax_problem(text) for text in texts]
    if any(p is None for p in problems):
        return None
    lines = code.split("\n")
    # A head that parses ends before the first error (the parser reads the head's statements the same way in
    # the whole), and one that holds a test goes past the first line that says `async` after a test decorator.
    first_error = max(p[0] or len(lines) for p in problems if p is not None)
    decorator = _TEST_DECORATOR.search(code)
    if decorator is None:
        return None
    after = code.count("\n", 0, decorator.start())
    first_async = next((i for i in range(after, len(lines)) if "async" in lines[i]), len(lines))
    keep = min(len(lines) - 1, first_error - 1)
    while keep > first_async:
        head = "\n".join(lines[:keep]).rstrip()
        tree = _tree(head) or (_tree(rewrite(head)) if rewrite else None)
        if tree is None or not _async_tests(tree):
            keep -= 1
            continue
        kept = head.count("\n") + 1
        loop = _cut_loop(tree, lines[kept:])
        if loop is not None:
            keep = min(keep - 1, loop.lineno - 1)  # every head that ends inside this loop cuts it
            continue
        dropped = sum(1 for line in lines[kept:] if line.strip())
        cut_note, shorter = _cut_phrases(max_tokens, repeated)
        note = (
            f"{cut_note} inside the code: ran its first {kept} lines and dropped the {dropped} after them, "
            f"which were not complete Python ({problems[-1][1]}): {shorter}"
        )
        return head + "\n", note
    return None


#: Where a cocotb test's decorator can begin (``@cocotb.test()``, ``@test``): a test comes after it.
_TEST_DECORATOR = re.compile(r"^[ \t]*@[ \t(]*(?:cocotb[ \t]*\.[ \t]*)?test\b", re.MULTILINE)


def _cut_loop(tree: ast.Module, dropped: list[str]) -> ast.While | None:
    """A ``while`` loop the kept code ends in whose body the first dropped line went on with, if any."""
    following = next((line for line in dropped if line.strip() and not line.lstrip().startswith("#")), None)
    if following is None or not tree.body:
        return None
    indent = len(following) - len(following.lstrip())
    end = tree.body[-1].end_lineno
    loops = [n for n in ast.walk(tree) if isinstance(n, ast.While) and n.end_lineno == end and indent > n.col_offset]
    return min(loops, key=lambda n: n.lineno, default=None)


def _tree(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _parses(code: str) -> bool:
    return _tree(code) is not None


def _syntax_problem(code: str) -> tuple[int | None, str] | None:
    """(line, what is wrong there) of code that does not parse; None when it parses."""
    try:
        ast.parse(code)
    except SyntaxError as exc:
        line = (exc.text or "").strip()
        where = f" at line {exc.lineno}" if exc.lineno and f"line {exc.lineno}" not in exc.msg else ""
        return exc.lineno, f"{exc.msg}{where}" + (f": `{_excerpt(line, 120)}`" if line else "")
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, type(exc).__name__
    return None


def _async_tests(tree: ast.Module) -> list[str]:
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.AsyncFunctionDef) and any(_is_cocotb_test(d) for d in node.decorator_list)
    ]


def parse_reply(
    text: str | None, *, truncated: bool = False, max_tokens: int | None = None, repeated: bool = False
) -> ParsedReply:
    """The testbench in a model's reply, checked; never raises.

    Args:
        truncated: the backend stopped before the reply ended (the token limit, or the repetition guard).
        max_tokens: that limit, named in the message so the model can aim below it.
        repeated: it was the repetition guard (``policy/repetition.py``): the message says so, since a
            model told to write shorter would not know that it had looped.
    """
    if not text or not text.strip():
        return ParsedReply("", "the reply was empty: write the complete testbench in one ```python block", "none")
    text = text.replace("\r\n", "\n")
    cut_note, shorter = _cut_phrases(max_tokens, repeated)
    visible = _THINK.sub("", text)
    open_think = visible.lower().rfind("<think>")
    if open_think >= 0:
        visible = visible[:open_think]
        if not visible.strip():
            why = cut_note if truncated else "the reply ended"
            problem = f"{why} inside <think> before any code: think less, then write the testbench"
            return ParsedReply("", problem, "none")
    code, how, blocks = extract_code(visible)
    code = code[:MAX_CODE_CHARS]
    if how == "none":
        if truncated:
            advice = shorter if repeated else "write a shorter reply"
            return ParsedReply("", f"{cut_note} before any code block: {advice}", how)
        return ParsedReply(
            "",
            "no ```python code block in the reply (it began: "
            f"\"{_excerpt(visible or text)}\"): reply with the complete testbench in one ```python block",
            how,
        )
    if not code.strip():
        problem = "the ```python block in the reply is empty: write the complete testbench in it"
        return ParsedReply("", problem, how, blocks)
    problem = check_module(code)
    if problem and how == "unclosed" and truncated:
        problem = f"{cut_note} before the ```python block was complete: {shorter} ({problem})"
    elif problem and how == "unclosed":
        problem = f"the ```python block was never closed and {problem}"
    return ParsedReply(code, problem, how, blocks)
