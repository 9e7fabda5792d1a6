"""Export: the trained LoRA adapter becomes a GGUF adapter that the plugin's llama-cpp backend loads and runs."""

from __future__ import annotations

import json

import pytest

from conftest import DESIGNS
from pytest_llm4cov.design import load_design
from pytest_llm4cov.loop import run_loop
from pytest_llm4cov.policy import get_policy
from pytest_llm4cov.runlog import RunLogWriter, read_runlog
from trainer.export import ExportConfig, export_gguf, sha256_of

from .test_sft import tiny_set, trained_tiny


@pytest.fixture(scope="module")
def exported(trained_tiny, tiny_gguf, tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    return export_gguf(ExportConfig(train_dir=str(trained_tiny), base_gguf=str(tiny_gguf), out=str(out)))


def test_adapter_gguf_and_model_card(exported, tiny_gguf):
    assert exported.name == "adapter.gguf" and exported.read_bytes()[:4] == b"GGUF"
    card = json.loads((exported.parent / "model-card.json").read_text())
    assert card["base_gguf_sha256"] == sha256_of(tiny_gguf)
    assert card["files"]["adapter_gguf"]["checked_on"] == tiny_gguf.name
    assert card["training"]["optimizer_steps"] >= 12


@pytest.mark.simulator
def test_exported_adapter_runs_in_the_llama_cpp_backend(exported, tiny_gguf, evaluator, tmp_path):
    policy = get_policy("model", model=str(tiny_gguf), adapter=str(exported), max_tokens=24, n_ctx=8192, threads=1)
    try:
        log = tmp_path / "runlog.jsonl"
        run_loop(load_design(DESIGNS / "counter4"), policy, evaluator, iterations=1, seed=0, log=RunLogWriter(log))
    finally:
        policy.close()
    (record,) = list(read_runlog(log))
    assert record.policy["settings"]["adapter"] == str(exported)
    assert record.policy["settings"]["backend"] == "llama-cpp"
    assert record.proposal["usage"]["completion_tokens"] > 0  # the adapted model generated text


def test_export_without_training_output_is_one_clear_error(tmp_path):
    from pytest_llm4cov import Llm4covError

    with pytest.raises(Llm4covError, match="no adapter/ or model/ from the train stage"):
        export_gguf(ExportConfig(train_dir=str(tmp_path), out=str(tmp_path / "x")))


def test_shipped_adapter_applies_only_to_its_base(exported, tiny_gguf, tmp_path, monkeypatch):
    from pytest_llm4cov.adapters import choose_adapter, shipped
    from pytest_llm4cov.policy.hybrid import DEFAULT_PROMPT_TOKENS, HybridPolicy
    from pytest_llm4cov.policy.model import TEMPLATE_OVERHEAD, build_model_policy
    from trainer.export import ship

    monkeypatch.setenv("LLM4COV_ADAPTERS_DIR", str(tmp_path / "trained"))
    card = json.loads((exported.parent / "model-card.json").read_text())
    ship(exported, {**card, "inference": {"hybrid_prompt_tokens": 1200, "hybrid_max_tokens": 300}}, "tiny-student")
    (only,) = shipped()
    assert only.name == "tiny-student" and only.path.read_bytes() == exported.read_bytes()
    # the base it was trained on: applied without asking, with the prompt cap it was trained on
    policy = build_model_policy(str(tiny_gguf), max_tokens=8, n_ctx=2048, threads=1)
    try:
        assert policy.lora_path == only.path
        assert HybridPolicy(policy).prompt_tokens == 1200
        assert HybridPolicy(policy, prompt_tokens=1000).prompt_tokens == 1000  # asked for: asked wins
        assert HybridPolicy(policy).max_tokens == 300  # and the reply cap its examples' targets were cut at
        assert HybridPolicy(policy, max_tokens=64).max_tokens == 64
    finally:
        policy.close()
    from pytest_llm4cov.policy.base import get_policy

    for asked, cap in ((None, 300), (64, 64)):  # --llm4cov-max-tokens given or not
        hybrid = get_policy("hybrid", model=str(tiny_gguf), n_ctx=2048, threads=1, max_tokens=asked)
        try:
            assert hybrid.max_tokens == cap and hybrid.settings()["max_tokens"] == cap
        finally:
            hybrid.close()
    # the evaluation's base row is the base as it is, shipped adapter or not
    from trainer.evaluate import EvaluateConfig, row_policy

    base = row_policy("base-hybrid", EvaluateConfig(base_gguf=str(tiny_gguf), n_ctx=2048, threads=1))
    try:
        assert base.model.lora_path is None
    finally:
        base.close()
    # switched off on request
    policy = build_model_policy(str(tiny_gguf), adapter="none", max_tokens=8, n_ctx=2048, threads=1)
    try:
        assert policy.lora_path is None
        assert HybridPolicy(policy).prompt_tokens == min(DEFAULT_PROMPT_TOKENS, 2048 - 8 - TEMPLATE_OVERHEAD)
    finally:
        policy.close()
    # another file: not applied, and one line says why
    other = tmp_path / "other.gguf"
    other.write_bytes(tiny_gguf.read_bytes()[:1000] + b"x")
    chosen, note = choose_adapter(other, None)
    assert chosen is None and "other.gguf is not the base any shipped adapter was trained on" in note


def test_each_mode_gets_the_shipped_adapter_trained_for_it(exported, tiny_gguf, tmp_path, monkeypatch):
    """One base, two shipped students (scenarios, whole testbenches): each mode applies its own, and a
    mode no adapter was trained for applies none, saying so."""
    from pytest_llm4cov.adapters import choose_adapter
    from pytest_llm4cov.policy.base import get_policy
    from trainer.export import ship

    monkeypatch.setenv("LLM4COV_ADAPTERS_DIR", str(tmp_path / "trained"))
    card = json.loads((exported.parent / "model-card.json").read_text())
    assert set(card["modes"]) == {"hybrid", "model"}  # the train stage's modes (its default: both)
    hybrid_only = ship(exported, {**card, "modes": ["hybrid"]}, "a-hybrid")
    chosen, note = choose_adapter(tiny_gguf, None, "model")
    assert chosen is None and "trained for other modes than model ('a-hybrid' (hybrid))" in note
    whole = ship(exported, {**card, "modes": ["model"]}, "b-model")
    assert choose_adapter(tiny_gguf, None, "hybrid")[0] == str(hybrid_only)
    assert choose_adapter(tiny_gguf, None, "model")[0] == str(whole)
    from pytest_llm4cov.resume import ResumePoint, resumed_policy

    def resumed(name):  # a stopped run of that policy, resumed (``--llm4cov-resume``)
        point = ResumePoint(runlog=tmp_path / "runs.jsonl", run_id="r1", steps_done=1, base_seed=0,
                            policy={"name": name}, best_step=0, best_testbench=None, best_observation=None)
        return resumed_policy(point, str(tiny_gguf))

    builders = [lambda: get_policy("hybrid", model=str(tiny_gguf), n_ctx=2048, threads=1, max_tokens=8),
                lambda: get_policy("model", model=str(tiny_gguf), n_ctx=2048, threads=1, max_tokens=8),
                lambda: resumed("hybrid"), lambda: resumed("llama-cpp")]
    for build, expected in zip(builders, (hybrid_only, whole, hybrid_only, whole), strict=True):
        policy = build()  # as the plugin builds its policies, fresh or resumed
        try:
            backend = getattr(policy, "model", policy)
            assert backend.lora_path == expected
        finally:
            policy.close()
    any_mode = ship(exported, {**card, "modes": []}, "a-any")  # sorts first by name, serves both: the specific wins
    assert choose_adapter(tiny_gguf, None, "model")[0] == str(whole)
    assert choose_adapter(tiny_gguf, None, "hybrid")[0] == str(hybrid_only)
    assert choose_adapter(tiny_gguf, None)[0] == str(any_mode)  # no mode given: the first that matches


def test_merged_model_and_quantized_copy_load(trained_tiny, tiny_gguf, tmp_path):  # noqa: F811
    out = tmp_path / "merged"
    export_gguf(ExportConfig(train_dir=str(trained_tiny), base_gguf=str(tiny_gguf), merged=True, quantize="q8_0",
                             out=str(out)))
    card = json.loads((out / "model-card.json").read_text())
    assert set(card["files"]) == {"adapter_gguf", "merged_gguf", "quantized_gguf"}
    f16, q8 = out / "model-f16.gguf", out / "model-q8_0.gguf"
    assert q8.stat().st_size < f16.stat().st_size
    from trainer.export import check_loads

    check_loads(str(q8), None)  # the quantized file is a model llama-cpp runs


def test_full_finetune_exports_a_whole_model(tiny_set, tmp_path):  # noqa: F811
    from trainer.sft import SftConfig, train_sft

    train = tmp_path / "train"
    final = train_sft(SftConfig(examples=[str(tiny_set)], base="tiny", full_finetune=True, max_steps=2, grad_accum=1,
                                learning_rate=1e-3, threads=1, out=str(train)))
    assert final.name == "model" and (final / "config.json").is_file()
    gguf = export_gguf(ExportConfig(train_dir=str(train), out=str(tmp_path / "export")))
    assert gguf.name == "model-f16.gguf" and gguf.read_bytes()[:4] == b"GGUF"


def test_card_carries_the_prompt_and_reply_caps_the_examples_were_rendered_with(tmp_path):
    from pytest_llm4cov import Llm4covError
    from trainer.export import prompt_settings_of

    def examples(name, cap, reply=512):
        path = tmp_path / name
        path.write_text("")
        config = {"hybrid_prompt_tokens": cap, "hybrid_max_tokens": reply, "n_ctx": 16384}
        path.with_name(name + ".config.json").write_text(json.dumps({"config": config}))
        return str(path)

    a, b = examples("a.jsonl", 2048), examples("b.jsonl", 2048)
    assert prompt_settings_of([a, b, str(tmp_path / "made-elsewhere.jsonl")]) == {
        "hybrid_prompt_tokens": 2048, "hybrid_max_tokens": 512}  # what inference must repeat, nothing else
    with pytest.raises(Llm4covError, match="another example file"):
        prompt_settings_of([a, examples("c.jsonl", 4096)])
    with pytest.raises(Llm4covError, match="another example file"):
        prompt_settings_of([a, examples("d.jsonl", 2048, reply=1024)])
