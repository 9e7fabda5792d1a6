"""The llama-cpp and transformers backends on tiny local models: they write garbage, and the loop survives it."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.loop import run_loop
from pytest_llm4cov.observation import Outcome
from pytest_llm4cov.policy import get_policy
from pytest_llm4cov.policy.model import EXTRA_HINT, build_model_policy, resolve_model
from pytest_llm4cov.runlog import RunLogWriter, read_runlog
from pytest_llm4cov.state import State

# One thread: two xdist workers share two cores, and llama.cpp threads spin badly when oversubscribed.
SMALL = {"n_ctx": 4096, "max_tokens": 24, "threads": 1}


@pytest.fixture(scope="module")
def llama_policy(tiny_gguf):
    policy = get_policy("llama-cpp", model_path=str(tiny_gguf), **SMALL)
    yield policy
    policy.close()


@pytest.fixture(scope="module")
def hf_policy(tiny_hf_dir):
    policy = get_policy("transformers", model_dir=str(tiny_hf_dir), **SMALL)
    yield policy
    policy.close()


def check_garbage_run(result, records):
    assert len(result.steps) == 2
    for step, record in zip(result.steps, records, strict=False):
        assert step.observation.outcome is Outcome.TESTBENCH_ERROR
        assert step.observation.error == step.proposal.info["parse_error"]
        assert record.proposal["raw_text"] == step.proposal.raw_text
        assert record.observation["error"] == step.observation.error
        assert record.proposal["usage"]["completion_tokens"] > 0


@pytest.mark.simulator
def test_llama_cpp_loop_survives_a_garbage_model(llama_policy, counter4, evaluator, tmp_path):
    log = RunLogWriter(tmp_path / "runlog.jsonl")
    result = run_loop(counter4, llama_policy, evaluator, iterations=2, log=log)
    check_garbage_run(result, list(read_runlog(tmp_path / "runlog.jsonl")))
    settings = llama_policy.settings()
    assert settings["chat_template_from_gguf"] is True
    assert settings["architecture"] == "qwen2"
    # The second step's prompt starts with the first's system + task: llama.cpp kept them in its KV cache.
    usage = result.steps[1].proposal.info["usage"]
    prefix = sum(llama_policy.count_tokens(m["content"]) for m in llama_policy.render(State(counter4)).messages)
    assert usage["cached_tokens"] >= prefix


def test_llama_cpp_is_reproducible_by_seed(llama_policy, counter4):
    a = llama_policy.propose(State(counter4), seed=7).raw_text
    llama_policy.propose(State(counter4), seed=8)
    assert llama_policy.propose(State(counter4), seed=7).raw_text == a


@pytest.mark.simulator
def test_transformers_loop_survives_a_garbage_model(hf_policy, counter4, evaluator, tmp_path):
    log = RunLogWriter(tmp_path / "runlog.jsonl")
    result = run_loop(counter4, hf_policy, evaluator, iterations=2, log=log)
    check_garbage_run(result, list(read_runlog(tmp_path / "runlog.jsonl")))
    assert hf_policy.settings()["chat_template"] == "tokenizer"


def test_transformers_is_reproducible_by_seed(hf_policy, counter4):
    a = hf_policy.propose(State(counter4), seed=5).raw_text
    assert hf_policy.propose(State(counter4), seed=5).raw_text == a


@pytest.mark.filterwarnings("ignore::FutureWarning")  # peft calls a deprecated transformers API
def test_transformers_with_a_peft_adapter(tiny_hf_dir, counter4, tmp_path):
    peft = pytest.importorskip("peft", reason=f"needs peft: {EXTRA_HINT}")
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(str(tiny_hf_dir))
    lora = peft.get_peft_model(base, peft.LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"]))
    lora.save_pretrained(str(tmp_path / "adapter"))
    policy = build_model_policy(str(tiny_hf_dir), adapter=str(tmp_path / "adapter"), **SMALL)
    assert policy.settings()["adapter"] == str(tmp_path / "adapter")
    assert policy.propose(State(counter4), seed=1).info["usage"]["completion_tokens"] > 0


def test_a_truncated_gguf_is_one_line_naming_the_file(tiny_gguf, tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(tiny_gguf.read_bytes()[: 2 << 20])
    with pytest.raises(Llm4covError) as info:
        build_model_policy(str(broken), **SMALL)
    message = str(info.value)
    assert message.startswith(f"{broken}: llama.cpp could not load this GGUF model (a truncated or corrupt file")
    assert "\n" not in message


def test_not_a_gguf_file(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_text("<html>404 Not Found</html>")
    with pytest.raises(Llm4covError, match=r"model\.gguf: not a GGUF model file"):
        build_model_policy(str(fake), **SMALL)


def test_a_model_dir_without_weights(tmp_path, tiny_hf_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(Llm4covError, match=r"empty: not a Hugging Face model directory \(no config.json\)"):
        build_model_policy(str(empty))
    shutil.copy(tiny_hf_dir / "config.json", empty)
    with pytest.raises(Llm4covError, match=r"empty: no model weights \(expected model.safetensors"):
        build_model_policy(str(empty))


def test_a_missing_library_names_the_extra(tmp_path, monkeypatch):
    fake = tmp_path / "m.gguf"
    fake.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\x00" * 64)
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import llama_cpp now raises ImportError
    with pytest.raises(Llm4covError) as info:
        build_model_policy(str(fake))
    assert str(info.value).endswith(EXTRA_HINT)
    assert "'llama_cpp'" in str(info.value)


def test_resolve_model(tmp_path):
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    assert resolve_model("builtin") == ("builtin", {})
    assert resolve_model(str(tmp_path / "m.gguf")) == ("llama-cpp", {"model_path": str(tmp_path / "m.gguf")})
    assert resolve_model(str(tmp_path)) == ("transformers", {"model_dir": str(tmp_path)})
    assert resolve_model("openai:http://127.0.0.1:8000/v1") == ("openai", {"base_url": "http://127.0.0.1:8000/v1"})
    with pytest.raises(Llm4covError, match="no such GGUF model file"):
        resolve_model(str(tmp_path / "missing.gguf"))
    with pytest.raises(Llm4covError, match="expected openai:http"):
        resolve_model("openai:localhost:8000")
    with pytest.raises(Llm4covError, match="no such file or directory"):
        resolve_model("qwen-coder")


def test_policy_from_settings():
    from pytest_llm4cov.options import Settings
    from pytest_llm4cov.policy.model import policy_from_settings
    from pytest_llm4cov.policy.hybrid import HybridPolicy
    from pytest_llm4cov.policy.openai_api import OpenAIPolicy

    assert policy_from_settings(Settings()).name == "builtin"
    assert policy_from_settings(Settings(policy="random")).name == "random"
    hybrid = policy_from_settings(Settings(model="openai:http://127.0.0.1:9/v1", model_name="m"))
    assert isinstance(hybrid, HybridPolicy) and isinstance(hybrid.model, OpenAIPolicy)  # the default with a model
    assert hybrid.max_tokens == 512 and hybrid.settings()["mode"] == "hybrid"
    served = policy_from_settings(Settings(policy="model", model="openai:http://127.0.0.1:9/v1", model_name="m",
                                           best_of=3, temperature=0.2, top_p=0.95, max_tokens=2048, request_timeout=5))
    assert isinstance(served, OpenAIPolicy)
    assert (served.best_of, served.sampling.temperature, served.sampling.top_p) == (3, 0.2, 0.95)
    assert (served.sampling.max_tokens, served.timeout_s, served.model) == (2048, 5, "m")
    assert served.default_iterations == 4
    with pytest.raises(Llm4covError, match="--llm4cov-policy llama-cpp needs a model"):
        policy_from_settings(Settings(policy="llama-cpp"))
    with pytest.raises(Llm4covError, match="--llm4cov-policy hybrid needs a model"):
        policy_from_settings(Settings(policy="hybrid"))
    with pytest.raises(Llm4covError, match="both choose the testbench writer"):
        policy_from_settings(Settings(policy="random", model="openai:http://127.0.0.1:9/v1"))
    with pytest.raises(Llm4covError, match="does not match"):
        policy_from_settings(Settings(policy="transformers", model="openai:http://127.0.0.1:9/v1"))
    with pytest.raises(Llm4covError, match="leaves no room for a prompt"):
        policy_from_settings(Settings(model="openai:http://127.0.0.1:9/v1", n_ctx=4096, max_tokens=4000))


def test_policy_modules_import_no_model_library():
    code = (
        "import sys\n"
        "from pytest_llm4cov.policy import hf, llamacpp, model, openai_api, scripted\n"
        "from pytest_llm4cov.policy.base import get_policy\n"
        "get_policy('scripted', replies=['x'])\n"
        "print([m for m in ('torch', 'transformers', 'llama_cpp', 'peft') if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_llama_cpp_streams_the_same_reply_it_would_return_whole(llama_policy):
    """Streaming (so a looping reply can be stopped) samples exactly the tokens a plain call does."""
    from pytest_llm4cov.policy.model import Sampling

    messages = [{"role": "user", "content": "Write a cocotb test."}]
    sampling = Sampling(max_tokens=24, seed=3)
    text, usage = llama_policy._complete(messages, sampling)
    whole = llama_policy.llm.create_chat_completion(
        messages=messages, temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k,
        repeat_penalty=sampling.repeat_penalty, max_tokens=sampling.max_tokens, seed=sampling.seed,
    )
    assert text == whole["choices"][0]["message"]["content"]
    assert usage.finish_reason == whole["choices"][0]["finish_reason"]
    assert abs(usage.completion_tokens - whole["usage"]["completion_tokens"]) <= 2  # re-tokenized text
    assert abs(usage.prompt_tokens - whole["usage"]["prompt_tokens"]) <= 2


def test_transformers_stops_a_reply_once_it_repeats(hf_policy, monkeypatch):
    """The stopping criterion ends generation when the guard says the reply loops: here from the first token."""
    from pytest_llm4cov.policy import hf, repetition
    from pytest_llm4cov.policy.model import Sampling

    monkeypatch.setattr(hf.RepetitionGuard, "feed", lambda self, piece: setattr(self, "stopped", True) or True)
    text, usage = hf_policy._complete([{"role": "user", "content": "Write a cocotb test."}], Sampling(max_tokens=24))
    assert usage.finish_reason == repetition.FINISH_REPETITION
    assert usage.completion_tokens == 1


def test_llama_cpp_stops_a_reply_once_it_repeats(llama_policy, monkeypatch):
    """Generation ends where the guard says the reply loops (here at once), reported as ``repetition``."""
    from pytest_llm4cov.policy import llamacpp, repetition
    from pytest_llm4cov.policy.model import Sampling

    monkeypatch.setattr(llamacpp.RepetitionGuard, "feed", lambda self, piece: True)
    text, usage = llama_policy._complete([{"role": "user", "content": "Write a cocotb test."}], Sampling(max_tokens=24))
    assert usage.finish_reason == repetition.FINISH_REPETITION
    assert usage.truncated
    assert 0 < usage.completion_tokens <= 2


def test_llama_cpp_continues_a_reply_from_a_given_beginning(llama_policy):
    """A reply stopped in a looping docstring goes on from its start: the same chat, rendered as
    create_chat_completion renders it (so its KV cache is reused), with the reply's beginning appended."""
    from pytest_llm4cov.policy.model import Sampling

    assert llama_policy.continues_replies
    messages = [{"role": "user", "content": "Write a cocotb test."}]
    sampling = Sampling(max_tokens=8, seed=1)
    _, usage = llama_policy._complete(messages, sampling)
    chat, _, _ = llama_policy._chat_tokens(messages)
    assert llama_policy._cached_ids()[: len(chat)] == chat
    assert abs(usage.prompt_tokens - len(chat)) <= 1
    prefix = '```python\nimport cocotb\n\n\n@cocotb.test()\nasync def test_x(dut):\n    """Drive it."""\n'
    text, more = llama_policy._complete(messages, sampling, prefix=prefix)
    begun, _, _ = llama_policy._chat_tokens(messages, prefix)
    assert llama_policy._cached_ids()[: len(begun)] == begun  # the prefix was evaluated, then the new text
    assert not text.startswith(prefix)  # only what follows it is returned
    assert 0 < more.completion_tokens <= 8
    assert abs(more.prompt_tokens - len(chat)) <= 2  # the prefix counts as the reply's, not the prompt's
    assert more.cached_tokens >= len(chat) - 1  # the chat was not evaluated again


def test_transformers_continues_a_reply_from_a_given_beginning(hf_policy):
    from pytest_llm4cov.policy.model import Sampling

    assert hf_policy.continues_replies
    messages = [{"role": "user", "content": "Write a cocotb test."}]
    _, plain = hf_policy._complete(messages, Sampling(max_tokens=8, seed=1))
    prefix = "```python\nimport cocotb\n"
    text, more = hf_policy._complete(messages, Sampling(max_tokens=8, seed=1), prefix=prefix)
    assert 0 < more.completion_tokens <= 8
    assert abs(more.prompt_tokens - plain.prompt_tokens) <= 1
