"""What running one testbench showed: the outcome, test results, logs and coverage; and how to rank it.

``rank_key`` is the one ordering of results (LLM4Cov's lexicographic order): ran clean, produced
coverage, met the target, then the score. The loop, the benchmark and the trainer all rank with it, so
"best", "worst" and "improved" mean the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pytest_llm4cov.coverage import CoveragePoint, CoverageReport, MetricSummary
from pytest_llm4cov.functional import FunctionalCoverage

#: How many uncovered points an observation carries in its dict form (the full report stays in memory).
MAX_UNCOVERED_LISTED = 200


class Outcome(str, Enum):
    """How a run ended, from worst to best."""

    BUILD_FAILED = "build_failed"  # the RTL did not compile: nothing a testbench can fix
    TESTBENCH_ERROR = "testbench_error"  # the module did not import, or holds no cocotb test
    TIMED_OUT = "timed_out"
    CRASHED = "crashed"  # the simulator died: a signal, a memory or output limit, an abort
    TESTS_FAILED = "tests_failed"  # ran to the end, some cocotb test failed
    PASSED = "passed"  # ran to the end, every test passed


@dataclass(frozen=True, slots=True)
class TestResult:
    name: str
    passed: bool
    message: str = ""
    sim_time_ns: float = 0.0

    __test__ = False  # not a pytest test class


@dataclass(frozen=True)
class Observation:
    """Everything the evaluator saw of one testbench run. A broken testbench is an observation too."""

    outcome: Outcome
    built: bool
    tests: tuple[TestResult, ...] = ()
    timed_out: bool = False
    log_tail: str = ""
    error: str = ""  # the one-paragraph reason when the outcome is not PASSED
    coverage: CoverageReport | None = None  # DUT-only, metric-filtered; None when unavailable
    coverage_available: bool = True
    cache_hit: bool = False
    build_s: float = 0.0
    run_s: float = 0.0
    simulator: str = ""
    seed: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: The sandbox layers in force for the run (``sandbox.BASIC_LAYERS`` + what strict could add);
    #: empty when nothing ran (a build failure, a syntax error caught before the run).
    containment: tuple[str, ...] = field(default_factory=tuple)
    #: cocotb-coverage bins the testbench declared (functional.py); None when it declared none.
    functional: FunctionalCoverage | None = None

    @property
    def passed(self) -> bool:
        """The testbench ran clean: it imported, finished in time, and every test passed."""
        return self.outcome is Outcome.PASSED

    @property
    def imported(self) -> bool:
        return self.built and self.outcome is not Outcome.TESTBENCH_ERROR

    @property
    def has_coverage(self) -> bool:
        return self.coverage is not None and bool(self.coverage.points)

    @property
    def score(self) -> float | None:
        """Coverage score in [0,1]; None when coverage is unavailable (Icarus), 0.0 when the run failed."""
        if not self.coverage_available:
            return None
        return self.coverage.score() if self.coverage is not None else 0.0

    @property
    def metrics(self) -> dict[str, MetricSummary]:
        """Per-metric summaries; ``functional`` always appears when the testbench declared bins."""
        out = self.coverage.metrics() if self.coverage is not None else {}
        if self.functional is not None and "functional" not in out:
            out["functional"] = self.functional.summary()
        return out

    def uncovered(self) -> list[CoveragePoint]:
        return self.coverage.uncovered() if self.coverage is not None else []

    def failures(self) -> list[TestResult]:
        return [t for t in self.tests if not t.passed]

    def to_dict(self, max_uncovered: int = MAX_UNCOVERED_LISTED) -> dict:
        uncovered = self.uncovered()
        rep = self.coverage
        return {
            "outcome": self.outcome.value,
            "built": self.built,
            "imported": self.imported,
            "passed": self.passed,
            "timed_out": self.timed_out,
            "cache_hit": self.cache_hit,
            "coverage_available": self.coverage_available,
            "score": None if self.score is None else round(self.score, 6),
            "metrics": {m: s.to_dict() for m, s in self.metrics.items()},
            "tests": [{"name": t.name, "passed": t.passed, "message": t.message} for t in self.tests],
            "error": self.error,
            "uncovered": [
                {
                    "file": p.file,
                    "line": p.line,
                    "type": p.metric,
                    "detail": p.comment,
                    "source": rep.source_line(p) if rep is not None else "",
                    "column": p.column,
                    "span": list(p.span) if p.span else None,
                }
                for p in uncovered[:max_uncovered]
            ],
            "uncovered_total": len(uncovered),
            "log_tail": self.log_tail,
            "build_s": round(self.build_s, 3),
            "run_s": round(self.run_s, 3),
            "simulator": self.simulator,
            "seed": self.seed,
            "notes": list(self.notes),
            "containment": list(self.containment),
            "functional": self.functional.to_dict() if self.functional is not None else None,
        }


    @classmethod
    def from_dict(cls, data: dict[str, Any], rebase: Callable[[str], str] | None = None) -> Observation:
        """The observation a run-log record holds (``to_dict``'s output), rebuilt.

        Outcome, tests, logs, notes and per-metric covered/total are the original's, so ``score`` and
        ``rank_key`` give what they gave in the run. Covered points are not logged: stand-ins (no file,
        no line) keep the totals. The listed uncovered points come back whole (file, line, metric,
        comment, column, span, source text), so the prompts render from them as from the original;
        uncovered points beyond the listed ones are stand-ins too (``uncovered_total`` says how many
        were listed). ``rebase`` maps a logged RTL path to where that file is now (another checkout).

        Raises:
            ValueError, KeyError, TypeError: a malformed dict (the callers name the file).
        """
        outcome = Outcome(data["outcome"])
        rebase = rebase or (lambda path: path)
        listed: list[CoveragePoint] = []
        sources: dict[str, dict[int, str]] = {}
        for u in data.get("uncovered") or ():
            span = u.get("span")
            point = CoveragePoint(
                rebase(str(u["file"])), int(u["line"]), str(u["type"]), 0, int(u.get("column") or 0),
                comment=str(u.get("detail") or ""), span=(int(span[0]), int(span[1])) if span else None,
            )
            listed.append(point)
            sources.setdefault(point.file, {})[point.line] = str(u.get("source") or "")
        functional = FunctionalCoverage.from_dict(data["functional"]) if data.get("functional") else None
        stand_ins: dict[str, list[CoveragePoint]] = {}
        for metric, summary in (data.get("metrics") or {}).items():
            covered, total = int(summary["covered"]), int(summary["total"])
            if not 0 <= covered <= total:
                raise ValueError(f"metric {metric}: covered {covered} of {total}")
            missing = total - covered - sum(p.metric == metric for p in listed)
            stand_ins[metric] = [CoveragePoint("", 0, metric, 1)] * covered + [CoveragePoint("", 0, metric, 0)] * max(0, missing)
        if functional is not None and "functional" in stand_ins and not any(p.metric == "functional" for p in listed):
            # Functional bins are always reported, but are coverage points only when the score counted
            # them: the logged score tells which it was.
            without = [p for m, pts in stand_ins.items() if m != "functional" for p in pts]
            if data.get("score") is None or abs(CoverageReport(tuple(listed + without)).score() - float(data["score"])) < 1e-5:
                del stand_ins["functional"]
        points: list[CoveragePoint] = listed + [p for pts in stand_ins.values() for p in pts]
        coverage = None
        if points:
            cache = {f: [by_line.get(i, "") for i in range(1, max(by_line) + 1)] for f, by_line in sources.items()}
            coverage = CoverageReport(tuple(points), _source_cache=cache)
        tests = tuple(
            TestResult(str(t.get("name", "?")), bool(t.get("passed")), str(t.get("message", "")))
            for t in data.get("tests") or ()
        )
        return cls(
            outcome,
            built=bool(data.get("built", outcome is not Outcome.BUILD_FAILED)),
            tests=tests,
            timed_out=bool(data.get("timed_out", False)),
            log_tail=str(data.get("log_tail", "")),
            error=str(data.get("error", "")),
            coverage=coverage,
            coverage_available=bool(data.get("coverage_available", True)),
            cache_hit=bool(data.get("cache_hit", False)),
            simulator=str(data.get("simulator", "")),
            seed=int(data.get("seed", 0) or 0),
            notes=tuple(str(n) for n in data.get("notes") or ()),
            containment=tuple(data.get("containment") or ()),
            functional=functional,
        )


def rank_key(obs: Observation, target: float = 1.0) -> tuple[bool, bool, bool, float]:
    """LLM4Cov's order: (ran clean, produced coverage, met target, score). Larger is better."""
    score = obs.score or 0.0
    return (obs.passed, obs.has_coverage, obs.has_coverage and score >= target - 1e-9, score)
