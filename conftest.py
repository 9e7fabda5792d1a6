"""Shared fixtures (designs, a simulator, one evaluator with a per-session build cache, pytester projects)
and LLM4COV_REQUIRE, which turns skips of must-run suites into failures."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).parent
DESIGNS = ROOT / "designs"
TEST_DATA = ROOT / "tests" / "data"

pytest_plugins = ["pytester"]

#: Suites that must run, not skip, where this variable names them (``.ci/run`` sets it): a skip there
#: means the machine lost something CI relies on (a simulator that cannot be found, tiny models that
#: cannot be built, weights that were not fetched), so it fails instead of hiding as a green skip.
REQUIRE_ENV = "LLM4COV_REQUIRE"
MUST_RUN = {
    "simulator": lambda item: item.get_closest_marker("simulator") is not None or "simulator" in item.fixturenames,
    "tiny-models": lambda item: "tiny_models" in item.fixturenames,
    "model": lambda item: item.get_closest_marker("model") is not None,
}


#: A skip whose reason starts with this is a property of the machine (a kernel feature it lacks), which no
#: install step can fix: it stays a skip even where its suite is required.
MACHINE_LACKS = "this machine lacks"


def required_suites() -> set[str]:
    names = {n.strip() for n in os.environ.get(REQUIRE_ENV, "").split(",") if n.strip()}
    unknown = names - set(MUST_RUN)
    if unknown:
        raise pytest.UsageError(
            f"{REQUIRE_ENV}: unknown suite {', '.join(sorted(unknown))} (known: {', '.join(MUST_RUN)})"
        )
    return names


def pytest_configure(config):
    required_suites()  # a typo in the variable is a usage error, not a check that silently does nothing


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        suites = [name for name in sorted(required_suites()) if MUST_RUN[name](item)]
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if suites and not reason.startswith(("Skipped: " + MACHINE_LACKS, MACHINE_LACKS)):
            report.outcome = "failed"
            report.longrepr = (
                f"{REQUIRE_ENV}={os.environ[REQUIRE_ENV]}: this test of the {', '.join(suites)} suite must run "
                f"here, but it skipped: {reason}"
            )
    return report


@pytest.fixture(scope="session")
def simulator():
    from pytest_llm4cov import Llm4covError
    from pytest_llm4cov.simulator import find_simulator

    try:
        return find_simulator("verilator")
    except Llm4covError as exc:
        pytest.skip(f"no Verilator: {exc}")


@pytest.fixture(scope="session")
def build_cache(tmp_path_factory, worker_id) -> Path:
    """One build cache for the whole run; xdist workers share it (the cache's file lock makes that safe)."""
    base = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        base = base.parent
    path = base / "llm4cov-cache"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def worker_id(request) -> str:
    """xdist's worker id, or "master" without xdist (pytest-xdist provides the same fixture)."""
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "master"


@pytest.fixture(scope="session")
def evaluator(simulator, build_cache):
    from pytest_llm4cov.evaluator import Evaluator
    from pytest_llm4cov.sandbox import Limits

    return Evaluator(simulator, cache_dir=build_cache, limits=Limits(wall_s=20))


@pytest.fixture
def project(pytester, build_cache, monkeypatch):
    """A scratch project for the plugin run by pytest; builds go to the session cache (one compile per run)."""
    monkeypatch.setenv("LLM4COV_CACHE_DIR", str(build_cache))
    return pytester


def copy_design(pytester, name: str, dest: str | None = None) -> Path:
    """A bundled design (without its reference testbench) under the project's rtl/."""
    target = pytester.path / "rtl" / (dest or name)
    shutil.copytree(DESIGNS / name, target, ignore=shutil.ignore_patterns("reference"))
    return target


def report(pytester, out: str = "llm4cov-out") -> dict:
    """The report.json a plugin run wrote."""
    return json.loads((pytester.path / out / "report.json").read_text())


def design_spec(name: str):
    """The BuildSpec of a bundled design, from its llm4cov.toml top."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    from pytest_llm4cov.build import BuildSpec
    from pytest_llm4cov.interface import rtl_files

    folder = DESIGNS / name
    cfg = tomllib.loads((folder / "llm4cov.toml").read_text())
    return BuildSpec.of(rtl_files([folder]), cfg["top"], cfg.get("parameters"))


def second_step(design, reply: str, evaluator):
    """The hybrid policy's scaffold alone, then ``reply``'s scenarios spliced in and run: the second step's
    observation (``scenario NAME ok`` / ``raised ...`` in its notes)."""
    from pytest_llm4cov.policy.hybrid import HybridPolicy
    from pytest_llm4cov.policy.scripted import ScriptedPolicy
    from pytest_llm4cov.state import State

    policy = HybridPolicy(ScriptedPolicy([reply]), max_tokens=512)
    first = policy.propose(State(design), 0).testbench
    before = evaluator.evaluate(design.build, first)
    return evaluator.evaluate(design.build, policy.propose(State(design, first, before, step=0), 1).testbench)
