"""Mutation testing: how many one-token bugs in the RTL would the kept testbench catch?

Mutants come from pyslang's syntax tree, each a one-token change (an operator swapped, a constant off
by one, a condition negated, an assignment stuck at zero, a case item's body dropped), only in code
that runs (continuous assignments, net initialisers, always blocks), never where Verilog needs a
constant (selects, replication counts, case labels, loop headers, delays, functions, parameters).
Cheap equivalents are left out (``a & a`` swapped, ``x + 0``, negating a literal, zeroing a zero).

All mutants are compiled into ONE simulator model (mutant schemata, as in MCY): each mutation is
guarded by a comparison with a module variable that an ``initial`` block reads from the ``+mutant=N``
plusarg, so the unmutated design is ``+mutant=0`` (or no plusarg) and one build serves every mutant.
The guards keep each expression's width and signedness (both arms of a guard have the original's
type, a stuck-at is ``(e) ^ (e)``) and no line breaks are added, so coverage lines still match.

A mutant is killed when the testbench does not pass on it (a failed check, a timeout, a crash); the
mutation score is killed / run. The unmutated run must pass first, else there is no score.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.build import BuildSpec, default_cache_dir
from pytest_llm4cov.observation import Observation, Outcome
from pytest_llm4cov.policy.rtl_facts import parse_number
from pytest_llm4cov.syntax_nodes import node_kind, node_span, within
from pytest_llm4cov.testbench import Testbench

#: The module variable every guard compares with; `_` keeps it out of Verilator's toggle coverage.
SELECT = "_llm4cov_mutant"
PLUSARG = "mutant"
DECLARATION = (
    f" integer {SELECT}; initial begin if (!$value$plusargs(\"{PLUSARG}=%d\", {SELECT})) {SELECT} = 0; end "
)
KINDS = ("operator", "constant", "condition", "stuck-at", "case-item")
#: Bump when the schemata's shape changes (the folder name of the generated sources depends on it).
SCHEMA_FORMAT = 1

_SWAPS = {
    "+": "-", "-": "+", "&": "|", "|": "&", "^": "|", "~^": "^", "^~": "^",
    "&&": "||", "||": "&&", "==": "!=", "!=": "==", "===": "!==", "!==": "===",
    "<": "<=", "<=": "<", ">": ">=", ">=": ">", "<<": ">>", ">>": "<<", "<<<": ">>>", ">>>": ">>",
}
_BINARY_SUFFIX = "Expression"
_ASSIGNMENTS = ("AssignmentExpression", "NonblockingAssignmentExpression")
_PROCEDURAL = ("AlwaysBlock", "AlwaysFFBlock", "AlwaysCombBlock", "AlwaysLatchBlock")
#: Subtrees where Verilog wants a constant or where a guard would change meaning: no mutants inside.
_FORBIDDEN = (
    "ElementSelect", "DelayControl", "EventControl", "EventControlWithExpression",
    "ImplicitEventControl", "FunctionDeclaration", "TaskDeclaration", "ParameterDeclaration",
    "ParameterDeclarationStatement", "TypeParameterDeclaration", "VariableDimension", "MultipleConcatenationExpression",
    "StreamingConcatenationExpression", "DataDeclaration", "ClockingDeclaration", "ConcurrentAssertionMember",
    "ImmediateAssertStatement", "ImmediateAssumeStatement", "ImmediateCoverStatement", "AssertPropertyStatement",
    "InsideExpression", "CastExpression", "SignedCastExpression",
)


@dataclass(frozen=True)
class Mutant:
    """One one-token change: where, what kind, the original text and its replacement."""

    id: int
    file: str
    line: int
    kind: str
    start: int
    end: int
    original: str
    replacement: str

    def diff(self, text: str) -> str:
        """The changed source lines as ``-``/``+`` lines (at most a few)."""
        lo = text.rfind("\n", 0, self.start) + 1
        hi = text.find("\n", self.end)
        hi = len(text) if hi < 0 else hi
        before = text[lo:hi]
        after = text[lo : self.start] + self.replacement + text[self.end : hi]
        minus = [f"-{ln}" for ln in before.splitlines()[:4]]
        plus = [f"+{ln}" for ln in after.splitlines()[:4]]
        return "\n".join(minus + plus)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Site:
    """A range of source text and the mutants that replace it; ``statement`` sites are guarded as a whole."""

    start: int
    end: int
    statement: bool
    mutants: tuple[Mutant, ...]


# -- finding mutants ---------------------------------------------------------------------------------


def _context(node) -> str | None:
    """The module a node may be mutated in ("ok"), or None when it sits where mutants are not allowed."""
    allowed = False
    n = node.parent
    while n is not None:
        k = node_kind(n)
        if k in _FORBIDDEN:
            return None
        if k in _PROCEDURAL or k == "ContinuousAssign":
            allowed = True
        if k == "NetDeclaration":
            allowed = True  # `wire [8:0] sum = a + b;` is a continuous assignment
        if k == "StandardCaseItem" and _inside_labels(node, n):
            return None
        if k in ("ForLoopStatement", "LoopGenerate") and not _inside_body(node, n):
            return None
        if k in ("IfGenerate", "CaseGenerate") and within(node, n.condition):
            return None
        if k == "ModuleDeclaration":
            return "ok" if allowed else None
        if k in ("InterfaceDeclaration", "PackageDeclaration", "ProgramDeclaration", "ClassDeclaration"):
            return None
        n = n.parent
    return None


def _inside_labels(node, item) -> bool:
    return node_span(node)[1] <= item.colon.range.start.offset


def _inside_body(node, loop) -> bool:
    body = getattr(loop, "statement", None) or getattr(loop, "block", None)
    if body is None:
        return False
    lo, hi = node_span(body)
    s, e = node_span(node)
    return lo <= s and e <= hi


def _literal_variants(text: str) -> list[str]:
    """``text`` plus and minus one, in its own size and base; none for x/z or unknown forms."""
    t = text.replace(" ", "")
    value = parse_number(t)
    if value is None or "?" in t:
        return []
    if "'" not in t:
        return [str(v) for v in (value + 1, value - 1) if v >= 0]
    size_text, _, rest = t.partition("'")
    signed = rest[:1] in "sS"
    base = (rest[1:] if signed else rest)[:1].lower()
    if base not in "bodh":
        return []
    size = int(size_text) if size_text else 32
    out = []
    for v in (value + 1, value - 1):
        if 0 <= v < (1 << size):
            digits = {"b": format(v, "b"), "o": format(v, "o"), "d": str(v), "h": format(v, "X")}[base]
            out.append(f"{size_text}'{'s' if signed else ''}{base}{digits}")
    return out


def _is_literal(text: str, zero: bool = False) -> bool:
    value = parse_number(text.strip())
    return value is not None and (value == 0 if zero else True)


def find_mutants(path: str, text: str) -> list[Mutant]:
    """Every mutant of one source file, in source order, numbered from 1."""
    import pyslang
    from pyslang import syntax

    tree = syntax.SyntaxTree.fromText(text, pyslang.SourceManager(), Path(path).name, str(path))
    found: list[tuple[int, int, str, str]] = []  # (start, end, kind, replacement)

    def keep(start: int, end: int, kind: str, replacement: str) -> None:
        original = text[start:end]
        if "`" in original or replacement == original:
            return
        found.append((start, end, kind, replacement.replace("\n", " ")))

    def visit(node) -> bool:
        if hasattr(node, "sourceRange"):
            try:
                mutate(node)
            except AttributeError:  # a node shape not foreseen here: no mutant from it, never a crash
                pass
        return True

    def mutate(node) -> None:
        kind = node_kind(node)
        if kind in ("UnaryBitwiseNotExpression", "UnaryLogicalNotExpression"):
            if _context(node) is not None:
                start, end = node_span(node)
                keep(start, end, "operator", text[slice(*node_span(node.operand))])
        elif kind.endswith(_BINARY_SUFFIX) and hasattr(node, "operatorToken") and kind not in _ASSIGNMENTS:
            if _context(node) is None:
                return
            start, end = node_span(node)
            op = node.operatorToken
            swapped = _SWAPS.get(op.rawText)
            if swapped:
                left, right = text[slice(*node_span(node.left))], text[slice(*node_span(node.right))]
                same = left.strip() == right.strip() and op.rawText in ("&", "|", "&&", "||")
                nothing = op.rawText in ("+", "-", "<<", ">>", ">>>", "<<<", "|", "^") and _is_literal(right, zero=True)
                if not (same or nothing):
                    o0, o1 = op.range.start.offset, op.range.end.offset
                    keep(start, end, "operator", text[start:o0] + swapped + text[o1:end])
        elif kind in ("IntegerLiteralExpression", "IntegerVectorExpression"):
            if _context(node) is None or node_kind(node.parent) in ("UnbasedUnsizedLiteralExpression",):
                return
            start, end = node_span(node)
            for variant in _literal_variants(text[start:end])[:1]:
                keep(start, end, "constant", variant)
        elif kind == "ConditionalStatement" or kind == "ConditionalExpression":
            conds = node.predicate.conditions
            if len(conds) == 1 and conds[0].matchesClause is None:
                expr = conds[0].expr
                if _context(expr) is not None:
                    s, e = node_span(expr)
                    if not _is_literal(text[s:e]):
                        keep(s, e, "condition", f"!({text[s:e]})")
        elif kind in _ASSIGNMENTS:
            if _context(node) is not None or node_kind(node.parent) == "ContinuousAssign":
                if _context(node.right) is not None:
                    s, e = node_span(node.right)
                    rhs = text[s:e]
                    if not _is_literal(rhs) and not rhs.strip().startswith("'"):  # literals: "constant"
                        keep(s, e, "stuck-at", f"({rhs}) ^ ({rhs})")
        elif kind in ("StandardCaseItem", "DefaultCaseItem"):
            body = node.clause
            if _context(body) is not None and node_kind(body) != "EmptyStatement":
                s, e = node_span(body)
                keep(s, e, "case-item", ";")

    tree.root.visit(visit)
    found.sort(key=lambda f: (f[0], -f[1], f[2]))
    out: list[Mutant] = []
    seen: set[tuple[int, int, str]] = set()
    for start, end, kind, replacement in found:
        if (start, end, replacement) in seen:
            continue
        seen.add((start, end, replacement))
        line = text.count("\n", 0, start) + 1
        out.append(Mutant(len(out) + 1, str(path), line, kind, start, end, text[start:end], replacement))
    return out


# -- the schemata --------------------------------------------------------------------------------------


def _sites(mutants: Sequence[Mutant]) -> list[_Site]:
    by_range: dict[tuple[int, int, bool], list[Mutant]] = {}
    for m in mutants:
        by_range.setdefault((m.start, m.end, m.kind == "case-item"), []).append(m)
    ordered = sorted(by_range.items(), key=lambda kv: (kv[0][0], -kv[0][1]))
    return [_Site(s, e, stmt, tuple(ms)) for (s, e, stmt), ms in ordered]


def _render(text: str, sites: list[_Site], lo: int, hi: int, i: int) -> tuple[str, int]:
    """``text[lo:hi]`` with every site starting at ``sites[i:]`` inside it guarded; returns (text, next i)."""
    out: list[str] = []
    at = lo
    while i < len(sites) and sites[i].start < hi:
        site = sites[i]
        if site.start < at or site.end > hi:  # overlaps without nesting: cannot be guarded, drop it
            i += 1
            continue
        out.append(text[at : site.start])
        inner, i = _render(text, sites, site.start, site.end, i + 1)
        out.append(_guard(site, inner))
        at = site.end
    out.append(text[at:hi])
    return "".join(out), i


def _guard(site: _Site, inner: str) -> str:
    if site.statement:
        (m,) = site.mutants[:1]
        return f"if ({SELECT} != {m.id}) begin {inner} end"
    arms = "".join(f"({SELECT} == {m.id}) ? ({m.replacement}) : " for m in site.mutants)
    return f"({arms}({inner}))"


def schemata(text: str, mutants: Sequence[Mutant]) -> str:
    """The source with every mutant guarded by ``+mutant=ID`` and the selector declared in each module."""
    import pyslang
    from pyslang import syntax

    if not mutants:
        return text
    sites = _sites(mutants)
    body, _ = _render(text, sites, 0, len(text), 0)
    # Declare the selector right after each module header that holds a mutant (found in the new text).
    tree = syntax.SyntaxTree.fromText(body, pyslang.SourceManager(), "schemata.v", "schemata.v")
    inserts: list[int] = []

    def visit(node) -> bool:
        if hasattr(node, "sourceRange") and node_kind(node) == "ModuleDeclaration":
            s, e = node_span(node)
            if SELECT in body[s:e]:
                inserts.append(node.header.semi.range.end.offset)
        return True

    tree.root.visit(visit)
    for at in sorted(inserts, reverse=True):
        body = body[:at] + DECLARATION + body[at:]
    return body


# -- running ----------------------------------------------------------------------------------------


@dataclass
class MutationResult:
    """Plain data for report.json: the score, the survivors with their diffs, the cost."""

    score: float | None
    mutants: int  # generated
    run: int
    killed: int
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    survivors: list[dict[str, Any]] = field(default_factory=list)
    killed_by: dict[str, int] = field(default_factory=dict)  # outcome -> count
    builds: int = 0
    build_s: float = 0.0
    run_s: float = 0.0
    error: str = ""
    #: Mutants in generate branches these parameters do not build: never compiled, so never run and
    #: never in the score (they would survive whatever the testbench checks).
    unbuilt: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mutants_of(spec: BuildSpec) -> dict[str, list[Mutant]]:
    """Mutants per source file of a design."""
    return {src: find_mutants(src, Path(src).read_text(errors="replace")) for src in spec.sources}


def schemata_spec(spec: BuildSpec, mutants: dict[str, list[Mutant]], cache_dir: Path | None = None) -> BuildSpec:
    """A build spec of the design with every file replaced by its schemata, numbered across files.

    The files go to a folder named by their content, so the build cache serves later runs.
    """
    texts: dict[str, str] = {}
    for src in spec.sources:
        texts[src] = schemata(Path(src).read_text(errors="replace"), mutants.get(src, []))
    digest = hashlib.sha256(repr((SCHEMA_FORMAT, sorted(texts.items()))).encode()).hexdigest()[:16]
    folder = (cache_dir or default_cache_dir()) / "mutants" / f"{spec.top}-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    sources = []
    for n, (src, text) in enumerate(texts.items()):
        path = folder / f"{n:02d}_{Path(src).name}"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        sources.append(str(path))
    # The originals' folders stay on the include path so that `include "x.vh"` still resolves.
    include = tuple(dict.fromkeys([*spec.include_dirs, *(str(Path(s).parent) for s in spec.sources)]))
    return replace(spec, sources=tuple(sources), include_dirs=include)


def number_mutants(per_file: dict[str, list[Mutant]]) -> dict[str, list[Mutant]]:
    """Renumber mutants 1..N across all files (ids are what ``+mutant=N`` selects)."""
    out: dict[str, list[Mutant]] = {}
    n = 0
    for src, mutants in per_file.items():
        out[src] = []
        for m in mutants:
            n += 1
            out[src].append(replace(m, id=n))
    return out


def _in_ranges(m: Mutant, ranges: Sequence[tuple]) -> bool:
    path = os.path.realpath(m.file)
    return any(m.line >= r[1] and m.line <= r[2] and os.path.realpath(r[0]) == path for r in ranges)


def _reached_lines(obs: Observation) -> dict[int, bool] | None:
    """Lines of the schemata (same numbering as the RTL) that the unmutated run executed."""
    if obs.coverage is None:
        return None
    reached: dict[int, bool] = {}
    for p in obs.coverage.points:
        if p.metric not in ("line", "branch"):
            continue
        _lo, hi = p.span or (p.line, p.line)
        for ln in range(p.line, max(p.line, hi) + 1):
            reached[ln] = reached.get(ln, False) or p.covered
    return reached


def mutation_test(
    spec: BuildSpec,
    testbench: Testbench,
    evaluator,
    *,
    limit: int | None = None,
    seed: int = 0,
    sample_seed: int = 0,
    only: Sequence[int] | None = None,
    on_mutant=None,
    unbuilt: Sequence[tuple] = (),
) -> MutationResult:
    """Run ``testbench`` against the mutants of ``spec`` (at most ``limit``, a fixed sample) on one build.

    ``unbuilt`` holds (file, first line, last line, ...) ranges the build does not compile
    (``DesignInterface.unbuilt``): mutants there are counted apart and never run.

    ``evaluator`` is an ``Evaluator`` (its simulator and cache); mutant runs get a wall-clock limit scaled
    from the unmutated run, so a mutant that hangs the testbench costs little (it counts as killed).
    """
    from pytest_llm4cov.evaluator import Evaluator

    per_file = number_mutants(mutants_of(spec))
    every = [m for ms in per_file.values() for m in ms]
    texts = {src: Path(src).read_text(errors="replace") for src in spec.sources}
    result = MutationResult(score=None, mutants=len(every), run=0, killed=0)
    if not every:
        result.error = "no mutants: the RTL has no mutable expressions in always blocks or assignments"
        return result
    mspec = schemata_spec(spec, per_file, getattr(evaluator, "cache_dir", None))
    t0 = time.monotonic()
    base = evaluator.evaluate(mspec, testbench, seed=seed)
    result.builds = 0 if base.cache_hit else 1  # 0: the schemata's model came from the build cache
    result.build_s = round(base.build_s or 0.0, 3)
    if base.outcome is Outcome.BUILD_FAILED:
        result.error = f"the mutant schemata did not build: {base.error}"
        return result
    if base.outcome is not Outcome.PASSED:
        result.error = f"the testbench does not pass on the unmutated design ({base.outcome.value}: {base.error})"
        return result
    chosen = [m for m in every if m.id in set(only)] if only else every
    built = [m for m in chosen if not _in_ranges(m, unbuilt)]
    result.unbuilt = len(chosen) - len(built)
    chosen = built
    if limit is not None and limit < len(chosen):
        chosen = sorted(random.Random(sample_seed).sample(chosen, limit), key=lambda m: m.id)
    inner = getattr(evaluator, "inner", evaluator)
    wall = min(inner.limits.wall_s, max(10.0, 4 * base.run_s + 5))
    runner = Evaluator(inner.simulator, cache_dir=inner.cache_dir, limits=replace(inner.limits, wall_s=wall),
                       scratch_dir=inner.scratch_dir)
    reached = _reached_lines(base)
    for m in chosen:
        obs = runner.evaluate(mspec, testbench, seed=seed, plusargs=[f"+{PLUSARG}={m.id}"])
        killed = obs.outcome is not Outcome.PASSED
        stats = result.by_kind.setdefault(m.kind, {"run": 0, "killed": 0})
        stats["run"] += 1
        result.run += 1
        if killed:
            stats["killed"] += 1
            result.killed += 1
            result.killed_by[obs.outcome.value] = result.killed_by.get(obs.outcome.value, 0) + 1
        else:
            survivor = {
                "id": m.id, "file": m.file, "line": m.line, "kind": m.kind, "diff": m.diff(texts[m.file]),
                "reached": None if reached is None else reached.get(m.line),
            }
            result.survivors.append(survivor)
        if on_mutant is not None:
            on_mutant(m, killed, obs)
    result.run_s = round(time.monotonic() - t0 - result.build_s, 3)  # the runs alone, the build apart
    result.score = round(result.killed / result.run, 6) if result.run else None
    return result


def render_mutation(design: str, r: MutationResult | dict[str, Any], max_survivors: int = 20) -> str:
    """The mutation result for people: score, per kind, survivors with their diffs."""
    d = r.to_dict() if isinstance(r, MutationResult) else r
    if d.get("error"):
        return f"{design}: mutation testing not done: {d['error']}"
    lines = [
        f"{design}: mutation score {d['score']:.1%} ({d['killed']}/{d['run']} killed, {d['mutants']} mutants, "
        f"{d['builds']} build {d['build_s']:.1f} s, {d['run_s']:.1f} s in all)"
    ]
    if d.get("unbuilt"):
        lines.append(f"  {d['unbuilt']} mutants left out: in generate branches these parameters do not build")
    kinds = ", ".join(f"{k} {v['killed']}/{v['run']}" for k, v in sorted(d["by_kind"].items()))
    if kinds:
        lines.append(f"  by kind: {kinds}")
    for s in d["survivors"][:max_survivors]:
        where = "" if s.get("reached") is None else (" (line reached)" if s["reached"] else " (line never reached)")
        lines.append(f"  survived #{s['id']} {s['kind']} at {Path(s['file']).name}:{s['line']}{where}")
        lines.extend(f"    {ln}" for ln in s["diff"].splitlines())
    if len(d["survivors"]) > max_survivors:
        lines.append(f"  ... {len(d['survivors']) - max_survivors} more survivors")
    return "\n".join(lines)


def check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise Llm4covError(f"the number of mutants must be at least 1, got {limit}")


def attach_mutation(item, design, result, evaluator, limit: int) -> None:
    """Mutation-test the best testbench of a closure run and store the result on its ``ItemResult``."""
    best = result.best
    if best.testbench is None or best.observation is None:
        item.mutation = MutationResult(None, 0, 0, 0, error="no testbench was kept").to_dict()
        return
    try:
        item.mutation = mutation_test(design.build, best.testbench, evaluator, limit=limit, seed=item.seed,
                                      unbuilt=design.interface.unbuilt).to_dict()
    except Llm4covError as exc:
        item.mutation = MutationResult(None, 0, 0, 0, error=str(exc)).to_dict()


def mutation_totals(results: Sequence[dict[str, Any] | None]) -> dict[str, Any] | None:
    """Killed / run summed over designs (None when no design was mutation-tested)."""
    done = [r for r in results if r and r.get("run")]
    if not done:
        return None
    run = sum(r["run"] for r in done)
    killed = sum(r["killed"] for r in done)
    return {"designs": len(done), "run": run, "killed": killed, "score": round(killed / run, 6),
            "survivors": sum(len(r.get("survivors", [])) for r in done)}
