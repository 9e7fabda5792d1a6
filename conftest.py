"""Shared fixtures: the bundled designs, a simulator, and one evaluator with a per-session build cache."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).parent
DESIGNS = ROOT / "designs"
TEST_DATA = ROOT / "tests" / "data"

pytest_plugins = ["pytester"]


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
