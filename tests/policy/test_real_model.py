"""A real small instruct model (fetched with ../shared/fetch-model) through the real loop and simulator.

Marked ``model``: it needs the fetched weights (the test skips, naming the fetch command, when they are
absent) and a few minutes of CPU; ``.ci/run`` fetches the 0.5B and runs it. It checks the plumbing
with real text, not the model's skill: the loop completes, the run log holds what the model wrote,
and static repair fired wherever the raw text needed it (and left nothing it fixes behind).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import DESIGNS
from pytest_llm4cov.loop import run_loop
from pytest_llm4cov.response import parse_reply
from pytest_llm4cov.runlog import RunLogWriter, read_runlog

pytestmark = [pytest.mark.model, pytest.mark.simulator]

MODEL_FILE = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
#: What static repair rewrites: a handle assignment (`dut.x = 1`) and the cocotb 1.x `units=` keyword.
NEEDS_REPAIR = re.compile(r"^\s*dut(\.\w+)+(?<!\.value)\s*=(?!=)|\bunits\s*=", re.MULTILINE)


@pytest.fixture(scope="module")
def real_gguf() -> Path:
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python: pip install 'pytest-llm4cov[llm]'")
    folder = Path(os.environ.get("LLM4COV_MODEL_DIR") or Path.home() / ".cache" / "llm4cov" / "models")
    path = folder / MODEL_FILE
    if not path.is_file():
        pytest.skip(f"{path} not fetched: run ../shared/fetch-model qwen2.5-coder-0.5b")
    return path


def _design(name: str):
    from pytest_llm4cov.design import load_design

    return load_design(DESIGNS / name)


def _check_repair(record) -> None:
    """Where the model's code had what repair rewrites, repair fired, and the testbench run is free of it."""
    proposal = record.proposal
    code = proposal["raw_text"]
    if proposal.get("source") != "hybrid":
        code = parse_reply(code).code
    needed = NEEDS_REPAIR.search(code) is not None
    fixes = (proposal.get("repair") or {}).get("fixes") or []
    if needed:
        assert fixes, f"step {record.step}: the raw code needed repair but none was recorded"
        assert any(n.startswith("repaired: ") for n in record.observation["notes"])
    if fixes or proposal.get("source") == "hybrid":
        assert NEEDS_REPAIR.search(record.testbench) is None


def _run_two_steps(name: str, policy, evaluator, tmp_path):
    """Two loop steps of ``policy`` on a bundled design; the result and its run-log records."""
    log = RunLogWriter(tmp_path / "runlog.jsonl")
    try:
        result = run_loop(_design(name), policy, evaluator, iterations=2, seed=0, log=log)
    finally:
        policy.close()
    return result, list(read_runlog(tmp_path / "runlog.jsonl"))


def test_whole_module_mode_on_a_combinational_design(real_gguf, evaluator, tmp_path):
    from pytest_llm4cov.policy.llamacpp import LlamaCppPolicy

    policy = LlamaCppPolicy(real_gguf, n_ctx=8192, max_tokens=1536, threads=os.cpu_count())
    result, records = _run_two_steps("lzc32", policy, evaluator, tmp_path)
    assert len(records) == len(result.steps) >= 1
    for record in records:
        assert record.proposal["raw_text"].strip()
        assert record.proposal["usage"]["completion_tokens"] > 0
        if "parse_error" in record.proposal:
            assert record.observation["error"] == record.proposal["parse_error"]
        _check_repair(record)
    if len(result.steps) == 2:
        assert result.steps[1].proposal.info["usage"]["cached_tokens"] > 500  # system + task reused


def test_hybrid_mode_on_a_clocked_design(real_gguf, evaluator, tmp_path):
    from pytest_llm4cov.policy.hybrid import HybridPolicy
    from pytest_llm4cov.policy.llamacpp import LlamaCppPolicy

    policy = HybridPolicy(LlamaCppPolicy(real_gguf, n_ctx=8192, threads=os.cpu_count()), max_tokens=384)
    result, records = _run_two_steps("combo_lock", policy, evaluator, tmp_path)
    assert [r.proposal["model_called"] for r in records] == [False, True]
    model_step = records[1]
    assert model_step.proposal["raw_text"].strip()
    assert model_step.proposal["usage"]["completion_tokens"] > 0
    assert model_step.observation["outcome"] == "passed"  # the scaffold runs whatever the model wrote
    _check_repair(model_step)
    assert result.score >= result.steps[0].observation.score


def test_shipped_adapter_applies_to_its_base_and_writes_clean_scenarios(real_gguf, evaluator, tmp_path):
    """The adapter in pytest_llm4cov/trained/ is chosen for the 0.5B GGUF it was trained on, brings its
    card's prompt cap, and its scenarios run clean (the base's did in 1 of 10 steps; see the card)."""
    from pytest_llm4cov.adapters import choose_adapter, shipped
    from pytest_llm4cov.policy.hybrid import HybridPolicy
    from pytest_llm4cov.policy.llamacpp import LlamaCppPolicy
    from trainer.evaluate import ran_clean

    chosen, note = choose_adapter(real_gguf, None)
    assert chosen is not None, note
    card = next(a for a in shipped() if str(a.path) == chosen)
    policy = HybridPolicy(LlamaCppPolicy(real_gguf, n_ctx=8192, threads=os.cpu_count(), lora_path=chosen))
    assert policy.prompt_tokens == card.inference["hybrid_prompt_tokens"]
    result, records = _run_two_steps("combo_lock", policy, evaluator, tmp_path)
    assert records[1].proposal["model_called"]
    assert records[1].proposal["new_scenarios"]
    assert ran_clean(result.steps[1])


def test_whole_module_mode_applies_the_whole_module_student_and_it_grows_the_example(real_gguf, evaluator, tmp_path):
    """In whole-module mode the shipped student trained for it (wm4, its card names ``model``) is chosen over
    the hybrid one, and it writes the prompt's example grown as its teacher does: a run longer than the
    example's 20 cycles, the example's VALUES kept (the base copies the example; see the card's figures)."""
    from pytest_llm4cov.adapters import choose_adapter
    from pytest_llm4cov.policy.llamacpp import LlamaCppPolicy

    chosen, note = choose_adapter(real_gguf, None, "model")
    assert chosen is not None and chosen.endswith("-wm4.gguf"), note
    assert not choose_adapter(real_gguf, None, "hybrid")[0].endswith("-wm4.gguf")
    policy = LlamaCppPolicy(real_gguf, n_ctx=8192, max_tokens=1536, threads=os.cpu_count(), lora_path=chosen)
    log = RunLogWriter(tmp_path / "runlog.jsonl")
    try:
        result = run_loop(_design("barrel_shifter"), policy, evaluator, iterations=1, seed=0, log=log)
    finally:
        policy.close()
    (record,) = read_runlog(tmp_path / "runlog.jsonl")
    code = parse_reply(record.proposal["raw_text"]).code
    cycles = re.search(r"^CYCLES = (\d+)$", code, re.MULTILINE)
    assert cycles and int(cycles.group(1)) > 20, code
    assert "'shamt': [" in code and "def pick(" in code
    assert result.steps[0].observation.outcome.value == "passed", record.observation["error"]
