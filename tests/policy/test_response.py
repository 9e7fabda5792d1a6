"""Reply parsing: the testbench is found wherever the contract was half kept, and garbage never crashes."""

from __future__ import annotations

import pytest

from pytest_llm4cov.response import before_the_cut, check_module, extract_code, fenced_blocks, parse_reply

GOOD = '''import cocotb
from cocotb.triggers import Timer


@cocotb.test()
async def test_it(dut):
    await Timer(1, unit="ns")
'''


def fence(code: str, lang: str = "python") -> str:
    return f"```{lang}\n{code.rstrip()}\n```\n"


def test_one_fenced_block_with_prose_around():
    parsed = parse_reply("Here is the testbench:\n\n" + fence(GOOD) + "\nIt toggles everything.")
    assert parsed.ok, parsed.error
    assert parsed.code == GOOD.rstrip("\n")
    assert (parsed.how, parsed.blocks) == ("fenced", 1)


def test_several_blocks_take_the_one_with_the_cocotb_test():
    reply = fence("pip install cocotb", "bash") + fence(GOOD) + fence("def helper():\n    return 1\n")
    parsed = parse_reply(reply)
    assert parsed.ok
    assert "@cocotb.test()" in parsed.code
    assert parsed.blocks == 3


def test_missing_closing_fence_is_tolerated():
    parsed = parse_reply("```python\n" + GOOD)
    assert parsed.ok, parsed.error
    assert parsed.how == "unclosed"


def test_truncated_reply_names_the_token_limit():
    cut = "```python\n" + GOOD + "\n@cocotb.test()\nasync def test_more(dut):\n    dut.a.value = ("
    parsed = parse_reply(cut, truncated=True, max_tokens=512)
    assert not parsed.ok
    assert "cut off at the 512-token limit" in parsed.error
    assert "write a shorter testbench" in parsed.error


def test_reply_stopped_for_repetition_says_so_not_the_token_limit():
    """The repetition guard stops a looping reply long before the limit: "write shorter" would mislead."""
    cut = "```python\n" + GOOD + "\n@cocotb.test()\nasync def test_more(dut):\n    dut.a.value = ("
    parsed = parse_reply(cut, truncated=True, max_tokens=2048, repeated=True)
    assert parsed.error.startswith("the reply repeated the same lines over and over and was stopped before the ")
    assert "write each part once" in parsed.error
    assert "2048" not in parsed.error
    assert "write each part once" in parse_reply("x " * 50 + "\n", truncated=True, repeated=True).error


def test_a_testbench_cut_mid_code_keeps_the_complete_tests_before_the_cut():
    cut = GOOD + "\n\n@cocotb.test()\nasync def test_more(dut):\n    for i in range(3):\n        dut.a.value = ("
    code, note = before_the_cut(cut, max_tokens=512)
    assert code == GOOD
    assert check_module(code) is None
    assert note == (
        "the reply was cut off at the 512-token limit inside the code: ran its first 7 lines and dropped the 4 "
        "after them, which were not complete Python ('(' was never closed at line 13: `dut.a.value = (`): "
        "write a shorter testbench"
    )


def test_a_cut_inside_a_test_keeps_its_complete_statements_and_no_empty_block():
    cut = GOOD + "    for i in range(3):\n        if i ==\n"
    code, note = before_the_cut(cut, repeated=True)
    assert code == GOOD  # the `for` and `if` lost their bodies, so both go
    assert note.startswith("the reply repeated the same lines over and over and was stopped inside the code")
    assert note.endswith("write each part once")


def test_a_line_the_repair_makes_valid_is_not_taken_for_the_cut():
    """A Verilog literal (`8'hFF`) does not parse, but the static repair that follows rewrites it: the cut is
    at the half-written last line, not at the literal with everything after it."""
    from pytest_llm4cov.repair import fix_verilog_literals, verilog_literals_as_python

    middle = "    dut.a.value = 8'hFF\n    await Timer(2, unit=\"ns\")\n"
    cut = GOOD + middle + "\n@cocotb.test()\nasync def test_more(dut):\n    dut.a.value = ("
    code, note = before_the_cut(cut, rewrite=verilog_literals_as_python)
    assert code == GOOD + middle
    assert "ran its first 9 lines and dropped the 3 after them" in note
    assert check_module(fix_verilog_literals(code)[0]) is None
    assert before_the_cut(GOOD + middle, rewrite=verilog_literals_as_python) is None  # nothing cut: repair's work


def test_the_note_names_the_first_syntax_error_the_cut_dropped():
    """A typo before the cut drops everything from it: the model is told where, not only to write less."""
    cut = GOOD + "    x = = 1\n    await Timer(2, unit=\"ns\")\n\n@cocotb.test()\nasync def test_more(dut):\n    x = ("
    code, note = before_the_cut(cut)
    assert code == GOOD
    assert "(invalid syntax at line 8: `x = = 1`)" in note


@pytest.mark.parametrize("exit_", ["        if dut.done.value:", "        n +=", "        await Timer(1, unit="])
def test_a_while_loop_whose_exit_was_cut_off_is_dropped_not_run_forever(exit_):
    loop = "    n = 0\n    while True:\n        await Timer(1, unit=\"ns\")\n"
    code, _ = before_the_cut(GOOD + loop + exit_)
    assert code == GOOD + "    n = 0\n"
    assert "while" not in code


def test_a_complete_while_loop_before_the_cut_is_kept():
    loop = (
        "    while True:\n        await Timer(1, unit=\"ns\")\n        # done?\n        if dut.done.value:\n"
        "            break\n"
    )
    code, _ = before_the_cut(GOOD + loop + "    assert dut.count.value == (")
    assert code == GOOD + loop


def test_a_long_cut_reply_is_searched_in_few_parses(monkeypatch):
    """~60,000 characters: the search starts at the first syntax error and stops at the first `async` line,
    rather than parsing every prefix (seconds per reply on a busy machine)."""
    from pytest_llm4cov import response

    calls = []
    real = response._tree
    monkeypatch.setattr(response, "_tree", lambda code: calls.append(1) or real(code))
    steps = "".join(f"    dut.a.value = {i}  # the step that sets {i}\n    dut.b.value = 0\n" for i in range(1500))
    helper_first = "import cocotb\nfrom cocotb.triggers import Timer\n\nasync def drive(dut):\n" + steps
    looping = GOOD + "    vectors = [\n" + "        (1, 2, 3),  # a vector\n" * 1500
    assert before_the_cut(helper_first + "\n@cocotb.test()\nasync def t(dut):\n    x = (") is None
    assert before_the_cut(looping)[0] == GOOD
    assert len(calls) < 10


@pytest.mark.parametrize(
    "code",
    [
        GOOD,  # parses: nothing to take
        "import cocotb\n@cocotb.test()\nasync def t(dut):\n    x = (",  # no complete test before the cut
        "import cocotb\n\n\ndef helper():\n    return 1\n\nx = (",  # complete, but no cocotb test
        "@cocotb.test()\ndef t(dut):\n    pass\n\nx = (",  # a plain def is not a cocotb 2 test
    ],
)
def test_nothing_is_taken_when_no_cocotb_test_comes_before_the_cut(code):
    assert before_the_cut(code) is None


def test_unfenced_python_is_accepted():
    parsed = parse_reply(GOOD)
    assert parsed.ok
    assert parsed.how == "unfenced"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("", "the reply was empty"),
        ("   \n\t", "the reply was empty"),
        (None, "the reply was empty"),
        ("I cannot help with that.", "no ```python code block in the reply"),
        ("\x00\x01\x02 garbage \ufffd" * 50, "no ```python code block"),
        ("```python\n```", "the ```python block in the reply is empty"),
        ("<think>I should write a test", "inside <think>"),
        (fence("import cocotb\nx = (1,\n"), "not valid Python: '(' was never closed at line 2"),
        (fence("import cocotb\n\nasync def test_x(dut):\n    pass\n"), "no cocotb test found"),
        (fence("import cocotb\n\n@cocotb.test()\ndef test_x(dut):\n    pass\n"), "plain `def`"),
    ],
)
def test_rejections_say_precisely_why(reply, expected):
    parsed = parse_reply(reply)
    assert not parsed.ok
    assert expected in parsed.error


def test_think_section_is_dropped():
    parsed = parse_reply("<think>maybe ```python\nbroken(```</think>\n" + fence(GOOD))
    assert parsed.ok, parsed.error


def test_unimported_cocotb_names_are_named_with_the_fix():
    code = (
        "import cocotb\n\n@cocotb.test()\nasync def test_x(dut):\n    await RisingEdge(dut.clk)\n    await Timer(1)\n"
    )
    problem = check_module(code)
    assert problem == (
        "the testbench uses `RisingEdge`, `Timer` without importing it: add "
        "`from cocotb.triggers import RisingEdge; from cocotb.triggers import Timer`"
    )
    assert check_module("from cocotb.triggers import *\n" + code) is None  # a star import may bind anything
    missing_cocotb = "@cocotb.test()\nasync def test_x(dut):\n    pass\n"
    assert "add `import cocotb`" in check_module(missing_cocotb)


def test_locally_bound_names_are_not_flagged():
    code = (
        "import cocotb\n\ndef Clock(sig):\n    return sig\n\n@cocotb.test()\nasync def test_x(dut, Timer=None):\n"
        "    random = 4\n    Clock(random)\n"
    )
    assert check_module(code) is None


def test_endless_and_huge_output_never_crashes():
    endless = "```python\n" + "x = 1\n" * 200_000
    parsed = parse_reply(endless, truncated=True, max_tokens=4096)
    assert not parsed.ok
    assert len(parsed.code) <= 60_000
    deep = "```python\n" + "(" * 5000 + "\n```"
    assert not parse_reply(deep).ok
    assert not parse_reply("a" * 1_000_000).ok


def test_fences_with_tildes_and_longer_backticks():
    blocks = fenced_blocks("~~~py\nprint(1)\n~~~\n````python\nA\n```\nB\n````\n")
    assert [(b.lang, b.code, b.closed) for b in blocks] == [("py", "print(1)", True), ("python", "A\n```\nB", True)]
    assert extract_code("no code here") == ("", "none", 0)


def test_closing_fence_glued_to_the_last_line():
    parsed = parse_reply("```python\n" + GOOD.rstrip() + "```\nDone.")
    assert parsed.ok, parsed.error
    assert parsed.code.endswith('await Timer(1, unit="ns")')
