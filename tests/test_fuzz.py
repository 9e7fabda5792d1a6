"""Fuzzing the parsers of untrusted text: coverage.dat, model replies, llm4cov.toml, run logs, testbenches.

Each either returns its result or raises ``Llm4covError`` with one line; nothing else escapes.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.coverage import CoverageReport, parse_coverage_text, to_lcov
from pytest_llm4cov.design import DesignConfig, load_config
from pytest_llm4cov.evaluator import check_syntax
from pytest_llm4cov.runlog import read_runlog
from pytest_llm4cov.testbench import Testbench

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of the real formats, so that the fuzzer reaches deep into the parsers, not just their first check.
_COVERAGE_BITS = st.sampled_from(
    ["C '", "' ", "\x01", "\x02", "f", "l", "n", "t", "page", "o", "h", "S", "v_line/top", "line", "toggle",
     "17", "-", "17-19", "x.v", "# SystemC::Coverage-3", "\n", "'", " ", "0", "-3", "99999999999999999999"]
)
coverage_text = st.one_of(
    st.text(),
    st.lists(st.one_of(_COVERAGE_BITS, st.text(max_size=5)), max_size=60).map("".join),
)


def one_line(exc: Llm4covError) -> bool:
    return "\n" not in str(exc)


@FUZZ
@given(coverage_text)
def test_coverage_parser_raises_only_llm4cov_error(text):
    try:
        report = parse_coverage_text(text, origin="coverage.dat")
    except Llm4covError as exc:
        report = exc
    if isinstance(report, Llm4covError):
        assert str(report).startswith("coverage.dat:") and one_line(report)
        return
    assert isinstance(report, CoverageReport)
    report.metrics()
    report.score()
    to_lcov(report)


_TOML_BITS = st.sampled_from(
    ["top", "clock", "reset", "target", "iterations", "metrics", "parameters", "defines", "include_dirs",
     "waivers", "split", "hard_for_random", "reset_active_low", "bogus", " = ", "=", '"x"', "1", "0.5", "-1",
     "true", "[", "]", "{", "}", ",", '"line"', '"toggel"', "\n", "[tool.llm4cov]", "W = 8", "{file = \"a.v\"}",
     "{reason = \"r\", line = 3}", "'''", "#", "\x00"]
)
toml_text = st.one_of(st.text(max_size=200), st.lists(_TOML_BITS, max_size=40).map("".join))


@FUZZ
@given(toml_text)
def test_config_loader_gives_a_config_or_one_error(text):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "llm4cov.toml").write_text(text, errors="surrogatepass")
        try:
            config = load_config(Path(tmp))
        except Llm4covError as exc:
            config = exc
    if isinstance(config, Llm4covError):
        assert one_line(config) and "llm4cov.toml" in str(config)
    else:
        assert isinstance(config, DesignConfig)


@FUZZ
@given(st.text(max_size=400))
def test_testbench_syntax_check_never_raises(source):
    problem = check_syntax(Testbench(source, "test_fuzz"))
    assert problem is None or isinstance(problem, str)


_RECORD = {
    "schema": "llm4cov.runlog/1", "run_id": "r", "design": "d", "top": "t", "rtl_hash": "h",
    "policy": {"name": "builtin"}, "seed": 0, "step": 0, "parent_step": None, "testbench": "",
    "observation": {"outcome": "passed"}, "score": 0.0, "best_before": 0.0, "best_after": 0.0,
    "improved": True, "timings": {}, "proposal": {},
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@FUZZ
@given(st.lists(st.one_of(
    st.binary(max_size=40),
    st.just(json.dumps(_RECORD).encode()),
    st.builds(lambda k, v: json.dumps({**_RECORD, k: v}).encode(), st.sampled_from(sorted(_RECORD)), json_values),
), max_size=5), st.booleans())
def test_run_log_reader_yields_records_or_one_error(lines, newline_at_end):
    raw = b"\n".join(lines) + (b"\n" if newline_at_end else b"")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.jsonl"
        path.write_bytes(raw)
        try:
            records = list(read_runlog(path))
        except Llm4covError as exc:
            records = exc
    if isinstance(records, Llm4covError):
        assert one_line(records) and "log.jsonl" in str(records)
        return
    assert all(isinstance(r.step, int) and isinstance(r.observation, dict) for r in records)


def test_response_parser_never_raises():
    response = pytest.importorskip("pytest_llm4cov.response", reason="response.py is not there yet")

    @FUZZ
    @given(st.one_of(
        st.text(),
        st.lists(st.sampled_from(
            ["```", "```python\n", "~~~", "<think>", "</think>", "import cocotb\n", "@cocotb.test()\n",
             "async def t(dut):\n", "    pass\n", "\x00", "(" * 50, "\r\n", "def f(:\n"]
        ), max_size=30).map("".join),
    ), st.booleans())
    def check(text, truncated):
        parsed = response.parse_reply(text, truncated=truncated, max_tokens=100)
        assert parsed.error is None or isinstance(parsed.error, str)

    check()
