"""`python -m pytest_llm4cov evaluate`: the human table, the JSON object, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import DESIGNS, TEST_DATA


def run_cli(*args: str, env_cache=None) -> subprocess.CompletedProcess:
    env = None
    if env_cache is not None:
        import os

        env = {**os.environ, "LLM4COV_CACHE_DIR": str(env_cache)}
    return subprocess.run(
        [sys.executable, "-m", "pytest_llm4cov", *args], capture_output=True, text=True, timeout=300, env=env
    )


@pytest.mark.simulator
def test_evaluate_json(build_cache):
    done = run_cli(
        "evaluate", str(DESIGNS / "counter4"), "--tb", str(TEST_DATA / "tb_counter4_no_enable.py"), "--json",
        env_cache=build_cache,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    for key in ("built", "passed", "timed_out", "score", "metrics", "uncovered", "cache_hit"):
        assert key in data
    assert data["built"] and data["passed"] and not data["timed_out"]
    assert data["metrics"]["branch"] == {"covered": 1, "total": 2, "ratio": 0.5}
    assert {"file", "line", "type", "source"} <= set(data["uncovered"][0])
    assert any(u["source"] == "end else if (en) begin" for u in data["uncovered"])


@pytest.mark.simulator
def test_evaluate_table_and_failing_testbench_exit_zero(build_cache, tmp_path):
    bad = tmp_path / "test_bad.py"
    bad.write_text("import cocotb\n@cocotb.test()\nasync def t(dut):\n    assert False, 'nope'\n")
    done = run_cli("evaluate", str(DESIGNS / "counter4" / "counter4.v"), "--tb", str(bad), env_cache=build_cache)
    assert done.returncode == 0, done.stderr
    assert "outcome: tests_failed" in done.stdout
    assert "score" in done.stdout and "toggle" in done.stdout


def test_unparsable_rtl_is_one_line_exit_2(tmp_path):
    tb = tmp_path / "test_x.py"
    tb.write_text("")
    done = run_cli("evaluate", str(TEST_DATA / "broken.v"), "--tb", str(tb))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "broken.v:2: expected ';'" in done.stderr


def test_missing_testbench_file_is_named(tmp_path):
    done = run_cli("evaluate", str(DESIGNS / "counter4"), "--tb", str(tmp_path / "nope.py"))
    assert done.returncode == 2
    assert "nope.py: cannot read the testbench" in done.stderr


def test_bad_timeout_rejected_at_parse_time():
    done = run_cli("evaluate", "x.v", "--tb", "t.py", "--timeout", "-1")
    assert done.returncode == 2 and "positive number of seconds" in done.stderr
