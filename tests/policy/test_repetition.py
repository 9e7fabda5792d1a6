"""The repetition guard: a reply looping over a block of lines is stopped; ordinary code is not."""

from __future__ import annotations

import warnings

from pytest_llm4cov.policy.repetition import (
    LOOP_CHARS,
    REPEAT_LINES,
    RepetitionGuard,
    looping_line,
    repeating,
    resume_point,
)


def test_a_line_or_a_short_block_over_and_over_repeats():
    head = "```python\nasync def scenario_x(tb, dut):\n    await tb.reset()\n"
    assert repeating(head + "    await tb.step(20000)\n" * REPEAT_LINES)
    assert repeating(head + '    tb.set("a", 1)\n    await tb.step(2)\n' * (REPEAT_LINES // 2))
    assert not repeating(head + "    await tb.step(20000)\n" * (REPEAT_LINES - 1))
    # the unfinished last line is not counted yet
    assert not repeating(head + "    await tb.step(20000)\n" * (REPEAT_LINES - 1) + "    await tb.step(200")


def test_a_whole_testbench_written_twice_repeats():
    """The base 0.5B in whole-module mode wrote the example testbench again until the token limit."""
    block = "```python\nimport cocotb\n\n\n@cocotb.test()\nasync def test_x(dut):\n" + "".join(
        f"    dut.in{i}.value = {i}\n" for i in range(20)) + "```\n\n"
    assert not repeating(block + block[: len(block) // 2])
    assert repeating(block + block)


def test_ordinary_code_does_not_repeat():
    press = '    tb.set("keys", 1 << {})\n    await tb.step(24)\n    tb.set("keys", 0)\n    await tb.step(24)\n'
    code = "".join(press.format(k) for k in (4, 7, 1, 9))
    assert not repeating(code)
    assert not repeating("\n" * 40 + "x = 1\n")  # blank lines are not a block


def test_the_guard_checks_as_lines_complete():
    guard = RepetitionGuard()
    fed = [guard.feed(p) for p in ["await tb.", "step(1)\n"] * REPEAT_LINES]
    assert fed.index(True) == 2 * REPEAT_LINES - 1
    assert guard.stopped
    assert guard.feed("more") is True


def test_a_phrase_looping_inside_one_line_is_stopped():
    """wm4 on prim_onehot_check: a docstring that never ends, one phrase over and over, to the token limit."""
    start = '    """Clock, reset, then CYCLES cycles of inputs from VALUES, with a reset half way, '
    loop = "with a reset half way and a reset half way and a reset half way, "
    assert looping_line(start + loop * 4)
    assert not looping_line(start + loop * 2)  # two copies are not a loop yet
    guard = RepetitionGuard()
    text = "```python\nimport cocotb\n" + start + loop * 20
    stops = [i for i in range(0, len(text), 5) if guard.feed(text[i:i + 5])]
    assert stops and stops[0] < len("```python\nimport cocotb\n" + start + loop * 5)


def test_long_literals_and_prose_in_one_line_are_not_loops():
    assert not looping_line("    dut.data.value = 0x" + "f" * 400)  # one character repeated
    assert not looping_line("    MEM = [" + "0, " * 150 + "0]")  # a short unit
    assert not looping_line("    KEY = 0x" + "deadbeef" * 40)  # a phrase without a space
    words = " ".join(f"word{i}" for i in range(80))
    assert not looping_line("    # " + words)  # long, and no phrase repeats
    assert not looping_line("x" * (LOOP_CHARS - 1))


HEAD = "```python\nimport cocotb\n\n\n@cocotb.test()\nasync def test_values(dut):\n"
DOC = '    """Clock, reset, then CYCLES cycles of inputs from VALUES, with a reset half way, '
LOOP = "with a reset half way and a reset half way and a reset half way, "


def stopped(text: str) -> str:
    """What the guard lets through of ``text``: generation stops where it says so."""
    guard = RepetitionGuard()
    for i in range(0, len(text), 4):
        if guard.feed(text[i:i + 4]):
            break
    return guard.text


def test_a_docstring_that_loops_is_closed_before_the_loop():
    """wm4 on prim_onehot_check: continue from the docstring's sensible start, closed, on a new line."""
    text = stopped(HEAD + DOC + LOOP * 20)
    assert resume_point(text) == HEAD + '    """Clock, reset, then CYCLES cycles of inputs from VALUES"""\n'
    compile(resume_point(text).removeprefix("```python\n") + "    pass\n", "tb", "exec")


def test_a_docstring_opened_on_an_earlier_line_or_with_single_quotes_is_closed_with_its_quotes():
    text = stopped(HEAD + "    \'\'\'\n    Drive the inputs, " + LOOP * 20)
    assert resume_point(text).endswith("\n    Drive the inputs\'\'\'\n")


def test_a_comment_that_loops_ends_its_line():
    text = stopped(HEAD + "    dut.a.value = 1  # hold it, " + LOOP * 20)
    assert resume_point(text) == HEAD + "    dut.a.value = 1  # hold it\n"


def test_a_loop_in_code_or_a_line_that_does_not_loop_has_no_resume_point():
    assert resume_point(stopped(HEAD + '    dut._log.info("' + LOOP * 20)) is None  # a string, not a docstring
    assert resume_point(stopped(HEAD + "    x = [" + "a + b, c + d, " * 60)) is None
    assert resume_point(HEAD + DOC + LOOP * 2) is None  # two copies: no loop
    assert resume_point(stopped(HEAD + "    await tb.step(1)\n" * 20)) is None  # a block of lines, not one line


def test_no_resume_in_a_string_an_open_bracket_or_prose_after_the_code():
    """Only a docstring or comment of the code is continued: closing anything else would not be Python."""
    assert resume_point(stopped(HEAD + '    assert dut.q.value == 0, "case #3: ' + LOOP * 20)) is None
    assert resume_point(stopped(HEAD + '    msg = f"step #{i}: ' + LOOP * 20)) is None
    assert resume_point(stopped(HEAD + '    dut._log.info(f"""Value {x}, ' + LOOP * 20)) is None
    after = HEAD + "    pass\n```\n\nThis test drives signal #3, "
    assert resume_point(stopped(after + LOOP * 20)) is None


def test_the_closing_quotes_never_merge_with_a_quote_or_a_backslash():
    for text in (HEAD + '    """Drive the "enable" ' + '"and then the enable" ' * 20,
                 HEAD + '    """Ends in a backslash \\' + " " + LOOP * 20):
        point = resume_point(stopped(text))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a backslash before a space: an invalid escape (a warning), still valid
            compile(point.removeprefix("```python\n") + "    pass\n", "tb", "exec")
