"""The hybrid policy: the built-in policy writes the testbench, a model adds directed scenarios to it.

A small model cannot reliably write a whole cocotb module (clock, reset polarity, imports, cocotb 2
API, all within its output limit), but it can read an uncovered RTL line and write ten lines that
drive the inputs toward it. So each step renders the built-in policy's testbench for the state (its
stimulus grows with refinement exactly as on its own), keeps the scenarios of the state's testbench
that ran, and asks the model for up to three new ones aimed at the uncovered points; they are spliced
in (``scenarios.splice``), repaired (``repair``) and run by a harness that isolates each one. The
first attempt is the scaffold alone: there is nothing to aim at before a first observation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any, ClassVar

from pytest_llm4cov.design import Design
from pytest_llm4cov.hybrid_prompt import render_state_prompt
from pytest_llm4cov.policy.base import POLICIES, Policy, Proposal
from pytest_llm4cov.policy.builtin import BuiltinPolicy, scenario_cycles
from pytest_llm4cov.policy.model import TEMPLATE_OVERHEAD, ModelPolicy, build_model_policy
from pytest_llm4cov.policy.repetition import FINISH_REPETITION
from pytest_llm4cov.policy.rtl_facts import parse_number
from pytest_llm4cov.prompt import PROMPT_VERSION
from pytest_llm4cov.repair import repair_for
from pytest_llm4cov.scenario_repair import (
    drivable_names,
    drop_undrivable_sets,
    handles_through_tb,
    harness_calls_on_dut,
    struct_fields_through_tb,
    tb_attributes_assigned,
)
from pytest_llm4cov.scenarios import (
    MAX_NEW,
    SCENARIO_CYCLES,
    Scenario,
    loadable,
    merge,
    parse_scenarios,
    pieces_of,
    scenario_results,
    splice,
    unsplice,
)
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import Testbench

#: Reply cap: three short scenarios fit (~300 tokens); a whole-module answer needs 4096. Measured: the
#: 1.5B, given 1024, filled it with near-copies of one scenario (benchmarks/models.py).
DEFAULT_MAX_TOKENS = 512
#: Prompt cap in tokens: the spec, then the RTL are trimmed to fit, as in the whole-module prompt. On two
#: CPU cores the 1.5B evaluates ~60 prompt tokens/s: a 4,700-token first prompt cost 80 s of a 110 s step.
DEFAULT_PROMPT_TOKENS = 4096
#: The do-nothing control's reply: one scenario that only lets the clock run. Scored against a model's
#: scenarios it separates what the model adds from what the harness adds (a fresh reset, a second test).
CONTROL_REPLY = '```python\nasync def scenario_idle(tb, dut):\n    """Do nothing: the control."""\n    await tb.step(1)\n```\n'


def rtl_constants(design: Design) -> dict[str, int]:
    """The top module's parameters and localparams with a plain integer value."""
    values = {p.name: parse_number(p.value) for p in design.interface.parameters}
    return {name: value for name, value in values.items() if value is not None}


class HybridPolicy(Policy):
    """Built-in scaffold + model-written scenarios. ``model`` is any ``ModelPolicy`` backend; its
    sampling settings apply, its ``max_tokens`` unless ``max_tokens`` is given."""

    name: ClassVar[str] = "hybrid"
    default_iterations: ClassVar[int] = 4  # a first attempt plus 3 refinements, as the model policies

    def __init__(
        self,
        model: ModelPolicy,
        *,
        max_tokens: int | None = None,
        prompt_tokens: int | None = None,
        scaffold: BuiltinPolicy | None = None,
    ) -> None:
        from pytest_llm4cov.adapters import inference_settings

        self.model = model
        # a trained adapter sees the prompt cap its examples were rendered with and writes up to their reply cap
        trained = inference_settings(getattr(model, "lora_path", None))
        self.max_tokens = max_tokens or trained.get("hybrid_max_tokens") or model.sampling.max_tokens
        if prompt_tokens is None:
            prompt_tokens = trained.get("hybrid_prompt_tokens", DEFAULT_PROMPT_TOKENS)
        self.prompt_tokens = min(prompt_tokens, model.n_ctx - self.max_tokens - TEMPLATE_OVERHEAD)
        self.scaffold = scaffold or BuiltinPolicy()

    @property
    def best_of(self) -> int:
        return self.model.best_of

    def settings(self) -> dict[str, Any]:
        model = dict(self.model.settings())
        model["max_tokens"] = self.max_tokens
        return {
            "mode": "hybrid",
            **model,
            "prompt_tokens": self.prompt_tokens,
            "max_new_scenarios": MAX_NEW,
            "scenario_cycles": SCENARIO_CYCLES,
            "scaffold": {"policy": self.scaffold.name, **self.scaffold.settings()},
            "prompt_version": PROMPT_VERSION,
        }

    def close(self) -> None:
        self.model.close()

    def render(self, state: State):
        """The prompt the model sees for ``state`` (one with an observation); the trainer renders the same."""
        return render_state_prompt(state, budget_tokens=self.prompt_tokens, count_tokens=self.model.count_tokens)

    def propose(self, state: State, seed: int) -> Proposal:
        design = state.design
        scaffold = self.scaffold.propose(state, seed)
        cycles = scenario_cycles(design, SCENARIO_CYCLES)
        obs = state.observation
        previous = pieces_of(state.testbench.source) if state.testbench is not None else []
        results = scenario_results(obs.notes) if obs is not None else {}
        kept = [p for p in previous if not p.runs or results.get(p.name) == "ok"]
        info: dict[str, Any] = {
            "source": self.name, "scaffold": scaffold.info, "kept_scenarios": [p.name for p in kept if p.runs],
            "scenario_cycles": cycles,
        }
        if obs is None or not obs.has_coverage:
            info["model_called"] = False
            source = splice(scaffold.testbench.source, kept, constants=rtl_constants(design), cycles=cycles)
            return Proposal(Testbench(source, scaffold.testbench.module), info=info)
        prompt = self.render(state)
        sampling = replace(self.model.sampling, max_tokens=self.max_tokens, seed=seed)
        text, usage, latency = self.model.complete(prompt.as_list(), sampling)
        parsed = parse_scenarios(text, truncated=usage.truncated)
        scenario_fixes = list(parsed.fixes)
        old = {p.name for p in kept}
        constants = rtl_constants(design)
        pieces = _repair_for_design(design, merge(kept, parsed.pieces), kept, scenario_fixes)  # merged names
        merged, unloadable = loadable(pieces, scaffold.testbench.source, constants)
        problems = [*parsed.problems, *unloadable]
        if usage.finish_reason == FINISH_REPETITION:
            problems.insert(0, "the reply repeated the same lines over and over: stopped after "
                               f"{usage.completion_tokens} tokens (write each step once, or a bounded loop)")
        spliced = splice(scaffold.testbench.source, merged, constants=constants, cycles=cycles)
        fixed = repair_for(design, spliced)
        notes = [f"repaired: {f}" for f in scenario_fixes] + [f"problem: {p}" for p in problems] + fixed.notes
        info.update(
            model_called=True,
            prompt_version=prompt.version,
            prompt_tokens_estimate=prompt.tokens,
            prompt_cuts=list(prompt.cuts),
            messages=len(prompt.messages),
            usage=asdict(usage),
            latency_s=round(latency, 3),
            extracted=parsed.how,
            new_scenarios=[p.name for p in merged if p.runs and p.name not in old],
            notes=notes,
            repair={"fixes": scenario_fixes + fixed.fixes, "findings": problems + fixed.findings},
        )
        if fixed.fixes or scenario_fixes:
            # What would have run without any repair: the reply as written, spliced the same way.
            raw, _ = loadable(merge(kept, parse_scenarios(text, truncated=usage.truncated, fix=False).pieces),
                              scaffold.testbench.source, constants)
            info["repair"]["unrepaired"] = splice(scaffold.testbench.source, raw, constants=constants, cycles=cycles)
            info["repair"]["unrepaired_new_scenarios"] = [p.name for p in raw if p.runs and p.name not in old]
        return Proposal(Testbench(fixed.source, scaffold.testbench.module), raw_text=text or "", info=info)


def _repair_for_design(design: Design, pieces: Sequence[Scenario], kept: Sequence[Scenario], fixes: list[str]
                       ) -> list[Scenario]:
    """The scenario fixes that need the design, on the pieces not ``kept`` from earlier steps (those ran):
    ``tb.set`` lines on names the scaffold cannot drive (outputs, internal signals, the clock; each raises
    and would stop its scenario there) are dropped, ``tb.<port>`` (the harness taken for the DUT)
    becomes ``tb.dut.<port>``, ``dut.<struct>.<field>.value = v`` becomes ``tb.set("<struct>.<field>", v)``, and
    ``dut.read("x")`` (a harness method called on the DUT) becomes ``tb.read("x")``."""
    iface = design.interface
    drivable = drivable_names([p.name for p in iface.data_inputs], iface.reset.name if iface.reset else None)
    outputs = [p.name for p in iface.outputs]
    ports = [p.name for p in iface.ports]
    fields = [f"{p.name}.{f[0]}" for p in iface.data_inputs for f in p.fields]
    assigned = {a for p in pieces for a in tb_attributes_assigned(p.source)}
    earlier = {id(p) for p in kept}  # by identity: a new helper may share a kept one's name
    out = []
    for piece in pieces:
        if id(piece) in earlier:
            out.append(piece)
            continue
        source = drop_undrivable_sets(piece.source, piece.name, drivable, outputs, fixes)
        source = handles_through_tb(source, piece.name, ports, fixes, assigned)
        source = struct_fields_through_tb(source, piece.name, fields, fixes)
        source = harness_calls_on_dut(source, piece.name, ports, fixes)
        out.append(piece if source == piece.source else Scenario(piece.name, source, piece.runs))
    return out


def control_testbench(design: Design, testbench: str, cycles: int | None = None) -> str:
    """``testbench`` (a hybrid one) with its scenarios replaced by the control's idle one: what the harness
    adds on its own, the baseline a model's scenarios must beat (the trainer's curation)."""
    scaffold = unsplice(testbench)
    idle = parse_scenarios(CONTROL_REPLY).pieces
    cycles = cycles or scenario_cycles(design, SCENARIO_CYCLES)
    return splice(scaffold, idle, constants=rtl_constants(design), cycles=cycles)


def hybrid_policy(model: str, *, max_tokens: int | None = None, **options: Any) -> HybridPolicy:
    """``get_policy("hybrid", model=SPEC, ...)``: the hybrid policy over the model a ``--llm4cov-model`` value
    names (the trainer's teachers and students are built this way in worker processes)."""
    backend = build_model_policy(model, max_tokens=max_tokens or DEFAULT_MAX_TOKENS, mode="hybrid", **options)
    assert isinstance(backend, ModelPolicy)
    return HybridPolicy(backend, max_tokens=max_tokens)


def control_policy() -> HybridPolicy:
    """``get_policy("control")``: the hybrid harness with the do-nothing scenario (``CONTROL_REPLY``)."""
    from pytest_llm4cov.policy.scripted import ScriptedPolicy

    return HybridPolicy(ScriptedPolicy([CONTROL_REPLY]))


POLICIES["hybrid"] = hybrid_policy
POLICIES["control"] = control_policy
