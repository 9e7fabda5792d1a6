"""A resumed model run goes on with the decoding settings it was started with (``resume.resumed_policy``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.policy.hybrid import DEFAULT_MAX_TOKENS, HybridPolicy
from pytest_llm4cov.policy.model import ModelPolicy
from pytest_llm4cov.resume import ResumePoint, resumed_policy


def point(policy: dict) -> ResumePoint:
    return ResumePoint(
        runlog=Path("runs.jsonl"), run_id="r1", steps_done=2, base_seed=0, policy=policy, best_step=0,
        best_testbench=None, best_observation=None,
    )


def test_a_hybrid_run_goes_on_with_its_logged_cap_and_sampling(tiny_gguf):
    logged = point({"name": "hybrid", "settings": {"mode": "hybrid", "max_tokens": 700, "temperature": 0.3}})
    policy = resumed_policy(logged, str(tiny_gguf))
    try:
        assert isinstance(policy, HybridPolicy)
        assert policy.max_tokens == 700 and policy.model.sampling.temperature == 0.3
    finally:
        policy.close()


def test_a_hybrid_run_without_logged_settings_gets_the_hybrid_cap_not_the_whole_testbench_one(tiny_gguf):
    policy = resumed_policy(point({"name": "hybrid"}), str(tiny_gguf))
    try:
        assert isinstance(policy, HybridPolicy) and policy.max_tokens == DEFAULT_MAX_TOKENS
    finally:
        policy.close()


def test_another_policy_than_the_logged_one_takes_none_of_its_settings(tiny_gguf):
    logged = point({"name": "hybrid", "settings": {"max_tokens": 700, "temperature": 0.3}})
    policy = resumed_policy(logged, str(tiny_gguf), name="llama-cpp")
    try:
        assert isinstance(policy, ModelPolicy) and not isinstance(policy, HybridPolicy)
        assert policy.sampling.max_tokens != 700 and policy.sampling.temperature != 0.3
    finally:
        policy.close()


def test_a_model_run_needs_a_model_to_resume():
    with pytest.raises(Llm4covError, match="give --model to resume it"):
        resumed_policy(point({"name": "hybrid"}))
    assert resumed_policy(point({"name": "builtin"})).name == "builtin"
