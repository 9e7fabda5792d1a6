"""A real small instruct model (fetched with ../shared/fetch-model) through the llama-cpp policy on counter4.

Marked ``model``: it needs the fetched weights and minutes of CPU. It checks the plumbing with real
text (a reply that parses or is rejected with a reason, the prompt cache at work), not the model's skill.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_llm4cov.loop import run_loop

pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.simulator]

MODEL_FILE = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


@pytest.fixture(scope="module")
def real_gguf() -> Path:
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python: pip install 'pytest-llm4cov[llm]'")
    folder = Path(os.environ.get("LLM4COV_MODEL_DIR") or Path.home() / ".cache" / "llm4cov" / "models")
    path = folder / MODEL_FILE
    if not path.is_file():
        pytest.skip(f"{path} not fetched: run ../shared/fetch-model qwen2.5-coder-0.5b")
    return path


def test_real_model_two_steps_on_counter4(real_gguf, counter4, evaluator):
    from pytest_llm4cov.policy.llamacpp import LlamaCppPolicy

    policy = LlamaCppPolicy(real_gguf, n_ctx=8192, max_tokens=1536)
    try:
        result = run_loop(counter4, policy, evaluator, iterations=2, seed=0)
    finally:
        policy.close()
    for step in result.steps:
        info = step.proposal.info
        assert step.proposal.raw_text.strip()
        assert info["usage"]["completion_tokens"] > 0
        if "parse_error" in info:
            assert step.observation.error == info["parse_error"]
    assert result.steps[-1].proposal.info["usage"]["cached_tokens"] > 1000  # system + task reused
