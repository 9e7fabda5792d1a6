"""The collect stage: its resume manifest, the teacher it builds, and a model-free whole-module teacher."""

from __future__ import annotations

import json

import pytest

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.prompt import PROMPT_VERSION
from trainer.collect import finished_tasks, folder_key, teacher_policy


def test_manifest_keys_are_relative_so_a_committed_collection_resumes_in_another_clone(tmp_path, monkeypatch):
    old, new = tmp_path / "old-clone", tmp_path / "new-clone"
    for root in (old, new):
        (root / "designs" / "counter4").mkdir(parents=True)
    monkeypatch.chdir(old)
    assert folder_key(old / "designs" / "counter4") == "designs/counter4"
    assert folder_key(tmp_path / "elsewhere") == str((tmp_path / "elsewhere").resolve())  # outside: absolute
    out = old / "runlog.jsonl"
    out.with_name("runlog.jsonl.done.jsonl").write_text(
        json.dumps({"folder": "designs/counter4", "seed": 0}) + "\n"
        + json.dumps({"folder": str(old / "designs" / "gray_codec"), "seed": 1}) + "\n"  # as older logs wrote it
        + '{"folder": "designs/cut'  # a line cut by a stop: that task runs again
    )
    assert finished_tasks(out) == {("designs/counter4", 0), ("designs/gray_codec", 1)}
    moved = new / "runlog.jsonl"  # the same files, committed and checked out elsewhere
    moved.with_name("runlog.jsonl.done.jsonl").write_text(out.with_name("runlog.jsonl.done.jsonl").read_text())
    monkeypatch.chdir(new)
    assert ("designs/counter4", 0) in finished_tasks(moved)
    assert folder_key(new / "designs" / "counter4") == "designs/counter4"


def test_a_manifest_from_another_prompt_version_is_refused_with_what_to_delete(tmp_path):
    out = tmp_path / "runlog.jsonl"
    manifest = out.with_name("runlog.jsonl.done.jsonl")
    line = {"folder": "designs/counter4", "seed": 0, "prompt_version": PROMPT_VERSION}
    manifest.write_text(json.dumps(line) + "\n")
    assert finished_tasks(out) == {("designs/counter4", 0)}
    manifest.write_text(json.dumps({**line, "prompt_version": "llm4cov-prompt/1"}) + "\n")
    with pytest.raises(Llm4covError, match="llm4cov-prompt/1.*delete runlog.jsonl.done.jsonl and runlog.jsonl"):
        finished_tasks(out)


def test_a_model_teacher_is_the_model_named_without_a_shipped_adapter(tiny_gguf, tmp_path, monkeypatch):
    """A shipped adapter trained on the teacher's GGUF would apply by default in the plugin; a collection
    that names the base must sample the base."""
    from pytest_llm4cov.policy import get_policy
    from trainer.export import ship

    monkeypatch.setenv("LLM4COV_ADAPTERS_DIR", str(tmp_path / "trained"))
    from pytest_llm4cov.adapters import fingerprint

    adapter = tmp_path / "a.gguf"
    adapter.write_bytes(b"GGUF" + bytes(64))
    ship(adapter, {"base_fingerprint": fingerprint(tiny_gguf)}, "student")
    key, options = teacher_policy(str(tiny_gguf), "model", max_tokens=8, threads=1)
    assert options["adapter"] == "none"
    policy = get_policy(key, **options, n_ctx=2048)
    try:
        assert policy.lora_path is None
    finally:
        policy.close()
    assert teacher_policy(str(tiny_gguf), "hybrid", adapter="x.gguf")[1]["adapter"] == "x.gguf"


def test_teacher_temperature_reaches_the_model(tiny_gguf):
    """best-of-k from a peaked 0.5B gives the same text k times at the default 0.7: collect can sample hotter."""
    from pytest_llm4cov.policy import get_policy
    from trainer.collect import CollectConfig

    key, options = CollectConfig(teacher=str(tiny_gguf), mode="model", temperature=1.2, max_tokens=8, threads=1).policy()
    policy = get_policy(key, **options, n_ctx=2048)
    try:
        assert policy.settings()["temperature"] == 1.2
    finally:
        policy.close()
    assert "temperature" not in CollectConfig(teacher=str(tiny_gguf), mode="model").policy()[1]


@pytest.mark.simulator
def test_sketch_teacher_makes_one_whole_module_example_per_design_from_its_best_seed(tmp_path):
    """The whole-module teacher of cpu-0.5b-wm2.toml: seeds are its best-of-k, curation keeps the best clean one."""
    from conftest import DESIGNS
    from trainer.collect import CollectConfig, collect
    from trainer.curate import CurateConfig, curate
    from trainer.examples import read_examples

    log = collect(
        CollectConfig(teacher="sketch", mode="model", iterations=1, seeds=[0, 1, 2], corpus=[str(DESIGNS)],
                      designs=["counter4"], out=str(tmp_path / "runlog.jsonl"))
    )
    runs = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["policy"]["name"] for r in runs] == ["sketch"] * 3
    best = max(runs, key=lambda r: r["score"])
    assert best["observation"]["outcome"] == "passed"
    out = curate(CurateConfig(runlogs=[str(log)], corpus=[str(DESIGNS)], experts=False, modes=["model"],
                              out=str(tmp_path / "examples.jsonl")))
    (example,) = read_examples(out)
    assert example.kind == "start"
    assert example.target == f"```python\n{best['testbench'].strip()}\n```"
    assert example.score_after == best["score"]
