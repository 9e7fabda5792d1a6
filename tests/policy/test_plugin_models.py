"""``pytest --llm4cov DESIGN --llm4cov-model ...`` end to end through the real plugin, in a subprocess."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import DESIGNS

from .conftest import reply
from .openai_server import ReplayServer

pytestmark = pytest.mark.simulator

SMALL = ("--llm4cov-n-ctx", "4096", "--llm4cov-max-tokens", "24", "--llm4cov-threads", "1")


@pytest.fixture
def project(pytester, build_cache, monkeypatch):
    monkeypatch.setenv("LLM4COV_CACHE_DIR", str(build_cache))
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    shutil.copytree(DESIGNS / "counter4", pytester.path / "designs" / "counter4",
                    ignore=shutil.ignore_patterns("reference"))
    return pytester


def run(project, *args):
    return project.runpytest_subprocess("--llm4cov", "designs/counter4", "-p", "no:cacheprovider", *args)


def outputs(project) -> tuple[dict, list[dict]]:
    out = project.path / "llm4cov-out"
    report = json.loads((out / "report.json").read_text())
    records = [json.loads(line) for line in (out / "runs" / "runlog.jsonl").read_text().splitlines()]
    return report, records


def check_garbage(project, result, backend: str) -> None:
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*coverage 0.0% below target 100% after 4 steps (step budget spent)*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    report, records = outputs(project)
    (item,) = report["items"] if "items" in report else report["results"]
    assert item["policy"] == backend
    assert item["steps"] == 4
    assert len(records) == 4
    for r in records:
        assert r["policy"]["name"] == backend
        assert r["proposal"]["raw_text"]  # what the model wrote, verbatim
        assert r["observation"]["outcome"] == "testbench_error"
        assert r["observation"]["error"] == r["proposal"]["parse_error"]


def test_tiny_gguf_end_to_end(project, tiny_gguf):
    result = run(project, "--llm4cov-model", str(tiny_gguf), "--llm4cov-policy", "model", *SMALL)
    check_garbage(project, result, "llama-cpp")


def test_tiny_transformers_dir_end_to_end(project, tiny_hf_dir):
    result = run(project, "--llm4cov-model", str(tiny_hf_dir), "--llm4cov-policy", "model", *SMALL)
    check_garbage(project, result, "transformers")


def test_hybrid_is_the_default_with_a_model_and_survives_garbage(pytester, build_cache, monkeypatch, tiny_gguf):
    """A random tiny model writes garbage scenarios; the built-in scaffold still runs, every reply is logged."""
    monkeypatch.setenv("LLM4COV_CACHE_DIR", str(build_cache))
    shutil.copytree(DESIGNS / "combo_lock", pytester.path / "designs" / "combo_lock",
                    ignore=shutil.ignore_patterns("reference"))
    result = pytester.runpytest_subprocess(
        "--llm4cov", "designs/combo_lock", "-p", "no:cacheprovider", "--llm4cov-model", str(tiny_gguf),
        "--llm4cov-iterations", "2", *SMALL,
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    report, records = outputs(pytester)
    (item,) = report["items"] if "items" in report else report["results"]
    assert item["policy"] == "hybrid"
    assert [r["policy"]["name"] for r in records] == ["hybrid", "hybrid"]
    assert records[0]["proposal"]["model_called"] is False  # the first attempt is the scaffold alone
    second = records[1]["proposal"]
    assert second["model_called"] is True and second["raw_text"]
    assert any(n.startswith("problem: ") for n in second["notes"])  # garbage is reported, not run
    assert [r["observation"]["outcome"] for r in records] == ["passed", "passed"]
    assert records[1]["policy"]["settings"]["max_tokens"] == 24
    assert item["score"] > 0.5


def test_openai_server_end_to_end_closes_coverage(project):
    server = ReplayServer([reply("counter4_1_missing_import.md"), reply("counter4_2_wrong_check.md"),
                           reply("counter4_3_fixed.md")])
    try:
        result = run(project, "--llm4cov-model", f"openai:{server.url}", "--llm4cov-model-name", "coder",
                     "--llm4cov-policy", "model")
    finally:
        server.close()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["counter4 * 3 100.0% 100.0% 100.0% 100.0% 100.0% * PASS *"])
    _report, records = outputs(project)
    assert [r["observation"]["outcome"] for r in records] == ["passed", "tests_failed", "passed"]
    assert {r["policy"]["settings"]["model"] for r in records} == {"coder"}
    assert len(server.requests) == 3


def test_a_broken_model_fails_items_with_one_line(project, tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_text("not a model")
    result = run(project, "--llm4cov-model", str(broken))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*{broken}: not a GGUF model file (it does not start with the GGUF magic bytes)"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_bad_model_option_is_a_usage_error(project):
    result = run(project, "--llm4cov-model", "openai:localhost:8000")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*expected openai:http://HOST:PORT/v1*"])
