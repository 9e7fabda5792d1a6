"""Prompt -> reply -> parse -> evaluate, deterministically: recorded replies through the real loop and simulator."""

from __future__ import annotations

import pytest

from pytest_llm4cov.loop import run_loop
from pytest_llm4cov.observation import Outcome
from pytest_llm4cov.policy import get_policy
from pytest_llm4cov.policy.scripted import ScriptedPolicy
from pytest_llm4cov.prompt import PROMPT_VERSION
from pytest_llm4cov.runlog import RunLogWriter, read_runlog

from .conftest import REPLIES, reply

pytestmark = pytest.mark.simulator


def test_a_missing_import_is_repaired_and_the_repair_is_recorded(counter4, evaluator, tmp_path):
    policy = get_policy("scripted", replies_dir=REPLIES, max_tokens=2048)
    assert isinstance(policy, ScriptedPolicy)
    log = RunLogWriter(tmp_path / "runlog.jsonl")
    result = run_loop(counter4, policy, evaluator, iterations=4, seed=3, log=log)

    # Step 0 forgot an import: static repair adds it, so it runs; step 1 fails its own check and is
    # not kept; step 2 closes coverage.
    outcomes = [s.observation.outcome for s in result.steps]
    assert outcomes == [Outcome.PASSED, Outcome.TESTS_FAILED, Outcome.PASSED]
    assert result.stopped == "full coverage" and result.score == 1.0 and result.passed
    first = result.steps[0].observation
    fix = "repaired: added missing imports: from cocotb.triggers import RisingEdge"
    assert first.notes[0] == fix
    assert "from cocotb.triggers import RisingEdge" in result.steps[0].testbench.source

    # The next prompt shows the repaired testbench and says what the repair did.
    p1, p2 = policy.prompts[1], policy.prompts[2]
    assert [m["role"] for m in p1] == ["system", "user", "assistant", "user"]
    assert "from cocotb.triggers import RisingEdge" in p1[2]["content"]
    assert p1[3]["content"].startswith("Before the run, static repair of the testbench:\n- " + fix)
    assert "every test passed. Coverage:" in p1[3]["content"]
    assert p2[2:] == p1[2:]  # memoryless: step 1 failed, so step 2 sees the same best state
    assert policy.prompts[0][:2] == p1[:2] == p2[:2]  # the cacheable prefix never changes
    assert policy.seeds == [3000, 3001, 3002]

    records = list(read_runlog(tmp_path / "runlog.jsonl"))
    assert [r.step for r in records] == [0, 1, 2]
    assert records[0].proposal["raw_text"] == reply("counter4_1_missing_import.md")
    assert records[0].proposal["prompt_version"] == PROMPT_VERSION
    assert "parse_error" not in records[0].proposal
    repair = records[0].proposal["repair"]
    assert repair["unrepaired_error"] == (
        "the testbench uses `RisingEdge` without importing it: add `from cocotb.triggers import RisingEdge`"
    )
    assert "RisingEdge" not in repair["unrepaired"].split("@cocotb.test()")[0]
    assert records[0].observation["notes"][0] == fix
    assert records[2].policy["settings"]["prompt_version"] == PROMPT_VERSION
    assert [r.parent_step for r in records] == [None, 0, 0]


def test_a_failure_is_fed_back_and_fixed_in_the_next_step(counter4, evaluator):
    policy = ScriptedPolicy([reply("counter4_2_wrong_check.md"), reply("counter4_3_fixed.md")])
    result = run_loop(counter4, policy, evaluator, iterations=4, seed=3)
    assert [s.observation.outcome for s in result.steps] == [Outcome.TESTS_FAILED, Outcome.PASSED]
    assert result.score == 1.0
    p1 = policy.prompts[1]
    assert "Wrong: forgets that the 4-bit count wraps" in p1[2]["content"]
    assert "1 of 1 test failed." in p1[3]["content"]
    assert "count 0 != 16" in p1[3]["content"]
    assert "Fix the failure" in p1[3]["content"]
    assert "static repair" not in p1[3]["content"]  # nothing needed repair


def test_garbage_replies_are_survived_and_recorded(counter4, evaluator, tmp_path):
    garbage = [
        "",
        "\x00\x1b[31m ﯳ可视 garbage \ufffd",
        "```python\nimport cocotb\n@cocotb.test()\nasync def t(dut):\n    x = (",
        "```python\n" + "dut.a.value = 1\n" * 3000,
    ]
    policy = ScriptedPolicy(garbage, finish_reasons=["stop", "stop", "length", "length"], max_tokens=512)
    log = RunLogWriter(tmp_path / "runlog.jsonl")
    result = run_loop(counter4, policy, evaluator, iterations=4, log=log)
    assert [s.observation.outcome for s in result.steps] == [Outcome.TESTBENCH_ERROR] * 4
    errors = [s.observation.error for s in result.steps]
    assert errors[0].startswith("the reply was empty")
    assert errors[1].startswith("no ```python code block in the reply")
    assert errors[2].startswith("the reply was cut off at the 512-token limit before the ```python block was complete")
    assert "no cocotb test found" in errors[3]
    records = list(read_runlog(tmp_path / "runlog.jsonl"))
    assert [r.proposal["raw_text"] if r.proposal.get("raw_text") else "" for r in records] == garbage
    assert result.stopped == "step budget spent"


def test_a_reply_stopped_for_repetition_is_fed_back_as_such(counter4, evaluator):
    looping = "```python\nimport cocotb\n@cocotb.test()\nasync def t(dut):\n" + "    dut.en.value = (1\n" * 20
    policy = ScriptedPolicy([looping], finish_reasons=["repetition"], max_tokens=2048)
    result = run_loop(counter4, policy, evaluator, iterations=1)
    assert result.steps[0].observation.outcome is Outcome.TESTBENCH_ERROR
    assert result.steps[0].observation.error.startswith("the reply repeated the same lines over and over")


def test_a_reply_cut_off_mid_code_runs_the_tests_before_the_cut(counter4, evaluator, tmp_path):
    """wm4 and the 1.5B were cut off inside their code (the token limit, or a loop of `if cycle == ...` lines
    the guard stopped): the complete tests before the cut run, and the feedback says what was dropped."""
    cut = reply("counter4_3_fixed.md").split("```python\n")[1].split("```")[0]
    cut += "\n\n@cocotb.test()\nasync def test_more(dut):\n    for cycle in range(8):\n        if cycle =="
    policy = ScriptedPolicy(["```python\n" + cut], finish_reasons=["length"], max_tokens=2048)
    log = RunLogWriter(tmp_path / "runlog.jsonl")
    result = run_loop(counter4, policy, evaluator, iterations=1, log=log)
    (step,) = result.steps
    assert step.observation.outcome is Outcome.PASSED, step.observation.error
    assert [t.name for t in step.observation.tests] == ["test_counter"]
    assert step.observation.score > 0.5
    assert "test_more" not in step.testbench.source
    assert step.observation.notes[0].startswith(
        "repaired: the reply was cut off at the 2048-token limit inside the code: ran its first 31 lines and "
        "dropped the 4 after them, which were not complete Python (invalid syntax at line 37: `if cycle ==`)"
    )
    repair = next(read_runlog(tmp_path / "runlog.jsonl")).proposal["repair"]
    assert repair["unrepaired_error"].startswith("the reply was cut off at the 2048-token limit before the ```python")
    assert "async def test_more(dut)" in repair["unrepaired"]  # "clean before repair" still counts it a failure


def test_a_reply_looping_in_its_docstring_goes_on_past_the_loop(counter4, evaluator, tmp_path):
    """wm4 on prim_onehot_check wrote its test's docstring until the token limit: the reply is closed before the
    loop and continued (here by the next scripted reply), and the testbench it makes runs."""
    whole = reply("counter4_3_fixed.md")
    head, body = whole.split("async def test_counter(dut):\n")
    loop = "with a reset half way and a reset half way and a reset half way, "
    looping = head + 'async def test_counter(dut):\n    """Count, clear, wrap, then reset, ' + loop * 30
    policy = ScriptedPolicy([looping, body], finish_reasons=["repetition", "stop"], max_tokens=2048)
    log = RunLogWriter(tmp_path / "runlog.jsonl")
    result = run_loop(counter4, policy, evaluator, iterations=1, log=log)
    (step,) = result.steps
    assert step.observation.outcome is Outcome.PASSED, step.observation.error
    assert '    """Count, clear, wrap, then reset"""\n    cocotb.start_soon(' in step.testbench.source
    assert len(policy.prompts) == 2 and policy.prompts[1] == policy.prompts[0]  # the same chat, continued
    usage = next(read_runlog(tmp_path / "runlog.jsonl")).proposal["usage"]
    assert usage["resumed"] == 1 and usage["finish_reason"] == "stop"
    assert usage["completion_tokens"] == policy.count_tokens(looping) + policy.count_tokens(body)


def test_a_reply_that_keeps_looping_is_resumed_twice_then_reported_as_looping(counter4):
    from pytest_llm4cov.state import State

    loop = "with a reset half way and a reset half way and a reset half way, "
    looping = '```python\nimport cocotb\n\n\n@cocotb.test()\nasync def t(dut):\n    """Drive, ' + loop * 30
    again = "    # hold the inputs, " + loop * 30  # each continuation loops in a comment
    policy = ScriptedPolicy([looping, again], finish_reasons=["repetition"] * 2, max_tokens=8192)
    proposal = policy.propose(State(counter4), seed=0)
    assert len(policy.prompts) == 3  # the reply and two continuations
    assert proposal.info["usage"]["resumed"] == 2 and proposal.info["usage"]["finish_reason"] == "repetition"
    assert '    """Drive"""\n    # hold the inputs\n    # hold the inputs, with a reset' in proposal.testbench.source


def test_best_of_k_evaluates_each_candidate_and_keeps_the_best(counter4, evaluator, tmp_path):
    broken = "```python\nimport cocotb\n@cocotb.test()\nasync def t(dut):\n    await (\n```"
    replies = [reply("counter4_2_wrong_check.md"), reply("counter4_3_fixed.md"), broken]
    policy = ScriptedPolicy(replies, best_of=3)
    log = RunLogWriter(tmp_path / "runlog.jsonl")
    result = run_loop(counter4, policy, evaluator, iterations=1, seed=1, log=log)
    (step,) = result.steps
    assert [c.observation.outcome for c in step.candidates] == [
        Outcome.TESTS_FAILED, Outcome.PASSED, Outcome.TESTBENCH_ERROR
    ]
    assert step.observation.outcome is Outcome.PASSED
    assert step.seed == 1001
    assert policy.seeds == [1000, 1001, 1002]
    records = list(read_runlog(tmp_path / "runlog.jsonl"))
    assert [(r.step, r.proposal["candidate"], r.proposal["chosen"]) for r in records] == [
        (0, 0, False), (0, 1, True), (0, 2, False)
    ]
    assert [r.improved for r in records] == [False, True, False]
    assert {r.best_after for r in records} == {1.0}


def test_a_copy_of_the_example_that_lost_a_constant_gets_it_back_from_the_example(evaluator):
    # wm3, trained before prompt 8, copied prompt 9's example for cmd_parser but dropped `HOLD = ...`: a
    # NameError in 3 of 4 steps. The example the prompt showed defines it, so repair adds that definition.
    from conftest import DESIGNS
    from pytest_llm4cov.design import load_design
    from pytest_llm4cov.prompt import prompt_example

    design = load_design(DESIGNS / "watchdog")
    example = prompt_example(design)
    hold = next(ln for ln in example.splitlines() if ln.startswith("HOLD = "))
    policy = get_policy("scripted", replies=[f"```python\n{example.replace(hold + chr(10), '')}```"], max_tokens=2048)
    result = run_loop(design, policy, evaluator, iterations=1, seed=0)
    step = result.steps[0]
    assert step.observation.outcome is Outcome.PASSED, step.observation.log_tail[-1500:]
    assert "repaired: `HOLD` used but never defined: added the prompt example's definition" in step.observation.notes
    assert hold.split("#")[0].strip() in step.testbench.source


def test_a_reset_half_way_in_a_design_without_a_reset_is_removed_and_the_run_is_clean(evaluator):
    # wm4 (trained on designs that have a reset) wrote the example for barrel_shifter, combinational, with
    # `await reset()` half way: a NameError at cycle CYCLES // 2 in each of its 4 steps. Nothing to reset.
    from conftest import DESIGNS
    from pytest_llm4cov.design import load_design
    from pytest_llm4cov.prompt import prompt_example

    design = load_design(DESIGNS / "barrel_shifter")
    assert design.interface.reset is None
    loop = "    for cycle in range(CYCLES):\n"
    reply = prompt_example(design).replace(loop, loop + "        if cycle == CYCLES // 2:\n            await reset()\n")
    assert "await reset()" in reply
    policy = get_policy("scripted", replies=[f"```python\n{reply}```"], max_tokens=2048)
    step = run_loop(design, policy, evaluator, iterations=1, seed=0).steps[0]
    assert step.observation.outcome is Outcome.PASSED, step.observation.log_tail[-1500:]
    assert any(n.startswith("repaired: line ") and "removed the call" in n for n in step.observation.notes)
    assert "reset" not in step.testbench.source.split("async def test_values")[1]


def test_no_resume_without_tokens_left_or_where_the_backend_cannot_continue(counter4):
    from pytest_llm4cov.policy.model import MIN_RESUME_TOKENS, Sampling

    loop = "with a reset half way and a reset half way and a reset half way, "
    looping = '```python\nimport cocotb\n\n\n@cocotb.test()\nasync def t(dut):\n    """Drive, ' + loop * 30
    policy = ScriptedPolicy([looping, "    pass\n```"], finish_reasons=["repetition"])
    used = policy.count_tokens(looping)
    text, usage, _ = policy.complete([], Sampling(max_tokens=used + MIN_RESUME_TOKENS - 1))
    assert usage.resumed == 0 and text == looping and len(policy.prompts) == 1

    class NoContinuation(ScriptedPolicy):
        continues_replies = False  # as an openai: server, which takes no reply beginning

    policy = NoContinuation([looping, "    pass\n```"], finish_reasons=["repetition"])
    text, usage, _ = policy.complete([], Sampling(max_tokens=8192))
    assert usage.resumed == 0 and usage.finish_reason == "repetition" and len(policy.prompts) == 1
