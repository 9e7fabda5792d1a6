"""The pytest plugin: ``pytest --llm4cov rtl/`` collects RTL designs and closes their coverage.

Hooks and nodes only; the work is in ``closure.py`` (one design) and ``report.py`` (the summary).
Every pytest run of anyone who installs us imports this module, so it imports stdlib and pytest only
and registers nothing unless ``--llm4cov`` is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_llm4cov.options import add_options, settings_from

RTL_SUFFIXES = (".v", ".sv")
PROPERTY = "llm4cov"


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "llm4cov: a coverage-closure item collected from RTL by --llm4cov")
    if config.getoption("llm4cov"):
        config.pluginmanager.register(Llm4covPlugin(config), "_llm4cov")


class CoverageNotMet(Exception):
    """The best testbench did not reach the target (or did not run clean)."""

    def __init__(self, result) -> None:
        super().__init__(result.design)
        self.result = result


class Llm4covPlugin:
    """Registered only under --llm4cov: collection, the shared evaluator and policy, the summary."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings = settings_from(config)
        self.results: list[Any] = []
        self._evaluator = None
        self._evaluator_error: str | None = None
        self._policy = None
        self.worker = getattr(config, "workerinput", {}).get("workerid")
        self._progress = None

    # -- collection ------------------------------------------------------------------------------
    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector):
        if file_path.suffix not in RTL_SUFFIXES:
            return None
        rtl = sorted(p for p in file_path.parent.iterdir() if p.suffix in RTL_SUFFIXES and p.is_file())
        if not rtl or rtl[0] != file_path:
            return None  # one collector per directory, on its first RTL file
        return RtlDesign.from_parent(parent, path=file_path)

    # -- shared workers --------------------------------------------------------------------------
    def evaluator(self):
        """The evaluator, or None with the reason in ``evaluator_error`` (no simulator: items skip)."""
        if self._evaluator is None and self._evaluator_error is None:
            from pytest_llm4cov import Llm4covError
            from pytest_llm4cov.evaluator import Evaluator
            from pytest_llm4cov.sandbox import Limits
            from pytest_llm4cov.simulator import find_simulator

            try:
                sim = find_simulator(self.settings.simulator)
            except Llm4covError as exc:
                self._evaluator_error = str(exc)
                return None
            self._evaluator = Evaluator(
                sim,
                limits=Limits(wall_s=self.settings.timeout, containment=self.settings.containment),
                metrics=self.settings.metrics,
            )
        return self._evaluator

    @property
    def evaluator_error(self) -> str | None:
        return self._evaluator_error

    @property
    def progress(self):
        """Step k/N and the best score so far, live on a terminal, plain lines with -v in CI."""
        if self._progress is None:
            from pytest_llm4cov.progress import Progress

            self._progress = Progress.from_config(self.config, self.worker)
        return self._progress

    def policy(self):
        if self._policy is None:
            from pytest_llm4cov.policy.model import policy_from_settings

            # A model that failed to load fails every item with the same line, without reloading.
            error = getattr(self, "_policy_error", None)
            if error is not None:
                raise error
            try:
                self._policy = policy_from_settings(self.settings)
            except Exception as exc:
                self._policy_error = exc
                raise
        return self._policy

    def runlog(self):
        from pytest_llm4cov.runlog import RunLogWriter

        name = f"runlog-{self.worker}.jsonl" if self.worker else "runlog.jsonl"
        return RunLogWriter(self.settings.runs / name)

    # -- reporting -------------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        from pytest_llm4cov.closure import ItemResult

        for key, value in report.user_properties:
            if key == PROPERTY:
                self.results.append(ItemResult.from_dict(json.loads(value)))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.worker or not self.results:
            return  # workers report through their test reports; the controller writes the files
        from pytest_llm4cov.merge import attach_merged
        from pytest_llm4cov.report import write_report

        s = self.settings
        # Per-configuration items of one design become one merged figure (on every item of the design).
        self.results = attach_merged(s.out, self.results)
        write_report(s.out, self.results, {"policy": ",".join(sorted({i.policy for i in self.results})), "seed": s.seed, "settings": _plain(s)})
        if self._policy is not None:
            self._policy.close()

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.worker or not self.results:
            return
        import io

        from pytest_llm4cov.report import render_summary

        buf = io.StringIO()
        render_summary(self.results, buf)
        terminalreporter.write_sep("=", "llm4cov coverage closure")
        terminalreporter.write(buf.getvalue())
        out = self.settings.out
        others = ", ".join(n for n in ("report.json", "cobertura.xml", "coverage.info") if (out / n).is_file())
        terminalreporter.write_line(f"report: {out / 'report.html'} ({others})")


def _plain(settings) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in settings.__dict__.items()}


class RtlDesign(pytest.File):
    """A directory of RTL elaborated together; one item per top module."""

    def collect(self):
        from pytest_llm4cov import Llm4covError
        from pytest_llm4cov.configurations import check_configuration
        from pytest_llm4cov.design import load_config
        from pytest_llm4cov.interface import elaborate, extract_interface, rtl_files

        folder = self.path.parent
        try:
            config = load_config(folder)
            sources = rtl_files([folder])
            include_dirs = [str(folder), *(str((folder / d).resolve()) for d in config.include_dirs)]
            defines = {k: str(v) for k, v in config.defines.items()}
            if config.top:
                tops = [config.top]
            else:
                elab = elaborate(sources, defines=defines, include_dirs=include_dirs[1:],
                                 parameters=dict(config.parameters))
                tops = list(elab.tops)
            for top in tops:
                for pset in config.parameter_sets:  # a bad set fails collection, naming its file
                    check_configuration(pset, config.parameters, top, lambda params, top=top: extract_interface(
                        sources, top, defines=defines, include_dirs=include_dirs, parameters=params))
        except Llm4covError as exc:
            raise self.CollectError(str(exc)) from None
        for top in tops:
            if not config.parameter_sets:
                yield ClosureItem.from_parent(self, name=top, top=top)
            for pset in config.parameter_sets:
                yield ClosureItem.from_parent(self, name=f"{top}[{pset.name}]", top=top, configuration=pset.name)

    class CollectError(Exception):
        pass

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, self.CollectError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class ClosureItem(pytest.Item):
    """Close coverage on one top module with the configured policy."""

    def __init__(self, *, top: str, configuration: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.top = top
        self.configuration = configuration  # a parameter set's name (llm4cov.toml parameter_sets)
        self.add_marker("llm4cov")

    @property
    def plugin(self) -> Llm4covPlugin:
        return self.config.pluginmanager.get_plugin("_llm4cov")

    def runtest(self) -> None:
        from pytest_llm4cov.closure import close_design
        from pytest_llm4cov.design import load_design

        plugin = self.plugin
        evaluator = plugin.evaluator()
        if evaluator is None:
            pytest.skip(f"llm4cov: {plugin.evaluator_error}")
        s = plugin.settings
        design = load_design(self.path.parent, self.top, configuration=self.configuration)
        if s.target is not None:
            from dataclasses import replace

            design = replace(design, config=replace(design.config, target=s.target))
        shown = plugin.progress
        budget = s.iterations or design.config.iterations or plugin.policy().default_iterations

        def progress(step, best) -> None:
            obs = step.observation
            shown.step(design.id, step.index, budget, obs.outcome.value, obs.score or 0.0, best.score)

        shown.start(design.id, budget)
        try:
            item, result = close_design(
                design, plugin.policy(), evaluator, out=s.out, runlog=plugin.runlog(),
                iterations=s.iterations or design.config.iterations, seed=s.seed, patience=s.patience,
                on_step=progress,
            )
        finally:
            shown.finish()
        if s.mutants:
            from pytest_llm4cov.mutation import attach_mutation

            attach_mutation(item, design, result, evaluator, s.mutants)
        self.user_properties.append((PROPERTY, json.dumps(item.to_dict())))
        for key in ("score", "target", "steps", "passed"):
            self.user_properties.append((f"llm4cov_{key}", getattr(item, key)))
        if item.functional:
            self.user_properties.append(("llm4cov_functional", item.functional["ratio"]))
        if item.mutation and item.mutation.get("score") is not None:
            self.user_properties.append(("llm4cov_mutation_score", item.mutation["score"]))
        if not item.passed:
            raise CoverageNotMet(item)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CoverageNotMet):
            r = excinfo.value.result
            from pytest_llm4cov.evaluator import _trim

            lines = [
                f"coverage {r.score:.1%} below target {r.target:.0%} after {r.steps} steps ({r.stopped}); "
                f"best testbench: {r.outcome}" + (f" ({_trim(r.error, 200)})" if r.error else ""),
            ]
            for m, s in r.metrics.items():
                lines.append(f"  {m:8} {s['covered']}/{s['total']} ({s['ratio']:.1%})")
            if r.uncovered:
                lines.append("uncovered:")
                for u in r.uncovered[:15]:
                    detail = f" [{u['detail']}]" if u["detail"] else ""
                    lines.append(f"  {u['file']}:{u['line']} {u['type']}{detail}: {u['source']}")
                if len(r.uncovered) > 15:
                    lines.append(f"  ... {len(r.uncovered) - 15} more")
            if r.testbench:
                lines.append(f"kept testbench: {r.testbench}")
            return "\n".join(lines)
        from pytest_llm4cov import Llm4covError

        if isinstance(excinfo.value, Llm4covError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"llm4cov: {self.name}"
