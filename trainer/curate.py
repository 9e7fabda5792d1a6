"""Stage ``curate``: execution-validated data curation, from run logs (and expert tests) to SFT examples.

From every logged transition keep the ones LLM4Cov's filter accepts (``transitions.improvement``: the
target ran clean and fixed a failure of the previous state, or raised the score by more than 0.01
with no metric dropping; a clean first attempt from the empty state), the largest improvement per
(design, state); render each with the inference prompt code (``examples``); drop targets today's
parser rejects, targets over the reply cap, exact duplicates, and every design too close to an eval
design (Rouge-L, ``contamination``). Expert demonstrations (a design's own cocotb tests) are added as
the simulator validates them (``expert``). Every drop is counted by reason in the report beside the
output, so a thin data set says why it is thin.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pytest_llm4cov import Llm4covError
from trainer.config import check, option, record
from trainer.contamination import ROUGE_L_THRESHOLD, overlaps
from trainer.corpus import DesignIndex, design_folders
from trainer.examples import (
    Example,
    PromptSettings,
    render_state,
    scenarios_reply,
    testbench_reply,
    token_counter,
    write_examples,
)
from trainer.progress import StageProgress
from trainer.transitions import (
    Transition,
    complete,
    improvement,
    read_records,
    state_key,
    state_of,
    transitions,
)


@dataclass
class CurateConfig:
    """Parameters of ``curate``; the prompt settings must match the student's inference options."""

    runlogs: list[str] = option(["trainer-out/collect/runlog.jsonl"], "run logs to read (collect, synthesize)")
    corpus: list[str] = option([], "where the logged designs are (default: the bundled designs)")
    eval_corpus: list[str] = option([], "eval designs to keep out (default: the bundled eval split)")
    contamination: float = option(
        ROUGE_L_THRESHOLD, "drop training designs whose Rouge-L F1 to an eval design reaches this"
    )
    modes: list[str] = option(["model", "hybrid"], "which modes to make examples for")
    experts: bool = option(True, "add expert demonstrations: the logged designs' own cocotb tests")
    expert_dir: str = option("reference", "the folder of a design's own cocotb tests")
    expert_style: str = option(
        "contract",
        "hybrid experts: 'contract' rewrites them with tb.set/tb.step/tb.reset (trainer/contract.py), "
        "'reference' keeps the tests' raw handles and triggers (stage 2)",
    )
    expert_states: int = option(2, "whole-module: logged states per design an expert test is paired with (plus s_0)")
    n_ctx: int = option(16384, "the student's context window (--llm4cov-n-ctx)")
    max_tokens: int = option(4096, "the student's whole-module reply cap (--llm4cov-max-tokens)")
    hybrid_max_tokens: int = option(512, "the student's hybrid reply cap")
    hybrid_prompt_tokens: int = option(4096, "the student's hybrid prompt cap")
    tokenizer: str = option("", "count tokens with this tokenizer (HF directory or GGUF file; '' estimates)")
    max_prompt_tokens: int = option(0, "drop examples with longer prompts (training cost; 0: no cap)")
    clean_examples: int = option(
        0,
        "hybrid: also keep up to this many steps per design whose new scenarios all ran clean but added "
        "no coverage (kind 'clean': they teach the scenario contract, not coverage; 0: none)",
    )
    timeout_s: float = option(120.0, "wall-clock limit of one expert-test simulation")
    out: str = option("trainer-out/curate/examples.jsonl", "the examples written")

    def __post_init__(self) -> None:
        check(self.expert_style in ("contract", "reference"), "expert_style",
              f"must be 'contract' or 'reference', got {self.expert_style!r}")
        check(0 < self.contamination <= 1, "contamination", f"must be in (0, 1], got {self.contamination}")
        bad = [m for m in self.modes if m not in ("model", "hybrid")]
        check(not bad and bool(self.modes), "modes", f"must name model and/or hybrid, got {self.modes}")
        check(self.n_ctx > self.max_tokens, "n_ctx", f"must exceed max_tokens ({self.max_tokens}), got {self.n_ctx}")
        check(self.max_prompt_tokens >= 0, "max_prompt_tokens", f"must be >= 0, got {self.max_prompt_tokens}")
        check(self.clean_examples >= 0, "clean_examples", f"must be >= 0, got {self.clean_examples}")

    @property
    def prompt_settings(self) -> PromptSettings:
        return PromptSettings(
            self.n_ctx, self.max_tokens, self.hybrid_max_tokens, self.hybrid_prompt_tokens, self.tokenizer
        )


class Curation:
    """What one curation keeps and drops (by reason), shared by the log and expert paths."""

    def __init__(self, config: CurateConfig) -> None:
        self.config = config
        self.settings = config.prompt_settings
        self.count = token_counter(config.tokenizer)
        self.dropped: Counter[str] = Counter()
        self.examples: list[Example] = []
        self._seen: set[str] = set()
        self._evaluator: Any = None

    @property
    def evaluator(self) -> Any:
        """The simulator for what curation runs itself (expert tests, scaffolds alone), built on first use."""
        if self._evaluator is None:
            from pytest_llm4cov.evaluator import Evaluator
            from pytest_llm4cov.sandbox import Limits

            self._evaluator = Evaluator(limits=Limits(wall_s=self.config.timeout_s))
        return self._evaluator

    def drop(self, reason: str) -> None:
        self.dropped[reason] += 1

    def add(self, example: Example) -> bool:
        """Keep an example unless it breaks a cap or repeats one already kept."""
        if example.target_tokens > self.settings.reply_cap(example.mode):
            self.drop(f"{example.mode}: target over the reply cap ({self.settings.reply_cap(example.mode)} tokens)")
            return False
        if self.config.max_prompt_tokens and example.prompt_tokens > self.config.max_prompt_tokens:
            self.drop(f"prompt over max_prompt_tokens ({self.config.max_prompt_tokens})")
            return False
        if example.digest in self._seen:
            self.drop("exact duplicate")
            return False
        self._seen.add(example.digest)
        self.examples.append(example)
        return True

    def example(self, t: Transition, design: Any, kind: str, gain: float, target: str, source: str) -> Example:
        prompt = render_state(state_of(t.parent, design), t.mode, self.settings, self.count)
        return Example(
            mode=t.mode,
            design=design.name,
            rtl_hash=t.child.rtl_hash,
            messages=prompt.as_list(),
            target=target,
            source=source,
            kind=kind,
            gain=round(gain, 6),
            score_before=t.parent.score if t.parent is not None else 0.0,
            score_after=t.child.score,
            prompt_version=prompt.version,
            prompt_tokens=prompt.tokens,
            target_tokens=self.count(target),
            state={"run_id": t.parent.run_id, "step": t.parent.step, "child_step": t.child.step}
            if t.parent is not None
            else {},
            split=design.config.split,
        )


def target_of(t: Transition, design: Any) -> tuple[str | None, str]:
    """The reply a transition teaches, or None and why not."""
    if t.mode == "model":
        reply = testbench_reply(t.child.testbench)
        return reply, "" if reply else "model: target rejected by today's reply parser"
    from pytest_llm4cov.scenarios import scenario_results
    from trainer.examples import new_scenario_pieces

    new = t.child.proposal.get("new_scenarios") or []
    if not new or not t.child.proposal.get("model_called"):
        return None, "hybrid: no new scenarios"
    results = scenario_results(t.child.observation.get("notes") or ())
    if not all(results.get(n) == "ok" for n in new):
        return None, "hybrid: a new scenario raised"
    reply = scenarios_reply(new_scenario_pieces(t.parent.testbench if t.parent else "", t.child.testbench, design))
    return reply, "" if reply else "hybrid: target rejected by today's scenario parser"


def scenarios_gain(t: Transition, design: Any, work: Curation) -> tuple[str, float] | None:
    """What a hybrid step's scenarios added over the do-nothing control on the same scaffold (the scaffold
    is refined every step, so the step's gain over its parent is not the scenarios' alone; and the harness
    alone, a fresh reset and a second test, adds coverage on some designs): the curation rule applied to
    (scaffold + the control's idle scenario -> scaffold + the model's scenarios), or None."""
    from pytest_llm4cov.policy.hybrid import control_testbench
    from pytest_llm4cov.testbench import Testbench, module_name_for
    from trainer.transitions import record_of

    cycles = t.child.proposal.get("scenario_cycles")
    control = control_testbench(design, t.child.testbench, cycles=cycles)
    obs = work.evaluator.evaluate(design.build, Testbench(control, module_name_for(design.top)), seed=t.child.seed)
    return improvement(record_of(design, obs, control, "control", "control"), t.child)


def add_clean_examples(work: Curation, index: DesignIndex, clean: dict[tuple, list[Transition]], gained: set) -> None:
    """Hybrid steps whose new scenarios all ran clean, one per state no coverage-gaining example was kept
    for, up to ``clean_examples`` per design: a small model first has to write scenarios that run at all
    (the base 0.5B's run clean in about a quarter of its steps), and the teacher's clean replies show the
    contract on the student's own prompts. Kind ``clean``, gain 0, counted apart in the report's
    ``by_kind``; their transitions are also counted under the rejection filter's drops."""
    per_design: Counter[str] = Counter()
    ordered = sorted(clean.items(), key=lambda kv: (kv[1][0].design, kv[1][0].child.run_id, kv[1][0].child.step))
    for key, steps in ordered:
        if key in gained:
            continue
        design = index.get(steps[0].design, steps[0].child.rtl_hash)
        if design is None:
            work.drop("design not in the corpus, or its RTL changed since the run")
            continue
        found = None
        for t in steps:
            target, why = target_of(t, design)
            if target is not None:
                found = (t, target)
                break
        if found is None:
            work.drop(f"clean: {why}")
            continue
        if per_design[design.name] >= work.config.clean_examples:
            work.drop("clean: over clean_examples for the design")
            continue
        t, target = found
        policy = t.child.policy.get("name", "?")
        if work.add(work.example(t, design, "clean", 0.0, target, f"teacher:{policy}")):
            per_design[design.name] += 1


def curate(config: CurateConfig) -> Path:
    """Write the curated examples and ``<out>.report.json``; returns the examples' path."""
    out = Path(config.out)
    record(config, out, "curate")
    folders = design_folders(config.corpus, "all")
    index = DesignIndex(folders)
    eval_folders = design_folders(config.eval_corpus, "eval")
    eval_names = {f.name for f in eval_folders}
    eval_texts = {f.name: _rtl_text(f) for f in eval_folders}
    records = read_records(config.runlogs)
    work = Curation(config)

    # Contamination first: a design too close to an eval design gives no example at all.
    logged = sorted({r.design for r in records})
    train_texts = {n: _rtl_text(index.folders[n]) for n in logged if n in index.folders and n not in eval_names}
    table = overlaps(train_texts, eval_texts) if eval_texts else []
    excluded = {o.design for o in table if o.rouge_l >= config.contamination} | eval_names

    best: dict[tuple, tuple[float, Transition, str]] = {}
    clean: dict[tuple, list[Transition]] = {}  # every hybrid model step, per state: the format examples' pool
    all_t = list(transitions(records))
    for t in all_t:
        if t.mode not in config.modes:
            work.drop(f"{t.mode}: mode not curated")
            continue
        if t.design in excluded:
            work.drop("eval design or too close to one (contamination)")
            continue
        if config.clean_examples and t.mode == "hybrid" and complete(t.parent) and t.child.proposal.get("model_called"):
            clean.setdefault(state_key(t), []).append(t)
        verdict = improvement(t.parent, t.child)
        if verdict is None:
            work.drop("no improvement (rejection filter)")
            continue
        if not complete(t.parent):
            work.drop("state lists too few uncovered points to render")
            continue
        key = state_key(t)
        if key not in best or verdict[1] > best[key][0]:
            if key in best:
                work.drop("a larger improvement from the same state was kept")
            best[key] = (verdict[1], t, verdict[0])
        else:
            work.drop("a larger improvement from the same state was kept")

    gained: set[tuple] = set()  # states a coverage-gaining example was kept for
    progress = StageProgress("curate", len(best), unit="states")
    for n, (gain, t, kind) in enumerate(best.values(), 1):
        design = index.get(t.design, t.child.rtl_hash)
        if design is None:
            work.drop("design not in the corpus, or its RTL changed since the run")
            continue
        target, why = target_of(t, design)
        if target is None:
            work.drop(why)
            continue
        if t.mode == "hybrid":
            verdict = scenarios_gain(t, design, work)
            if verdict is None:
                work.drop("hybrid: the scenarios added no coverage over the do-nothing control on their scaffold")
                continue
            gain = verdict[1]
        policy = t.child.policy.get("name", "?")
        if work.add(work.example(t, design, kind, gain, target, f"teacher:{policy}")):
            gained.add(state_key(t))
        progress.update(n, t.design)
    progress.close()
    if config.clean_examples:
        add_clean_examples(work, index, clean, gained)

    if config.experts:
        from trainer.expert import add_expert_examples

        # The designs the logs cover are the training corpus: their own tests teach beside the teacher.
        add_expert_examples(
            work, index, [index.folders[n] for n in logged if n in index.folders and n not in excluded], records
        )

    n = write_examples(out, work.examples)
    report = {
        "examples": n,
        "by_mode": dict(Counter(e.mode for e in work.examples)),
        "by_kind": dict(Counter(e.kind for e in work.examples)),
        "by_source": dict(Counter(e.source.split(":")[0] for e in work.examples)),
        "designs": len({e.design for e in work.examples}),
        "transitions": len(all_t),
        "dropped": dict(work.dropped.most_common()),
        "contamination": {
            "threshold": config.contamination,
            "excluded": sorted(excluded - eval_names),
            "overlaps": [asdict(o) for o in table],
        },
        "prompt_settings": asdict(work.settings),
        "tokens": {
            "prompt_max": max((e.prompt_tokens for e in work.examples), default=0),
            "target_max": max((e.target_tokens for e in work.examples), default=0),
            "total": sum(e.prompt_tokens + e.target_tokens for e in work.examples),
        },
    }
    out.with_name(out.name + ".report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"curate: {n} examples ({report['by_mode']}) from {len(all_t)} transitions -> {out}")
    for reason, count in work.dropped.most_common():
        print(f"  dropped {count:5d}: {reason}")
    if report["contamination"]["excluded"]:
        print(f"  contamination: left out {', '.join(report['contamination']['excluded'])}")
    if n == 0:
        raise Llm4covError(f"curate: no example survived ({out.name}.report.json says why); collect more runs")
    return out


def _rtl_text(folder: Path) -> str:
    from pytest_llm4cov.interface import rtl_files

    return "\n".join(Path(f).read_text(errors="replace") for f in rtl_files([folder]))
