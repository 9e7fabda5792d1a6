"""Scenarios: the short directed coroutines a model adds to the built-in policy's testbench (hybrid policy).

A scenario is ``async def scenario_<what>(tb, dut)``: it starts after a reset and drives the design
through the scaffold's helpers (``tb.set``, ``tb.step``, ``tb.read``, ``tb.reset``). The model writes
only these; ``splice`` appends them, between two marker comments, to a testbench the built-in policy
rendered, with a harness test that runs each one bounded in simulated time and isolated: one that
raises is reported as an ``llm4cov-note`` line (the evaluator turns those into observation notes)
and the next one runs, so the built-in stimulus's coverage is never lost to a model's mistake.

Data flows one way: reply -> ``parse_scenarios`` -> ``splice`` -> testbench -> evaluator -> notes ->
``scenario_results`` -> the next prompt.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pytest_llm4cov.repair import STANDARD_IMPORTS, fix_verilog_literals
from pytest_llm4cov.response import fenced_blocks
from pytest_llm4cov.scenario_repair import add_tb_parameter, await_scaffold_calls, make_async, promotable

PREFIX = "scenario_"
BEGIN = "# --- llm4cov scenarios: begin ---"
END = "# --- llm4cov scenarios: end ---"
#: A scenario is stopped after this many clock cycles (10 ns steps for a design without a clock) at
#: least; a design with longer counters gets longer (``policy.builtin.scenario_cycles``).
SCENARIO_CYCLES = 20_000
#: New scenarios taken from one reply; the rest are dropped with a note.
MAX_NEW = 3
#: Scenarios a testbench carries in all (the oldest go first).
MAX_KEPT = 12
#: The scaffold's trigger import, widened in a hybrid testbench so scenarios can use the usual names.
SCAFFOLD_IMPORT = "from cocotb.triggers import FallingEdge, Timer"
HYBRID_IMPORT = (
    "import inspect\nimport traceback\n\n"
    "from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge, Timer, with_timeout"
)

HARNESS = '''
SCENARIOS = [{names}]
SCENARIO_CYCLES = {cycles}  # each scenario is stopped after this many cycles


def _scenario_error(exc):
    """The exception and the scenario line that raised it, for the next prompt."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.name.startswith("{prefix}")]
    where = f" at `{{frames[-1].line}}`" if frames and frames[-1].line else ""
    text = " ".join(str(exc).split())[:200]
    return f"{{type(exc).__name__}}: {{text}}{{where}}" if text else f"{{type(exc).__name__}}{{where}}"


def _scenario_args(scenario, tb, dut):
    """``tb`` and ``dut`` by name; a parameter named otherwise (``tbl``, ``bench``) takes what is left, in that
    order: a scenario written ``(tbl, dut)`` runs rather than raising TypeError."""
    given = {{"tb": tb, "dut": dut}}
    params = [
        p.name for p in inspect.signature(scenario).parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    left = [value for name, value in given.items() if name not in params]
    args = {{}}
    for name in params:
        if name in given:
            args[name] = given[name]
        elif left:
            args[name] = left.pop(0)
    return args


@cocotb.test()
async def test_scenarios(dut):
    """Each directed scenario from a fresh reset, bounded; one that raises is reported, then the next runs."""
    tb = TB(dut)
    for scenario in SCENARIOS:
        await tb.reset()
        try:
            await with_timeout(scenario(**_scenario_args(scenario, tb, dut)), SCENARIO_CYCLES * 10, "ns")
        except Exception as exc:  # a model-written scenario: report it, keep the rest of the run
            dut._log.warning("llm4cov-note: scenario %s raised %s", scenario.__name__, _scenario_error(exc))
        else:
            dut._log.info("llm4cov-note: scenario %s ok", scenario.__name__)
'''

_RESULT = re.compile(r"^scenario (\w+) (ok|raised)\b ?(.*)$")


@dataclass(frozen=True)
class Scenario:
    """One top-level piece of the model's section: a scenario (run by the harness) or a helper."""

    name: str
    source: str
    runs: bool  # a scenario the harness runs; False for helpers, constants and imports

    @property
    def doc(self) -> str:
        try:
            node = ast.parse(self.source).body[0]
        except (SyntaxError, IndexError):
            return ""
        text = ast.get_docstring(node) if isinstance(node, (ast.AsyncFunctionDef, ast.FunctionDef)) else None
        return (text or "").strip().splitlines()[0] if text else ""


@dataclass(frozen=True)
class ParsedScenarios:
    """What a reply held: the pieces to splice in, the fixes made to them, and what was dropped and why."""

    pieces: tuple[Scenario, ...]
    fixes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    how: str = "none"  # "fenced", "unclosed", "unfenced", "none"

    @property
    def scenarios(self) -> tuple[Scenario, ...]:
        return tuple(p for p in self.pieces if p.runs)


def _code_of(text: str) -> tuple[str, str]:
    """The reply's code: its python blocks joined (models split scenarios over blocks), else the bare text."""
    blocks = fenced_blocks(text)
    if blocks:
        python = [b for b in blocks if b.lang in ("", "python", "py", "python3")] or blocks
        how = "fenced" if all(b.closed for b in python) else "unclosed"
        return "\n\n".join(b.code for b in python), how
    return text, "unfenced" if "def " in text else "none"


def _chunks(code: str) -> list[str]:
    """The code cut before each top-level statement that starts a definition (decorators included)."""
    lines = code.splitlines()
    starts = [
        i for i, ln in enumerate(lines)
        if re.match(r"(async\s+def\b|def\b|class\b|@)", ln) and not (i and lines[i - 1].startswith("@"))
    ]
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    return ["\n".join(lines[a:b]) for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)]


def is_test_decorator(node: ast.expr) -> bool:
    """``@cocotb.test()`` or ``@test`` (with or without the call): what marks a cocotb test."""
    target = node.func if isinstance(node, ast.Call) else node
    return ast.unparse(target) in ("cocotb.test", "test")


def parse_scenarios(
    text: str | None, *, truncated: bool = False, max_new: int = MAX_NEW, fix: bool = True, promote: bool = True
) -> ParsedScenarios:
    """The scenarios in a model's reply; never raises. Broken pieces are dropped, each with a reason.

    Kept at top level: ``async def`` (a scenario when it is named ``scenario_*`` or ``test_*`` or is
    decorated ``@cocotb.test()``; otherwise a helper coroutine), ``def``, constants and imports. With
    ``fix`` (the default), Verilog literals become Python integers and a test function becomes a
    scenario (decorator dropped, renamed: how it is started changes, not what it does), and the fixes of
    ``scenario_repair`` apply (with ``promote``, a reply of helpers alone has its uncalled ``(tb, dut)``
    coroutine made the scenario; ``pieces_of`` reads a testbench's kept helpers without it). ``fix=False``
    gives what the reply holds as written (the "before repair" measurement).
    """
    if not text or not text.strip():
        return ParsedScenarios((), problems=("the reply was empty: write scenario functions in one ```python block",))
    code, how = _code_of(text.replace("\r\n", "\n"))
    if how == "none":
        return ParsedScenarios((), problems=("no ```python block with `async def scenario_...(tb, dut):` in the reply",))
    pieces: list[Scenario] = []
    fixes: list[str] = []
    problems: list[str] = []
    if fix and truncated and how != "fenced":
        # The reply stopped mid-line at the token limit: its last line is unfinished (`await tb` parses,
        # and raises when run), so it goes; a scenario left without a body is dropped below.
        lines = code.rstrip("\n").splitlines()
        if lines:
            fixes.append(f"the reply was cut off at the token limit: dropped its unfinished last line `{lines[-1].strip()[:60]}`")
            code = "\n".join(lines[:-1])
    for chunk in _chunks(code):
        if not chunk.strip():
            continue
        if fix:
            chunk, literal_fixes = fix_verilog_literals(chunk)
            fixes.extend(f for f in literal_fixes if f not in fixes)
        try:
            tree = ast.parse(chunk)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:  # nesting too deep for the parser too
            first = next((ln.strip() for ln in chunk.splitlines() if ln.strip()), "")
            cut = " (the reply was cut off at the token limit: write shorter scenarios)" if truncated else ""
            why = f"{exc.msg}, line {exc.lineno}" if isinstance(exc, SyntaxError) else type(exc).__name__
            problems.append(f"dropped `{first[:80]}`: not valid Python ({why}){cut}")
            continue
        for node in tree.body:
            piece = _piece(chunk, node, fixes, problems, fix)
            if piece is not None and _loads(piece, node, problems):
                pieces.append(piece)
    if fix and promote and pieces and not any(p.runs for p in pieces):
        pieces = _promote_helpers(pieces, fixes)
    runs = [p for p in pieces if p.runs]
    if len(runs) > max_new:
        extra = {p.name for p in runs[max_new:]}
        problems.append(f"only {max_new} new scenarios per step: dropped {', '.join(sorted(extra))}")
        pieces = [p for p in pieces if p.name not in extra]
    if not any(p.runs for p in pieces) and not problems:
        problems.append("the reply held no `async def scenario_...(tb, dut):` function")
    return ParsedScenarios(tuple(pieces), tuple(fixes), tuple(problems), how)


def _promote_helpers(pieces: list[Scenario], fixes: list[str]) -> list[Scenario]:
    """A reply of helper coroutines and no scenario: each helper that takes only ``tb``/``dut`` and that
    nothing calls is the scenario, named otherwise (``async def open_lock(tb, dut)``); it becomes one."""
    out: list[Scenario] = []
    for piece in pieces:
        others = [p.source for p in pieces if p is not piece]
        if piece.runs or not promotable(piece.source, others):
            out.append(piece)
            continue
        new = PREFIX + piece.name
        source = re.sub(rf"\bdef\s+{re.escape(piece.name)}\b", f"def {new}", piece.source, count=1)
        fixes.append(f"the reply held no scenario; `{piece.name}` takes `tb`/`dut` and nothing calls it: "
                     f"made it the scenario `{new}`")
        node = ast.parse(source).body[0]
        assert isinstance(node, ast.AsyncFunctionDef)  # promotable() checked it
        out.append(Scenario(new, add_tb_parameter(node, new, source, fixes), True))
    return out


def loadable(pieces: Sequence[Scenario], scaffold: str, constants: Mapping[str, int] | None = None
             ) -> tuple[list[Scenario], list[str]]:
    """The pieces whose load-time code (class bases and bodies, decorators, default values, constants'
    values) uses only names the testbench defines by then: the scaffold's, the RTL constants, builtins,
    the imports repair adds, and earlier pieces. The others are dropped with the reason: a class written
    as ``class T(unittest.TestCase)`` with no import stops the whole testbench from loading."""
    defined = set(dir(builtins)) | set(constants or {}) | set(STANDARD_IMPORTS) | _top_names(
        ast.parse(scaffold.replace(SCAFFOLD_IMPORT, HYBRID_IMPORT, 1)))
    kept: list[Scenario] = []
    problems: list[str] = []
    for piece in pieces:
        tree = ast.parse(piece.source)  # every piece comes from parse_scenarios: it parses
        missing = sorted(_load_time_names(tree) - defined)
        if missing:
            problems.append(f"dropped `{piece.name}`: it needs `{missing[0]}` when the testbench loads, and nothing "
                            "defines it")
            continue
        kept.append(piece)
        defined |= _top_names(tree)
    return kept, problems


def _top_names(tree: ast.Module) -> set[str]:
    return {name for node in tree.body for name in defined_names(node)}


def defined_names(node: ast.stmt) -> list[str]:
    """The module-level names a top-level statement defines (a function, class, assignment or import)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    return []


def _load_time_names(tree: ast.Module) -> set[str]:
    """The free names a module-level statement evaluates when the module is imported."""
    exprs: list[ast.AST] = []
    local: set[str] = set()

    def function(node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        exprs.extend([*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d)])

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function(node)
        elif isinstance(node, ast.ClassDef):
            exprs.extend([*node.bases, *(k.value for k in node.keywords), *node.decorator_list])
            for stmt in node.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    function(stmt)
                    local.add(stmt.name)
                else:
                    exprs.append(stmt)
                    local.update(n.id for n in ast.walk(stmt)
                                 if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
        elif not isinstance(node, (ast.Import, ast.ImportFrom)):
            exprs.append(node)
    used = {n.id for e in exprs for n in ast.walk(e) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    stored = {n.id for e in exprs for n in ast.walk(e) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return used - local - stored


def piece_name(node: ast.stmt) -> str:
    """What a piece is called: a function by its name, anything else (imports, constants, classes) by its
    first line. The trainer names expert helpers the same way, so a reply built from them parses back."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return node.name
    return ast.unparse(node).splitlines()[0][:60]


def _piece(chunk: str, node: ast.stmt, fixes: list[str], problems: list[str], fix: bool = True) -> Scenario | None:
    source = ast.get_source_segment(chunk, node) or ""
    if isinstance(node, ast.AsyncFunctionDef):
        is_test = any(is_test_decorator(d) for d in node.decorator_list)
        name = node.name
        if fix and (is_test or name.startswith("test_")):
            new = PREFIX + (name[len("test_"):] if name.startswith("test_") else name)
            source = re.sub(rf"\bdef\s+{re.escape(name)}\b", f"def {new}", source, count=1)
            fixes.append(f"`{name}` is a test; made it the scenario `{new}` (the harness starts it after a reset)")
            name = new
        if fix and name.startswith(PREFIX):
            source = add_tb_parameter(node, name, source, fixes)
        if fix:  # a helper coroutine's `tb` is the harness too
            source = await_scaffold_calls(source, fixes)
        return Scenario(name, source, name.startswith(PREFIX))
    if isinstance(node, ast.FunctionDef):
        if any(is_test_decorator(d) for d in node.decorator_list) or node.name.startswith(PREFIX):
            fixed = make_async(node, source, fixes) if fix else None
            if fixed is not None:
                if any(is_test_decorator(d) for d in node.decorator_list):
                    fixed = f"@cocotb.test()\n{fixed}"  # still a test: _piece makes it a scenario
                try:
                    return _piece(fixed, ast.parse(fixed).body[0], fixes, problems, fix)
                except SyntaxError:  # pragma: no cover - `async` before a valid `def` stays valid
                    pass
            problems.append(f"dropped `{node.name}`: scenarios must be coroutines, `async def {node.name}(tb, dut):`")
            return None
        return Scenario(piece_name(node), ast.get_source_segment(chunk, node, padded=False) or source, False)
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.ClassDef)):
        return Scenario(piece_name(node), source, False)
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return None  # a stray docstring
    problems.append(f"dropped top-level `{ast.unparse(node).splitlines()[0][:80]}`: only definitions are kept")
    return None


#: Packages the testbench itself imports: a model's ``from X import Y`` from these is checked name by name
#: (importing them here runs nothing the testbench would not). Other modules are only looked up, never run.
_TESTBENCH_PACKAGES = frozenset({"cocotb", "cocotb_coverage", "random", "math", "inspect", "traceback"})


def _loads(piece: Scenario, node: ast.stmt, problems: list[str]) -> bool:
    """Whether ``piece`` can be part of the module: it compiles on its own (``await`` in a plain ``def``
    parses, then stops the whole testbench from loading) and its imports resolve. A piece that would not
    load is dropped with the reason, so one bad line costs its own scenario, not the scaffold's coverage."""
    try:
        compile(piece.source, "<scenario>", "exec")
    except (SyntaxError, ValueError) as exc:
        problems.append(f"dropped `{piece.name}`: {getattr(exc, 'msg', exc)} (line {getattr(exc, 'lineno', '?')})")
        return False
    why = _import_problem(node) if isinstance(node, (ast.Import, ast.ImportFrom)) else None
    if why:
        problems.append(f"dropped `{piece.name}`: {why}; the scaffold already imports cocotb, Clock and the triggers")
    return why is None


def _import_problem(node: ast.Import | ast.ImportFrom) -> str | None:
    if isinstance(node, ast.ImportFrom) and (node.level or not node.module):
        return "a relative import has nothing to import from in a testbench"
    wanted = [(a.name, ()) for a in node.names] if isinstance(node, ast.Import) else [
        (node.module or "", tuple(a.name for a in node.names if a.name != "*"))]
    for module, names in wanted:
        top = module.split(".")[0]
        try:
            if importlib.util.find_spec(top) is None:
                return f"no module named {top!r} here"
            if top not in _TESTBENCH_PACKAGES:
                continue  # it exists; its contents are not run here to check them
            loaded = importlib.import_module(module)
        except Exception:  # noqa: BLE001 - any failure to import is the answer
            return f"no module named {module!r}"
        missing = [n for n in names if not hasattr(loaded, n) and not _submodule(module, loaded, n)]
        if missing:
            return f"{module} has no {', '.join(missing)}"
    return None


def _submodule(package: str, loaded: object, name: str) -> bool:
    try:
        return hasattr(loaded, "__path__") and importlib.util.find_spec(f"{package}.{name}") is not None
    except Exception:  # noqa: BLE001
        return False


def section(source: str) -> str:
    """The model's section of a hybrid testbench (between the markers), or ''."""
    begin, end = source.find(BEGIN), source.find(END)
    if begin < 0 or end < begin:
        return ""
    return source[begin + len(BEGIN):end].strip("\n")


def pieces_of(source: str) -> list[Scenario]:
    """The pieces of a hybrid testbench's section, in order."""
    parsed = parse_scenarios(f"```python\n{section(source)}\n```", max_new=MAX_KEPT * 4, promote=False)
    return list(parsed.pieces)


def scenario_results(notes: Iterable[str]) -> dict[str, str]:
    """Scenario name -> "ok" or the error it raised, from an observation's notes."""
    results: dict[str, str] = {}
    for note in notes:
        m = _RESULT.match(note)
        if m:
            results[m.group(1)] = "ok" if m.group(2) == "ok" else (m.group(3) or "raised")
    return results


def merge(kept: Sequence[Scenario], new: Sequence[Scenario]) -> list[Scenario]:
    """Kept pieces then new ones; a new scenario whose name is taken gets a numbered name. So does a new
    helper function whose name a kept one has, and the new pieces call it by that name: defined again
    under the same name it would replace the helper the kept scenarios ran with (seen: a student's new
    ``start`` helper made its earlier scenario, which had run clean, raise)."""
    taken = {p.name for p in kept}
    renames: dict[str, str] = {}
    for piece in new:
        if not piece.runs and piece.name.isidentifier() and piece.name in taken and piece.name not in renames:
            n = 2
            while f"{piece.name}_{n}" in taken or f"{piece.name}_{n}" in {q.name for q in new}:
                n += 1
            renames[piece.name] = f"{piece.name}_{n}"
    if renames:
        pattern = re.compile(r"(?<![\w.])(" + "|".join(re.escape(k) for k in renames) + r")\b")  # not `tb.start`
        new = [Scenario(renames.get(p.name, p.name), pattern.sub(lambda m: renames[m.group(1)], p.source), p.runs)
               for p in new]
    out = list(kept)
    for piece in new:
        if piece.runs and piece.name in taken:
            n = 2
            while f"{piece.name}_{n}" in taken:
                n += 1
            renamed = f"{piece.name}_{n}"
            piece = Scenario(renamed, re.sub(rf"\bdef\s+{piece.name}\b", f"def {renamed}", piece.source, count=1), True)
        taken.add(piece.name)
        out.append(piece)
    runs = [p for p in out if p.runs]
    if len(runs) > MAX_KEPT:
        dropped = {p.name for p in runs[: len(runs) - MAX_KEPT]}
        out = [p for p in out if p.name not in dropped]
    return out


def constants_block(constants: Mapping[str, int], scaffold: str) -> str:
    """The RTL's parameters as Python constants, so scenarios can name them as the RTL does (models do);
    names the scaffold defines itself, or that are no Python identifier, are left out."""
    taken = set(re.findall(r"^([A-Za-z_]\w*)\s*=", scaffold, re.MULTILINE)) | {"tb", "dut"}
    lines = [
        f"{name} = {value:#x}" if value > 9 else f"{name} = {value}"
        for name, value in constants.items()
        if name.isidentifier() and not keyword.iskeyword(name) and name not in taken
    ]
    if not lines:
        return ""
    return "# The RTL's parameters and localparams, under the names the RTL gives them.\n" + "\n".join(lines) + "\n"


def splice(
    scaffold: str, pieces: Sequence[Scenario], author: str = "a model", constants: Mapping[str, int] | None = None,
    cycles: int = SCENARIO_CYCLES,
) -> str:
    """The scaffold testbench with ``pieces`` (after the RTL's ``constants``) and the harness appended
    (each scenario stopped after ``cycles``); the scaffold alone when there are no pieces."""
    if not pieces:
        return scaffold
    if SCAFFOLD_IMPORT not in scaffold:
        raise ValueError("the scaffold lacks its trigger import; was it rendered from templates/stimulus_tb.py?")
    body = "\n\n\n".join(p.source.rstrip() for p in pieces)
    consts = constants_block(constants or {}, scaffold)
    if consts:
        body = f"{consts}\n\n{body}"
    names = ", ".join(p.name for p in pieces if p.runs)
    header = (
        f"# Directed scenarios written by {author} for points the stimulus above missed. Each starts after\n"
        f"# a reset and may use `tb` (set/read/step/reset) and `dut`; test_scenarios below runs them.\n"
    )
    harness = HARNESS.format(names=names, cycles=cycles, prefix=PREFIX)
    text = scaffold.replace(SCAFFOLD_IMPORT, HYBRID_IMPORT, 1).rstrip("\n")
    return f"{text}\n\n\n{BEGIN}\n{header}\n\n{body}\n{END}\n\n{harness}"


def unsplice(source: str) -> str:
    """The scaffold a hybrid testbench was spliced from (``splice``'s inverse): run alone, it tells what
    the scenarios themselves added (the trainer's curation)."""
    begin = source.find(BEGIN)
    if begin < 0:
        return source
    return source[:begin].rstrip("\n").replace(HYBRID_IMPORT, SCAFFOLD_IMPORT, 1) + "\n"
