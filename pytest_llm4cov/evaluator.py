"""The evaluator: a testbench in, an observation and a coverage score in [0,1] out, on a real simulator.

Build once per design (cached by content, see ``build.py``), then run each testbench as the simulator
binary itself in a sandboxed subprocess (see ``sandbox.py``) with its own scratch directory holding only
the testbench and what the run writes (the build is read from the cache, read-only under strict
containment); the layers in force are the observation's ``containment``. cocotb's
Python runner is not used for the run: it has no timeout and may ``sys.exit``; the environment it would
set is set here instead. Whatever the testbench does, the result is an ``Observation``.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.build import Build, BuildSpec, build_design
from pytest_llm4cov.coverage import CoverageReport, parse_coverage_file
from pytest_llm4cov.functional import EXPORT_FILE, EXPORT_MODULE, EXPORT_TEST, EXPORTER, read_export
from pytest_llm4cov.functional import METRIC as FUNCTIONAL
from pytest_llm4cov.observation import Observation, Outcome, TestResult
from pytest_llm4cov.sandbox import Containment, Limits, RunResult, run_limited, scrub_env
from pytest_llm4cov.simulator import Simulator, cocotb_paths, find_simulator
from pytest_llm4cov.testbench import Testbench

MAX_MESSAGE_CHARS = 600
#: A testbench reports to the loop by logging a line containing this marker (the hybrid policy's
#: scenario harness does, one line per scenario); the rest of the line becomes an observation note.
NOTE_MARKER = "llm4cov-note: "
MAX_TESTBENCH_NOTES = 20
MAX_NOTE_CHARS = 400

# cocotb's ways of saying the test module could not be used.
_IMPORT_FAILURE = re.compile(
    r"(Failed to import module|ModuleNotFoundError|ImportError|SyntaxError|IndentationError|"
    r"No tests were discovered|module .* has no attribute|Traceback \(most recent call last\))"
)


def _trim(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 20] + " [...trimmed]"


def check_syntax(tb: Testbench) -> str | None:
    """A precise message when the testbench is not valid Python or has no cocotb test; None if fine."""
    if tb.is_empty:
        return "the testbench is empty"
    try:
        tree = ast.parse(tb.source)
        for node in ast.walk(tree):
            if isinstance(node, ast.AsyncFunctionDef):
                for deco in node.decorator_list:
                    if "test" in ast.unparse(deco):
                        return None
    except SyntaxError as exc:
        line = (exc.text or "").rstrip()
        return f"SyntaxError: {exc.msg} at line {exc.lineno}" + (f": {line.strip()}" if line else "")
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return f"the testbench is not valid Python ({type(exc).__name__}: {_trim(str(exc), 120)})"
    return "no cocotb test found: decorate an `async def` with @cocotb.test()"


_TIME_UNITS_NS = {"fs": 1e-6, "ps": 1e-3, "ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def _sim_time_ns(case: ET.Element) -> float:
    """Simulated time of a test: cocotb 2.1 writes it as properties (duration and unit)."""
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    try:
        duration = float(props.get("sim_time_duration") or 0)
    except ValueError:
        return 0.0
    return duration * _TIME_UNITS_NS.get(props.get("sim_time_unit") or "ns", 1.0)


def parse_results(path: Path) -> tuple[TestResult, ...]:
    """cocotb's JUnit results.xml as test results (empty when missing or unreadable)."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return ()
    results = []
    for case in root.iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        message = ""
        if problem is not None:
            message = problem.get("message") or (problem.text or "")
        sim_time = _sim_time_ns(case)
        if case.find("skipped") is not None:
            continue
        results.append(TestResult(case.get("name", "?"), problem is None, _trim(message), sim_time))
    return tuple(results)


#: cocotb's line that starts a test ("running test_x.first (2/5)").
_NEXT_TEST = re.compile(r"\brunning \S+ \(\d+/\d+\)")


def _failure_detail(log_tail: str, name: str) -> str:
    """The assertion or exception cocotb logged for a failed test (results.xml often holds only a title)."""
    lines = log_tail.splitlines()
    for i, line in enumerate(lines):
        if re.search(rf"(^|[.\s]){re.escape(name)} failed\b", line):  # not `first_two failed` for `first`
            chunk = []
            for ln in lines[i : i + 30]:
                if chunk and _NEXT_TEST.search(ln):
                    break  # the next test's log: its errors are not this test's
                if ln.strip():
                    chunk.append(ln.strip())
            errors = [ln for ln in chunk if re.search(r"(Error|Exception|assert)", ln)]
            return _trim(" | ".join(errors[-3:] or chunk[:3]))
    return ""


class Evaluator:
    """Runs testbenches against designs on one simulator; holds only configuration and the build memo."""

    def __init__(
        self,
        simulator: Simulator | None = None,
        *,
        cache_dir: Path | None = None,
        limits: Limits | None = None,
        metrics: Sequence[str] | None = None,
        scratch_dir: Path | None = None,
        keep_runs: bool = False,
        build_timeout_s: float = 900.0,
    ) -> None:
        self.simulator = simulator or find_simulator()
        self.cache_dir = cache_dir
        self.limits = limits or Limits()
        self.metrics = tuple(metrics) if metrics else None
        self.scratch_dir = scratch_dir
        self.keep_runs = keep_runs
        self.build_timeout_s = build_timeout_s
        self._builds: dict[BuildSpec, Build] = {}
        self._paths = cocotb_paths()

    def build(self, spec: BuildSpec) -> Build:
        """The compiled model for ``spec`` (memoised here, cached on disk across processes)."""
        known = self._builds.get(spec)
        if known is not None:
            return known
        result = build_design(self.simulator, spec, self.cache_dir, self.build_timeout_s)
        self._builds[spec] = result
        return result

    def evaluate(
        self,
        spec: BuildSpec,
        testbench: Testbench,
        *,
        seed: int = 0,
        run_dir: Path | None = None,
        plusargs: Sequence[str] = (),
    ) -> Observation:
        """Run one testbench against the design; never raises for anything the testbench does.

        Args:
            run_dir: where to keep this run's files (testbench, log, coverage.dat, results.xml);
                default a fresh scratch directory, removed afterwards unless ``keep_runs``.
            plusargs: ``+name=value`` arguments for the simulator (``+mutant=N`` selects a mutant).
        """
        first_build = spec not in self._builds
        build = self.build(spec)
        cache_hit = build.cache_hit or not first_build
        common = {"simulator": self.simulator.describe(), "seed": seed, "cache_hit": cache_hit}
        common["build_s"] = build.duration_s if first_build else 0.0
        if not build.ok:
            return Observation(
                Outcome.BUILD_FAILED,
                built=False,
                log_tail=build.log_tail,
                error=f"the RTL did not build with {self.simulator.name}: {_build_error(build.log_tail)}",
                coverage_available=self.simulator.has_coverage,
                **common,
            )
        problem = check_syntax(testbench)
        if problem is not None:
            return Observation(
                Outcome.TESTBENCH_ERROR,
                built=True,
                error=problem,
                coverage_available=self.simulator.has_coverage,
                **common,
            )
        scratch = Path(run_dir) if run_dir else Path(tempfile.mkdtemp(prefix="llm4cov-run-", dir=self.scratch_dir))
        scratch.mkdir(parents=True, exist_ok=True)
        try:
            run = self._run(build, spec, testbench, seed, scratch, plusargs)
            return self._observe(run, spec, scratch, common)
        finally:
            if run_dir is None and not self.keep_runs:
                shutil.rmtree(scratch, ignore_errors=True)

    def _run(
        self, build: Build, spec: BuildSpec, tb: Testbench, seed: int, scratch: Path, plusargs: Sequence[str] = ()
    ) -> RunResult:
        (scratch / f"{tb.module}.py").write_text(tb.source)
        (scratch / f"{EXPORT_MODULE}.py").write_text(EXPORTER)  # functional coverage, see functional.py
        (scratch / "tmp").mkdir(exist_ok=True)
        paths = self._paths
        env = scrub_env(
            {
                "HOME": str(scratch),
                "TMPDIR": str(scratch / "tmp"),
                "PATH": f"{paths['libs_dir']}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
                "PYTHONPATH": os.pathsep.join([str(scratch), *[p for p in sys.path if p]]),
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONNOUSERSITE": "1",
                "PYGPI_PYTHON_BIN": paths["python"],
                "GPI_USERS": f"{paths['libpython']};{paths['pygpi_entry']}",
                "LIBPYTHON_LOC": paths["libpython"],
                "COCOTB_TOPLEVEL": spec.top,
                "COCOTB_TEST_MODULES": f"{tb.module},{EXPORT_MODULE}",
                "TOPLEVEL_LANG": "verilog",
                "COCOTB_RANDOM_SEED": str(seed),
                "COCOTB_RESULTS_FILE": str(scratch / "results.xml"),
                "COCOTB_TRUST_INERTIAL_WRITES": "1",
                "COCOTB_ANSI_OUTPUT": "0",
            }
        )
        if self.simulator.name == "verilator":
            argv = [str(build.executable), f"+verilator+coverage+file+{scratch / 'coverage.dat'}"]
        else:
            argv = ["vvp", "-m", paths["icarus_vpi"], str(build.executable), "-none"]
            env["PATH"] = f"{self.simulator.env.get('PATH_PREFIX', '/usr/bin')}{os.pathsep}{env['PATH']}"
        argv += list(plusargs)
        return run_limited(argv, cwd=scratch, env=env, limits=self.limits, log_path=scratch / "sim.log")

    def _observe(self, run: RunResult, spec: BuildSpec, scratch: Path, common: dict) -> Observation:
        tests = tuple(t for t in parse_results(scratch / "results.xml") if t.name != EXPORT_TEST)
        functional = read_export(scratch / EXPORT_FILE)
        tests = tuple(
            t
            if t.passed or len(t.message) > 40
            else TestResult(t.name, False, _failure_detail(run.output_tail, t.name) or t.message, t.sim_time_ns)
            for t in tests
        )
        coverage: CoverageReport | None = None
        notes: list[str] = []
        if self.simulator.has_coverage and (scratch / "coverage.dat").exists():
            try:
                coverage = parse_coverage_file(scratch / "coverage.dat").restrict(spec.sources)
                coverage = coverage.only_metrics(self.metrics)
                if functional is not None and self.metrics and FUNCTIONAL in self.metrics:
                    coverage = CoverageReport(coverage.points + functional.as_points())
            except Llm4covError as exc:
                notes.append(f"coverage unreadable: {exc}")
        # The file-size limit either kills (SIGXFSZ) or, where the process ignores that signal (an
        # embedded Python does), fails its writes with "File too large": both are the output limit.
        output_limited = run.output_limited or run.output_bytes >= self.limits.output_mb * 1024 * 1024
        if output_limited:
            notes.append(f"output limit of {self.limits.output_mb} MB reached")
        notes.extend(run.notes)
        tail = run.output_tail
        notes.extend(testbench_notes(tail))
        if run.timed_out:
            outcome, error = Outcome.TIMED_OUT, (
                f"the simulation did not finish within {self.limits.wall_s:g} s and was stopped "
                "(a loop that never awaits a trigger, or waiting on an edge that never comes)"
            )
        elif run.limit_hit == "processes":
            outcome, error = Outcome.CRASHED, (
                f"the simulation was stopped: it started more than {self.limits.processes} processes "
                "(a testbench must not fork or spawn programs)"
            )
        elif not tests and _IMPORT_FAILURE.search(tail):
            outcome, error = Outcome.TESTBENCH_ERROR, "the testbench failed to load: " + _python_error(tail)
        elif run.killed_by or (run.returncode not in (0, None) and not tests):
            why = run.killed_by or f"exit code {run.returncode}"
            if run.killed_by == "SIGXFSZ":
                why = f"output limit of {self.limits.output_mb} MB exceeded"
            elif run.killed_by == "SIGXCPU":
                why = "CPU time limit exceeded"
            elif "MemoryError" in tail or "std::bad_alloc" in tail:
                why = f"memory limit of {self.limits.memory_mb} MB exceeded"
            outcome, error = Outcome.CRASHED, f"the simulation crashed ({why}): {_last_error(tail)}"
        elif not tests:
            outcome, error = Outcome.TESTBENCH_ERROR, "no cocotb test ran: " + _last_error(tail)
        elif any(not t.passed for t in tests):
            failed = [t for t in tests if not t.passed]
            outcome = Outcome.TESTS_FAILED
            error = "; ".join(f"{t.name}: {t.message or 'failed'}" for t in failed[:3])
        else:
            outcome, error = Outcome.PASSED, ""
        if output_limited and outcome in (Outcome.TESTS_FAILED, Outcome.TESTBENCH_ERROR):
            error = f"output limit of {self.limits.output_mb} MB reached (print less): {error}"
        return Observation(
            outcome,
            built=True,
            tests=tests,
            timed_out=run.timed_out,
            log_tail=tail,
            error=_trim(error),
            coverage=coverage,
            coverage_available=self.simulator.has_coverage,
            run_s=run.duration_s,
            notes=tuple(notes),
            containment=run.containment,
            functional=functional,
            **common,
        )


def testbench_notes(log: str) -> list[str]:
    """The notes a testbench logged with ``NOTE_MARKER``, in order, capped in number and length."""
    found = []
    for line in log.splitlines():
        at = line.find(NOTE_MARKER)
        if at >= 0:
            found.append(line[at + len(NOTE_MARKER):].strip()[:MAX_NOTE_CHARS])
    return found[-MAX_TESTBENCH_NOTES:]


def _python_error(log: str) -> str:
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if re.search(r"\b\w*(Error|Exception)\b:", ln):
            return _trim(ln[ln.find(re.search(r"\w*(Error|Exception)\b:", ln).group(0)) :])
    return _last_error(log)


def _build_error(log: str) -> str:
    """The simulator's first real error (file:line: message) and the fix; the log's last errors if none."""
    for line in log.splitlines():
        text = line.strip()
        if text.startswith("%Error") and not re.match(r"%Error: (Exiting due to|Cannot continue|Internal Error)", text):
            if "Unsupported" in text:
                return _trim(f"{text} (Verilator does not support this construct: rewrite it)")
            return _trim(f"{text} (fix the RTL so that it compiles)")
    return _last_error(log)


def _last_error(log: str) -> str:
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    errors = [ln for ln in lines if re.search(r"(%Error|error|Error|ERROR|Exception|fatal)", ln)]
    return _trim(" | ".join((errors or lines)[-3:])) if lines else "no output"


def evaluate_files(
    rtl: Sequence[str],
    testbench_path: str,
    *,
    top: str | None = None,
    timeout_s: float = 60.0,
    seed: int = 0,
    simulator: str | None = None,
    containment: Containment = "strict",
) -> tuple[Observation, Evaluator]:
    """Convenience for the command line: RTL files and a testbench file in, an observation out."""
    from pytest_llm4cov.interface import extract_interface
    from pytest_llm4cov.testbench import module_name_for

    iface = extract_interface(rtl, top)
    tb_path = Path(testbench_path)
    try:
        source = tb_path.read_text()
    except OSError as exc:
        raise Llm4covError(f"{testbench_path}: cannot read the testbench ({exc.strerror})") from None
    module = tb_path.stem if tb_path.stem.isidentifier() else module_name_for(iface.top)
    evaluator = Evaluator(find_simulator(simulator), limits=Limits(wall_s=timeout_s, containment=containment))
    spec = BuildSpec.of(iface.sources, iface.top)
    obs = evaluator.evaluate(spec, Testbench(source, module), seed=seed)
    return obs, evaluator
