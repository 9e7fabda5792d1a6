"""Expert demonstrations: a design's own hand-written cocotb tests as a teacher, validated by the simulator.

Whole-module mode: the test module itself is the target, paired with the empty state and with up to
``expert_states`` logged states (worst first) it improves on by the curation rule. Hybrid mode: each
``@cocotb.test()`` becomes a scenario against the built-in scaffold (``reference_scenarios``: the test
renamed ``scenario_*``, its helpers carried along, renamed where they would shadow the scaffold's, and
its clock start dropped since the scaffold runs the clock; with ``expert_style = "contract"`` rewritten
with the harness's ``tb``, ``trainer.contract``); each one is spliced into the scaffold the
built-in policy renders for a logged state, run, and kept only if it ran clean and added coverage over
that scaffold with the do-nothing control scenario (what the harness adds alone).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_llm4cov.interface import DesignInterface
from pytest_llm4cov.runlog import RunRecord
from pytest_llm4cov.scenarios import (
    PREFIX, Scenario, defined_names, is_test_decorator, piece_name, scenario_results,
)
from trainer.contract import NotInContract, to_contract
from trainer.transitions import Transition, improvement, record_of

RENAMED = "ref_"


def _is_test(node: ast.AST) -> bool:
    return isinstance(node, ast.AsyncFunctionDef) and any(is_test_decorator(d) for d in node.decorator_list)


def _used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


class _Rename(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.names:
            node.id = self.names[node.id]
        return node

    def _def(self, node):
        if node.name in self.names:
            node.name = self.names[node.name]
        self.generic_visit(node)
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _def


class _DropClockStart(ast.NodeTransformer):
    """``cocotb.start_soon(Clock(...).start())`` and the like become ``pass``: the scaffold runs the clock."""

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        text = ast.unparse(node)
        if "Clock(" in text and ("start_soon" in text or "cocotb.start" in text or ".start()" in text):
            return ast.Pass()
        return node


class _StimulusOnly(ast.NodeTransformer):
    """A reference test's checks go (an ``assert`` that awaits keeps its awaits: a bus read is stimulus): a
    scenario is stimulus, the scaffold checks the outputs. The stage-1 student, shown the checks, wrote its
    own with wrong expected values, and a failed check ends the scenario that raised it."""

    def visit_Assert(self, node: ast.Assert) -> list[ast.stmt]:
        return [ast.Expr(a) for a in ast.walk(node.test) if isinstance(a, ast.Await)]

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        if isinstance(getattr(node, "body", None), list) and not node.body and not isinstance(node, ast.Module):
            node.body = [ast.Pass()]  # a block that held only checks
        return node


def reference_scenarios(
    source: str, scaffold: str, clocked: bool, contract: DesignInterface | None = None
) -> list[tuple[Scenario, list[Scenario]]]:
    """Each test of a cocotb module as (scenario, the helper pieces it needs), ready to splice after ``scaffold``.

    Returns [] for a module that does not parse. Imports the scaffold's hybrid section already has are
    left out; every other top-level name the scaffold defines is renamed ``ref_<name>`` in the module.
    With ``contract`` (the design's interface), the tests and helpers are rewritten with the harness's
    ``tb`` (``trainer.contract``).
    """
    try:
        tree = ast.parse(source)
        scaffold_names = {n for node in ast.parse(scaffold).body for n in defined_names(node)}
    except SyntaxError:
        return []
    module_names = {
        n for node in tree.body for n in defined_names(node) if not isinstance(node, (ast.Import, ast.ImportFrom))
    }
    renames = {n: RENAMED + n for n in module_names & scaffold_names}
    tree = _Rename(renames).visit(tree)
    if clocked:
        tree = _DropClockStart().visit(tree)
    tree = _StimulusOnly().visit(tree)
    if contract is not None:
        reset = (contract.reset.name, contract.reset.asserted) if contract.reset else None
        inputs = [p.name for p in contract.data_inputs]
        tree = to_contract(tree, clock=contract.clock, reset=reset, inputs=inputs)
    ast.fix_missing_locations(tree)
    helpers: list[tuple[Scenario, set[str], set[str]]] = []  # piece, names it defines, names it uses
    tests: list[ast.AsyncFunctionDef] = []
    for node in tree.body:
        if _is_test(node):
            tests.append(node)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = set(defined_names(node)) - scaffold_names - {"cocotb"}
            if not names:
                continue  # the hybrid testbench imports these already
        if isinstance(node, ast.Expr):
            continue  # the module docstring
        defined = set(defined_names(node))
        if not defined:
            continue
        helpers.append((Scenario(piece_name(node), ast.unparse(node), False), defined, _used(node)))
    out = []
    for test in tests:
        test.decorator_list = []
        name = test.name[len("test_") :] if test.name.startswith("test_") else test.name
        test.name = PREFIX + name
        test.args = ast.arguments(
            posonlyargs=[], args=[ast.arg("tb"), ast.arg("dut")], kwonlyargs=[], kw_defaults=[], defaults=[]
        )
        needed = _used(test)
        chosen: list[int] = []
        changed = True
        while changed:  # helpers the test uses, and the helpers those use
            changed = False
            for i, (_piece, defined, used) in enumerate(helpers):
                if i not in chosen and defined & needed:
                    chosen.append(i)
                    needed |= used
                    changed = True
        pieces = [helpers[i][0] for i in sorted(chosen)]
        out.append((Scenario(test.name, ast.unparse(test), True), pieces))
    return out


def _reference_files(folder: Path, expert_dir: str) -> list[Path]:
    ref = folder / expert_dir
    return sorted(ref.glob("test_*.py")) if ref.is_dir() else []


def add_expert_examples(work: Any, index: Any, folders: Sequence[Path], records: Sequence[RunRecord]) -> None:
    """Expert examples of every design with tests, in the modes ``work.config.modes`` asks for."""
    from trainer.progress import StageProgress

    config = work.config
    with_tests = [(f, files) for f in folders if (files := _reference_files(f, config.expert_dir))]
    if not with_tests:
        return
    evaluator = work.evaluator
    logged: dict[str, list[RunRecord]] = {}
    for r in records:
        # A hybrid run's step 0 is the built-in scaffold alone, so hybrid logs give built-in states too.
        name = r.policy.get("name")
        if (name == "builtin" or (name == "hybrid" and r.step == 0)) and r.observation.get("outcome"):
            logged.setdefault(r.design, []).append(r)
    progress = StageProgress("experts", len(with_tests), unit="designs")
    for n, (folder, files) in enumerate(with_tests, 1):
        design = index.get(folder.name)
        if design is None:
            work.drop("expert: design does not load")
            continue
        states = [r for r in logged.get(design.name, []) if r.rtl_hash == design.build.rtl_digest()]
        for path in files:
            source = path.read_text(errors="replace")
            if "model" in config.modes:
                _whole_module(work, evaluator, design, path, source, states)
            if "hybrid" in config.modes:
                _hybrid(work, evaluator, design, path, source, states)
        progress.update(n, design.name)
    progress.close()


def _whole_module(work: Any, evaluator: Any, design: Any, path: Path, source: str, states: list[RunRecord]) -> None:
    from pytest_llm4cov.testbench import Testbench, module_name_for
    from trainer.examples import testbench_reply

    reply = testbench_reply(source)
    if reply is None:
        work.drop("expert: test module rejected by today's reply parser")
        return
    obs = evaluator.evaluate(design.build, Testbench(source, module_name_for(design.top)), seed=0)
    child = record_of(design, obs, source, f"expert:{path.name}", "expert")
    # Worst states first: the expert shows most where the policy was weakest.
    parents: list[RunRecord | None] = [None] + sorted(states, key=lambda r: r.score)
    paired = 0
    for parent in parents:
        if parent is not None and paired > work.config.expert_states:
            break
        verdict = improvement(parent, child)
        if verdict is None:
            if parent is None:
                work.drop("expert: test did not run clean with coverage")
                return
            continue
        ex = work.example(
            Transition(parent, child), design, "expert", verdict[1], reply, f"expert:{path.parent.name}/{path.name}"
        )
        if work.add(ex):
            paired += 1


def _hybrid(work: Any, evaluator: Any, design: Any, path: Path, source: str, states: list[RunRecord]) -> None:
    from pytest_llm4cov.policy.builtin import BuiltinPolicy, scenario_cycles
    from pytest_llm4cov.policy.hybrid import control_testbench, rtl_constants
    from pytest_llm4cov.scenarios import SCENARIO_CYCLES, splice
    from pytest_llm4cov.testbench import Testbench
    from trainer.examples import scenarios_reply
    from trainer.transitions import state_of

    clean = [
        r for r in states if r.step == 0 and r.observation.get("outcome") == "passed" and r.observation.get("metrics")
    ]
    if not clean:
        work.drop("expert hybrid: no logged built-in state of this design to start from")
        return
    parent = min(clean, key=lambda r: (r.seed, r.run_id))  # the scaffold's first state, deterministically
    state = state_of(parent, design)
    proposal = BuiltinPolicy().propose(state, parent.seed + 1)
    scaffold = proposal.testbench
    contract = design.interface if work.config.expert_style == "contract" else None
    clocked = design.interface.clock is not None
    try:
        pieces = reference_scenarios(source, scaffold.source, clocked, contract)
    except NotInContract:
        work.drop("expert hybrid: the module binds tb or env in a way the contract rewrite does not follow")
        return
    constants = rtl_constants(design)
    cycles = scenario_cycles(design, SCENARIO_CYCLES)  # the cap the hybrid policy gives this design
    control = control_testbench(design, scaffold.source, cycles=cycles)  # the harness alone: the baseline
    base = evaluator.evaluate(design.build, Testbench(control, scaffold.module), seed=parent.seed + 1)
    base_record = record_of(design, base, control, "expert-base", "control")
    for scenario, helpers in pieces:
        reply = scenarios_reply([*helpers, scenario])
        if reply is None:
            work.drop("expert hybrid: scenario rejected by today's scenario parser")
            continue
        if work.count(reply) > work.settings.reply_cap("hybrid"):
            work.drop(f"hybrid: target over the reply cap ({work.settings.reply_cap('hybrid')} tokens)")
            continue
        spliced = splice(scaffold.source, [*helpers, scenario], constants=constants, cycles=cycles)
        obs = evaluator.evaluate(design.build, Testbench(spliced, scaffold.module), seed=parent.seed + 1)
        if scenario_results(obs.notes).get(scenario.name) != "ok":
            work.drop("expert hybrid: scenario raised against the scaffold")
            continue
        child = record_of(design, obs, spliced, f"expert:{path.name}", "hybrid")
        verdict = improvement(base_record, child)
        if verdict is None:
            work.drop("expert hybrid: scenario added no coverage over the scaffold")
            continue
        t = Transition(parent, child)
        work.add(work.example(t, design, "expert", verdict[1], reply, f"expert:{path.parent.name}/{path.name}"))
