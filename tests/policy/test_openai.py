"""The HTTP backend against a local OpenAI-compatible server that replays recorded answers."""

from __future__ import annotations

import socket

import pytest

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.loop import run_loop
from pytest_llm4cov.observation import Outcome
from pytest_llm4cov.policy.openai_api import OpenAIPolicy, normalize_base_url
from pytest_llm4cov.state import State

from .conftest import reply
from .openai_server import Fail, ReplayServer, Slow

RECORDED = [reply("counter4_1_missing_import.md"), reply("counter4_2_wrong_check.md"), reply("counter4_3_fixed.md")]


@pytest.fixture
def no_proxy(monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def server(request, no_proxy):
    srv = ReplayServer(getattr(request, "param", RECORDED))
    yield srv
    srv.close()


def policy_for(srv: ReplayServer, **kw) -> OpenAIPolicy:
    kw.setdefault("backoff_s", 0.01)
    return OpenAIPolicy(srv.url, max_tokens=1024, **kw)


@pytest.mark.simulator
def test_loop_through_the_http_backend(server, counter4, evaluator):
    policy = policy_for(server, model="coder")
    result = run_loop(counter4, policy, evaluator, iterations=4, seed=2)
    assert [s.observation.outcome for s in result.steps] == [  # the first reply runs after static repair
        Outcome.PASSED, Outcome.TESTS_FAILED, Outcome.PASSED
    ]
    assert result.score == 1.0
    first, second = server.requests[0], server.requests[1]
    assert {k: first[k] for k in ("model", "temperature", "top_p", "max_tokens", "seed")} == {
        "model": "coder", "temperature": 0.7, "top_p": 0.8, "max_tokens": 1024, "seed": 2000
    }
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    usage = result.steps[2].proposal.info["usage"]
    assert usage == {
        "prompt_tokens": 100, "completion_tokens": 50, "finish_reason": "stop", "cached_tokens": 80, "resumed": 0
    }


@pytest.mark.parametrize("server", [[Fail(503), Fail(429), "```python\nx = 1\n```"]], indirect=True)
def test_retries_with_backoff_on_overload(server, counter4):
    policy = policy_for(server, model="m", retries=3)
    proposal = policy.propose(State(counter4), seed=0)
    assert proposal.raw_text == "```python\nx = 1\n```"
    assert proposal.info["parse_error"].startswith("no cocotb test found")
    assert len(server.requests) == 3
    assert policy.requests == 3


@pytest.mark.parametrize("server", [[Fail(400, "max_tokens is too large: 99999")]], indirect=True)
def test_a_client_error_fails_at_once_with_the_servers_message(server, counter4):
    policy = policy_for(server, model="m", retries=3)
    with pytest.raises(Llm4covError) as info:
        policy.propose(State(counter4), seed=0)
    assert str(info.value) == f"{server.url}/chat/completions: HTTP 400: max_tokens is too large: 99999"
    assert len(server.requests) == 1


@pytest.mark.parametrize("server", [[Slow(2.0, "late"), Slow(2.0, "late")]], indirect=True)
def test_a_slow_server_times_out_after_the_retries(server, counter4):
    policy = policy_for(server, model="m", retries=1, timeout_s=0.3)
    with pytest.raises(Llm4covError, match=r"no answer after 2 tries \(last: timed out\)"):
        policy.propose(State(counter4), seed=0)


def test_an_unreachable_server_is_one_line(counter4, no_proxy):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    policy = OpenAIPolicy(f"http://127.0.0.1:{port}/v1", model="m", retries=1, backoff_s=0.01)
    with pytest.raises(Llm4covError) as info:
        policy.propose(State(counter4), seed=0)
    assert f"127.0.0.1:{port}/v1/chat/completions: no answer after 2 tries" in str(info.value)
    assert "\n" not in str(info.value)


def test_model_name_comes_from_the_server_listing(server):
    policy = policy_for(server)
    assert policy.resolve_model() == "tiny-replay"
    assert policy.settings()["model"] == "tiny-replay"


def test_base_url_forms():
    assert normalize_base_url("http://h:1/v1/") == "http://h:1/v1"
    assert normalize_base_url("http://h:1/v1/chat/completions") == "http://h:1/v1"


def test_the_api_key_is_sent_but_never_logged(server, counter4, monkeypatch):
    monkeypatch.setenv("LLM4COV_API_KEY", "sk-test-secret")
    policy = policy_for(server, model="m")
    policy.propose(State(counter4), seed=0)
    assert server.headers[0]["Authorization"] == "Bearer sk-test-secret"
    assert "sk-test-secret" not in repr(policy.settings())
