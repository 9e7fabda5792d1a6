"""Finding the simulator and choosing coverage flags by version."""

from __future__ import annotations

import shutil

import pytest

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.simulator import Simulator, find_simulator


def test_verilator_found_with_version(simulator):
    assert simulator.name == "verilator"
    assert simulator.version >= (5, 36)
    assert simulator.has_coverage
    assert {"--coverage-line", "--coverage-toggle", "--coverage-expr"} <= set(simulator.coverage_flags)


def test_branch_flag_by_version():
    old = Simulator("verilator", (5, 48, 0), "verilator")
    new = Simulator("verilator", (5, 54, 0), "verilator")
    assert "--coverage-branch" not in old.coverage_flags
    assert "--coverage-branch" in new.coverage_flags
    assert Simulator("icarus", (11, 0), "iverilog").coverage_flags == ()


def test_unknown_simulator_named():
    with pytest.raises(Llm4covError, match="unknown simulator 'vcs' \\(choose from verilator, icarus\\)"):
        find_simulator("vcs")


def test_missing_icarus_says_what_to_install(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    if shutil.which("iverilog") is None:
        with pytest.raises(Llm4covError, match="apt-get install iverilog"):
            find_simulator("icarus")
