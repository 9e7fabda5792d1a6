"""What a testbench needs to know about a design: its top module, ports, parameters, clock and reset.

Parsed and elaborated with pyslang, so the answer matches what a real tool sees (widths after parameter
evaluation, the top as the module nobody instantiates). Parse errors become one Llm4covError line naming
the file, the line and pyslang's message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pytest_llm4cov import Llm4covError

RTL_SUFFIXES = (".v", ".sv")
#: Macros Verilator predefines (the simulator every coverage build uses), seen by the elaboration too.
SIMULATOR_DEFINES = {"VERILATOR": "1", "verilator": "1", "verilator3": "1", "SYSTEMVERILOG": "1"}
#: The largest RTL file read (MB); LLM4COV_MAX_RTL_MB raises it. pyslang needs ~50x its size in memory.
MAX_RTL_MB = 32

_CLOCK_NAMES = re.compile(r"^(clk|clock|aclk|pclk|hclk|sclk|i_clk|clk_i|clk_in|.*_clk|clk_.*)$", re.IGNORECASE)
_RESET_NAMES = re.compile(r"^(.*_)?(rst|reset|areset|preset|hreset|arst|srst)(_?n|_?b|_?l|_ni|_i|_in)?(_.*)?$", re.I)
_ACTIVE_LOW = re.compile(r"(_n|n|_b|_l|_ni)(_i|_in)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Port:
    name: str
    direction: str  # "input" | "output" | "inout"
    width: int  # all bits of the port, an unpacked array's elements together
    signed: bool = False
    elements: int = 1  # more than 1: an unpacked array (a testbench drives each element)
    #: A packed struct's fields, ``(name, msb, lsb)`` in the port's bits, a nested struct's as ``outer.inner``.
    fields: tuple[tuple[str, int, int], ...] = ()

    @property
    def max_value(self) -> int:
        return (1 << self.width) - 1


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    value: str
    local: bool = False


@dataclass(frozen=True, slots=True)
class Reset:
    name: str
    active_low: bool

    @property
    def asserted(self) -> int:
        return 0 if self.active_low else 1


@dataclass(frozen=True, slots=True)
class DesignInterface:
    """The top module as a testbench sees it."""

    top: str
    sources: tuple[str, ...]
    ports: tuple[Port, ...]
    parameters: tuple[Parameter, ...] = ()
    clock: str | None = None
    reset: Reset | None = None
    modules: tuple[str, ...] = ()
    top_line: int = 0
    top_file: str = ""
    #: Code no stimulus can run, proven from the elaborated design: (file, first line, last line, reason),
    #: and a fifth item, a signal name, for a signal that cannot toggle (its toggle points only).
    unreachable: tuple[tuple, ...] = ()
    #: Generate branches these parameters build in no instance: (file, first line, last line, reason).
    #: The simulator compiles nothing there, so no coverage point and no mutant there can ever run.
    unbuilt: tuple[tuple[str, int, int, str], ...] = ()

    @property
    def inputs(self) -> tuple[Port, ...]:
        return tuple(p for p in self.ports if p.direction == "input")

    @property
    def outputs(self) -> tuple[Port, ...]:
        return tuple(p for p in self.ports if p.direction != "input")

    @property
    def data_inputs(self) -> tuple[Port, ...]:
        """Inputs other than the clock and the reset: what stimulus drives."""
        special = {self.clock, self.reset.name if self.reset else None}
        return tuple(p for p in self.inputs if p.name not in special)

    def port(self, name: str) -> Port:
        for p in self.ports:
            if p.name == name:
                return p
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {
            "top": self.top,
            "sources": list(self.sources),
            "ports": [
                {"name": p.name, "direction": p.direction, "width": p.width, "signed": p.signed,
                 **({"elements": p.elements} if p.elements > 1 else {}),
                 **({"fields": [list(f) for f in p.fields]} if p.fields else {})}
                for p in self.ports
            ],
            "parameters": {p.name: p.value for p in self.parameters if not p.local},
            "clock": self.clock,
            "reset": {"name": self.reset.name, "active_low": self.reset.active_low} if self.reset else None,
        }


@dataclass(frozen=True, slots=True)
class Elaboration:
    """All modules of a file set: the tops (defined, never instantiated) and every module's ports."""

    tops: tuple[str, ...]
    modules: tuple[str, ...]
    interfaces: Mapping[str, DesignInterface] = field(default_factory=dict)
    unreachable: tuple[tuple[str, int, int, str], ...] = ()
    unbuilt: tuple[tuple[str, int, int, str], ...] = ()


def rtl_files(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Expand files and directories into a sorted list of RTL files (absolute paths)."""
    out: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(str(p.resolve()) for p in sorted(path.iterdir()) if p.suffix in RTL_SUFFIXES and p.is_file())
        elif path.is_file():
            out.append(str(path.resolve()))
        else:
            raise Llm4covError(f"{raw}: no such RTL file or directory")
    if not out:
        joined = ", ".join(str(p) for p in paths)
        raise Llm4covError(f"{joined}: no .v or .sv files found (give RTL files or a directory holding them)")
    limit = _max_rtl_mb()
    for src in out:
        size = os.path.getsize(src)
        if size > limit * 1024 * 1024:
            raise Llm4covError(
                f"{src}: {size / 2**20:.0f} MB is over the {limit:g} MB limit for one RTL file "
                "(remove it from the design, or raise LLM4COV_MAX_RTL_MB)"
            )
    return out


def _max_rtl_mb() -> float:
    raw = os.environ.get("LLM4COV_MAX_RTL_MB", "")
    try:
        return float(raw) if raw else MAX_RTL_MB
    except ValueError:
        raise Llm4covError(f"LLM4COV_MAX_RTL_MB={raw!r}: expected a number of megabytes") from None


def guess_clock(ports: Sequence[Port]) -> str | None:
    candidates = [p.name for p in ports if p.direction == "input" and p.width == 1 and _CLOCK_NAMES.match(p.name)]
    return min(candidates, key=len) if candidates else None


def guess_reset(ports: Sequence[Port]) -> Reset | None:
    candidates = [p.name for p in ports if p.direction == "input" and p.width == 1 and _RESET_NAMES.match(p.name)]
    if not candidates:
        return None
    name = min(candidates, key=len)
    return Reset(name, active_low=bool(_ACTIVE_LOW.search(name)) or name.lower().endswith(("resetn", "rstn")))


def _direction(symbol) -> str:
    text = str(symbol.direction).rsplit(".", 1)[-1].lower()
    return {"in": "input", "out": "output", "inout": "inout", "ref": "inout"}.get(text, text)


def _port(symbol) -> Port:
    """A port; an unpacked array (``logic [31:0] x [2]``) counts all its bits, its elements in ``elements``."""
    kind = symbol.type
    if kind.isUnpackedArray:
        elements = 1
        while kind.isUnpackedArray and kind.hasFixedRange:
            elements *= kind.fixedRange.width
            kind = kind.arrayElementType
        return Port(symbol.name, _direction(symbol), int(symbol.type.bitstreamWidth), bool(kind.isSigned), elements)
    return Port(symbol.name, _direction(symbol), int(kind.bitWidth), bool(kind.isSigned), fields=_struct_fields(kind))


def _struct_fields(kind, prefix: str = "", offset: int = 0) -> tuple[tuple[str, int, int], ...]:
    """A packed struct's fields by bit position: a scenario sets ``ctrl_i.prediv`` rather than packing the
    struct by hand (OpenTitan's ports are such structs). Empty for any other type, a packed union included."""
    kind = kind.canonicalType
    if not str(kind.kind).endswith("PackedStructType"):
        return ()
    out: list[tuple[str, int, int]] = []
    for member in kind:
        if "Field" not in str(member.kind):
            continue
        lsb = offset + int(member.bitOffset)
        width = int(member.type.bitWidth)
        name = f"{prefix}{member.name}"
        out.append((name, lsb + width - 1, lsb))
        out.extend(_struct_fields(member.type, f"{name}.", lsb))
    return tuple(out)


def elaborate(
    sources: Sequence[str],
    *,
    defines: Mapping[str, str] | None = None,
    include_dirs: Sequence[str] = (),
    parameters: Mapping[str, object] | None = None,
    top: str | None = None,
    diagnose: bool = True,
) -> Elaboration:
    """Parse and elaborate a file set with pyslang; raise Llm4covError on the first error.

    ``top`` forces a module that others instantiate to be elaborated as the top (testing a submodule).
    With ``diagnose``, an error in text that parses is checked against the top's parameters: when
    overriding one of them makes the design elaborate, the error names it and the llm4cov.toml fix.
    """
    import pyslang
    from pyslang import ast, syntax

    sm = pyslang.SourceManager()
    for inc in include_dirs:
        sm.addUserDirectories(str(inc))
    options = pyslang.Bag()
    pp = pyslang.parsing.PreprocessorOptions()
    # The simulator's own predefined macro, so `ifdef VERILATOR code (OpenTitan's assertion macros)
    # reads here as the build compiles it.
    pp.predefines = [f"{k}={v}" for k, v in {**SIMULATOR_DEFINES, **(defines or {})}.items()]
    options.preprocessorOptions = pp
    comp_opts = ast.CompilationOptions()
    if parameters:
        comp_opts.paramOverrides = [f"{k}={v}" for k, v in parameters.items()]
    if top:
        comp_opts.topModules = {top}
    options.compilationOptions = comp_opts
    compilation = ast.Compilation(options)
    buffers = []
    for src in sources:
        data = Path(src).read_bytes()
        if b"\0" in data[:4096]:
            raise Llm4covError(f"{src}: binary file, not Verilog/SystemVerilog text (remove it or rename it)")
        buffers.append(sm.assignText(str(src), data.decode(errors="replace")))
    # One compilation unit, as Verilator compiles the files: a macro defined in one file (OpenTitan's
    # prim_assert.sv) is visible in the files after it.
    compilation.addSyntaxTree(syntax.SyntaxTree.fromBuffers(buffers, sm, options))
    root = compilation.getRoot()
    engine = pyslang.DiagnosticEngine(sm)
    for diag in compilation.getAllDiagnostics():
        if diag.isError():
            loc = diag.location
            where = f"{sm.getFullPath(loc.buffer)}:{sm.getLineNumber(loc)}" if loc.buffer.id else (sources[0])
            message = engine.formatMessage(diag)
            if diagnose and _parse_clean(compilation):
                # The text parses: a default parameter may be what does not elaborate (width 0 as a divisor).
                fix = _parameter_fix(sources, root, defines, include_dirs, parameters, top)
                if fix:
                    name, default, value = fix
                    raise Llm4covError(
                        f"{where}: {message}: the RTL parses but does not elaborate with the default "
                        f"{name} = {default}; set it in llm4cov.toml, e.g. parameters = {{{name} = {value}}}"
                    )
            raise Llm4covError(f"{where}: {message} (fix the RTL so that it parses)")
    # getDefinitions() also holds UDPs (PrimitiveSymbol), which have no definitionKind.
    defined = tuple(
        sorted(d.name for d in compilation.getDefinitions() if str(getattr(d, "definitionKind", "")).endswith("Module"))
    )
    interfaces: dict[str, DesignInterface] = {}
    for inst in root.topInstances:
        body = inst.body
        loc = inst.location
        for p in body.portList:
            if not hasattr(p, "direction"):  # an interface port: nothing a testbench can drive
                raise Llm4covError(
                    f"{sm.getFullPath(loc.buffer)}:{sm.getLineNumber(p.location)}: top module '{inst.name}' has "
                    f"interface port '{p.name}', which cocotb and Verilator cannot drive (wrap the top in a "
                    "module with plain ports and test that one)"
                )
        ports = tuple(_port(p) for p in body.portList)
        # A type parameter has no value: its type stands for it.
        params = tuple(
            Parameter(p.name, str(getattr(p, "value", None) if hasattr(p, "value") else p.targetType),
                      bool(p.isLocalParam))
            for p in body.parameters
        )
        interfaces[inst.name] = DesignInterface(
            top=inst.name,
            sources=tuple(sources),
            ports=ports,
            parameters=params,
            clock=guess_clock(ports),
            reset=guess_reset(ports),
            modules=defined,
            top_line=sm.getLineNumber(loc),
            top_file=str(sm.getFullPath(loc.buffer)),
        )
    unreachable = (*_uncalled_subroutines(compilation, sm), *_full_case_defaults(compilation, sm),
                   *_coverage_off_regions(sources), *_constant_signals(compilation, sm))
    return Elaboration(tops=tuple(interfaces), modules=defined, interfaces=interfaces,
                       unreachable=tuple(dict.fromkeys(unreachable)), unbuilt=_unbuilt_generate_blocks(compilation, sm))


def _unbuilt_generate_blocks(compilation, sm) -> tuple[tuple[str, int, int, str], ...]:
    """The generate branches (``if (P)`` or ``case (P)`` generate) that the
    parameters build in no instance: a module instantiated twice with other parameters counts as built
    wherever either instance builds the branch."""
    from pyslang import ast

    built: set[tuple[int, int]] = set()
    unbuilt: dict[tuple[int, int], object] = {}

    def visit(node):
        if isinstance(node, ast.GenerateBlockSymbol) and node.syntax is not None:
            span = node.syntax.sourceRange
            key = (span.start.buffer.id, span.start.offset)
            if node.isUninstantiated:
                unbuilt[key] = span
                return ast.VisitAction.Skip
            built.add(key)
        return ast.VisitAction.Advance

    compilation.getRoot().visit(visit)
    out = []
    for key, span in unbuilt.items():
        path = str(sm.getFullPath(span.start.buffer))
        if key in built or not os.path.isfile(path):
            continue
        first, last = sm.getLineNumber(span.start), sm.getLineNumber(span.end)
        out.append((path, first, last, "not built: a generate branch these parameters do not build"))
    return tuple(sorted(dict.fromkeys(out)))


#: The widest case selector whose values are counted (2**16 items at most).
_MAX_CASE_BITS = 16


def _full_case_defaults(compilation, sm) -> list[tuple[str, int, int, str]]:
    """The ``default`` of a plain ``case`` whose items, evaluated, list every value of its selector's
    width (``case ({a, b}) 2'b00 ... 2'b11 ... default``): no value is left for it, whatever the stimulus."""
    from pyslang import ast

    root = compilation.getRoot()
    out: list[tuple[str, int, int, str]] = []

    def visit(node) -> bool:
        if not isinstance(node, ast.CaseStatement) or node.defaultCase is None:
            return True
        if str(node.condition).rsplit(".", 1)[-1] != "Normal" or str(node.check).rsplit(".", 1)[-1] == "Inside":
            return True
        width = node.expr.type.bitWidth
        if not 0 < width <= _MAX_CASE_BITS:
            return True
        seen: set[int] = set()
        ctx = ast.EvalContext(root)
        for item in node.items:
            for expr in item.expressions:
                value = expr.eval(ctx)
                text = str(value)
                match = re.fullmatch(r"(\d+)'s?([bdh])([0-9a-fA-F]+)", text)
                if value is None or not match:
                    return True  # not a known constant (x/z, a variable): claim nothing
                seen.add(int(match.group(3), {"b": 2, "d": 10, "h": 16}[match.group(2)]))
        if len(seen) == 1 << width:
            span = node.defaultCase.sourceRange
            path = str(sm.getFullPath(span.start.buffer))
            if os.path.isfile(path):
                first, last = sm.getLineNumber(span.start), sm.getLineNumber(span.end)
                # the point sits on the `default` label, which may be a line above its statement
                lines = Path(path).read_text(errors="replace").splitlines()
                while first > 1 and not re.search(r"\bdefault\b", lines[first - 1]):
                    first -= 1
                out.append((path, first, last,
                            f"unreachable: the case items list all {1 << width} values of the selector"))
        return True

    root.visit(visit)
    return out


def _lvalue_symbols(expr) -> list:
    """The variables an assignment's left side writes (through selects and concatenations)."""
    from pyslang import ast

    if isinstance(expr, ast.NamedValueExpression):
        return [expr.symbol]
    if isinstance(expr, (ast.ElementSelectExpression, ast.RangeSelectExpression, ast.MemberAccessExpression)):
        return _lvalue_symbols(expr.value)
    if isinstance(expr, ast.ConcatenationExpression):
        return [s for operand in expr.operands for s in _lvalue_symbols(operand)]
    return [None]  # something not understood: counts as another driver of nothing known


def _constant_signals(compilation, sm) -> list[tuple]:
    """Signals whose only driver, in every instance, is a continuous assignment of a constant
    (``assign unused = 1'b1``, a coefficient table entry): their bits never toggle, whatever the
    stimulus. Uninstantiated generate branches are skipped; a signal also connected to a port, or
    written anywhere else, is not claimed."""
    from pyslang import ast
    from pyslang.ast import VisitAction

    root = compilation.getRoot()
    writes: dict[tuple[str, int, str], int] = {}
    constant: dict[tuple[str, int, str], int] = {}

    def where(sym) -> tuple[str, int, str]:
        return (str(sm.getFullPath(sym.location.buffer)), sm.getLineNumber(sym.location), sym.name)

    def visit(node):
        if isinstance(node, ast.GenerateBlockSymbol) and node.isUninstantiated:
            return VisitAction.Skip
        if isinstance(node, ast.AssignmentExpression):
            for sym in _lvalue_symbols(node.left):
                if sym is not None and sym.location.buffer.id:
                    writes[where(sym)] = writes.get(where(sym), 0) + 1
        if isinstance(node, ast.ContinuousAssignSymbol):
            a = node.assignment
            if isinstance(a, ast.AssignmentExpression) and isinstance(a.left, ast.NamedValueExpression):
                value = str(a.right.eval(ast.EvalContext(node)))
                if re.fullmatch(r"\d+'s?[bdh][0-9a-fA-F]+", value):  # known bits only (no x/z, not unset)
                    k = where(a.left.symbol)
                    constant[k] = constant.get(k, 0) + 1
        return VisitAction.Advance

    root.visit(visit)
    out = []
    texts: dict[str, str] = {}
    for (path, line, name), n in constant.items():
        if writes.get((path, line, name)) != n or not os.path.isfile(path):
            continue
        if path not in texts:
            texts[path] = Path(path).read_text(errors="replace")
        if re.search(rf"\.\s*\w+\s*\(\s*{re.escape(name)}\b", texts[path]):
            continue  # connected to an instance's port: that port may drive it
        out.append((path, line, line, f"unreachable: {name} is driven by a constant", name))
    return out


_COVERAGE_OFF = re.compile(r"(?://|/\*).*\bcoverage\s+off\b", re.I)
_COVERAGE_ON = re.compile(r"(?://|/\*).*\bcoverage\s+on\b", re.I)


def _coverage_off_regions(sources: Sequence[str]) -> list[tuple[str, int, int, str]]:
    """Lines between the comment pragmas other tools read (``// pragma coverage off``, ``//VCS coverage
    off`` ... ``coverage on``): the RTL's author excludes them; Verilator reads only its own form."""
    out = []
    for src in sources:
        try:
            lines = Path(src).read_text(errors="replace").splitlines()
        except OSError:
            continue
        start = None
        for number, line in enumerate(lines, 1):
            if start is None and _COVERAGE_OFF.search(line):
                start = number
            elif start is not None and _COVERAGE_ON.search(line):
                out.append((src, start, number, f"excluded by the RTL: coverage off at line {start}"))
                start = None
        if start is not None:
            out.append((src, start, len(lines), f"excluded by the RTL: coverage off at line {start}"))
    return out


def _uncalled_subroutines(compilation, sm) -> tuple[tuple[str, int, int, str], ...]:
    """Functions and tasks of the sources that the elaborated design never calls (a package's unused
    helpers), directly or through functions it calls: their lines never run, whatever the stimulus.
    Calls in generate branches the parameters do not build do not count; a call from design code
    counts even in a constant expression, so the answer errs towards reachable."""
    from pyslang import ast

    def key(sub) -> tuple[str, int, int]:
        return (sub.name, sub.location.buffer.id, sub.location.offset)

    def calls_in(node) -> tuple[dict, list]:
        """Call sites (buffer, offset) -> the callee's key, and the subroutines defined below ``node``."""
        calls: dict = {}
        subs: list = []

        def visit(n):
            if isinstance(n, ast.GenerateBlockSymbol) and n.isUninstantiated:
                return ast.VisitAction.Skip  # not built under these parameters: its calls never run
            if isinstance(n, ast.CallExpression) and isinstance(n.subroutine, ast.SubroutineSymbol):
                site = n.sourceRange.start
                calls[(site.buffer.id, site.offset)] = key(n.subroutine)
            elif isinstance(n, ast.SubroutineSymbol) and n.syntax is not None and n.location.buffer.id:
                subs.append(n)
            return ast.VisitAction.Advance

        node.visit(visit)
        return calls, subs

    every, defined = calls_in(compilation.getRoot())
    for package in compilation.getPackages():
        more_calls, more_subs = calls_in(package)
        every.update(more_calls)
        defined.extend(more_subs)
    by_key = {key(s): s for s in defined}
    callees: dict = {}
    inside: set = set()
    for k, sub in by_key.items():
        sites, _ = calls_in(sub)
        callees[k] = set(sites.values())
        inside.update(sites)
    # Called from design code (a site outside every function), then whatever those call.
    reached = {callee for site, callee in every.items() if site not in inside}
    todo = list(reached)
    while todo:
        for callee in callees.get(todo.pop(), ()):
            if callee not in reached:
                reached.add(callee)
                todo.append(callee)
    out = []
    for k, sub in by_key.items():
        if k in reached:
            continue
        span = sub.syntax.sourceRange
        path = str(sm.getFullPath(sub.location.buffer))
        for _ in range(8):  # defined by a macro: the lines where the macro is used
            if os.path.isfile(path) or not sm.isMacroLoc(span.start):
                break
            span = sm.getExpansionRange(span.start)
            path = str(sm.getFullPath(span.start.buffer))
        if not os.path.isfile(path):
            continue
        first, last = sm.getLineNumber(span.start), sm.getLineNumber(span.end)
        out.append((path, first, last, f"unreachable: {sub.name}() is never called by the design"))
    return tuple(dict.fromkeys(out))


def _parse_clean(compilation) -> bool:
    """True when every error is semantic (elaboration), none from parsing or preprocessing."""
    for tree in compilation.getSyntaxTrees():
        if any(d.isError() for d in tree.diagnostics):
            return False
    return True


#: Values tried for a parameter whose default does not elaborate; the first that works is suggested.
_TRY_VALUES = (1, 2, 4, 8, 16, 32)


def _parameter_fix(
    sources: Sequence[str], root, defines, include_dirs: Sequence[str], parameters, top: str | None
) -> tuple[str, str, int] | None:
    """(parameter, its default, a value that elaborates) for the first top parameter whose override
    alone makes the design elaborate; None when no single parameter does. Evaluated, not guessed."""
    candidates: list[tuple[str, str]] = []
    for inst in root.topInstances:
        if top and inst.name != top:
            continue
        for p in inst.body.parameters:
            if not p.isLocalParam and hasattr(p, "value") and p.name not in (parameters or {}):
                candidates.append((p.name, str(p.value)))
    for name, default in candidates[:8]:
        for value in _TRY_VALUES:
            try:
                elaborate(sources, defines=defines, include_dirs=include_dirs,
                          parameters={**(parameters or {}), name: value}, top=top, diagnose=False)
            except Llm4covError:
                continue
            return name, default, value
    return None


_PACKAGE_DECL = re.compile(r"^\s*package\s+([A-Za-z_]\w*)\s*;", re.M)
_MODULE_DECL = re.compile(r"^\s*(?:module|interface|program|primitive)\b", re.M)
_PACKAGE_USE = re.compile(r"\b([A-Za-z_]\w*)\s*::")


_INCLUDE = re.compile(r'`include\s+"([^"]+)"')


def drop_included(sources: Sequence[str]) -> list[str]:
    """The sources without those another source `include`s: an included file is part of its includer
    (macro files such as OpenTitan's prim_assert.sv), never a compilation unit of its own."""
    included: set[str] = set()
    for src in sources:
        try:
            text = Path(src).read_text(errors="replace")
        except OSError:
            continue
        included.update(os.path.basename(name) for name in _INCLUDE.findall(text))
    kept = [s for s in sources if os.path.basename(s) not in included]
    return kept or list(sources)


def order_sources(sources: Sequence[str]) -> list[str]:
    """Files of macros only first, then files declaring packages, each after the packages it uses;
    the rest keep their order.

    Verilator (like most simulators) needs a package compiled before any file that imports it, while
    a user's folder sorts by name (``foo.sv`` before ``foo_pkg.sv``).
    """
    declares: dict[str, set[str]] = {}
    uses: dict[str, set[str]] = {}
    headers: list[str] = []
    for src in sources:
        try:
            text = re.sub(r"//[^\n]*|/\*.*?\*/", "", Path(src).read_text(errors="replace"), flags=re.S)
        except OSError:
            continue
        found = set(_PACKAGE_DECL.findall(text))
        if found:
            declares[src] = found
            uses[src] = set(_PACKAGE_USE.findall(text)) - found
        elif "`define" in text and not _MODULE_DECL.search(text):
            headers.append(src)  # macros only: before every file that may use them
    owner = {pkg: src for src, pkgs in declares.items() for pkg in pkgs}
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(src: str) -> None:
        if src in ordered or src in visiting:
            return
        visiting.add(src)
        for pkg in sorted(uses.get(src, ())):
            if pkg in owner:
                visit(owner[pkg])
        ordered.append(src)

    for src in sources:
        if src in declares:
            visit(src)
    return headers + ordered + [s for s in sources if s not in declares and s not in headers]


def extract_interface(
    paths: Iterable[str | os.PathLike[str]],
    top: str | None = None,
    *,
    clock: str | None = None,
    reset: str | None = None,
    reset_active_low: bool | None = None,
    defines: Mapping[str, str] | None = None,
    include_dirs: Sequence[str] = (),
    parameters: Mapping[str, object] | None = None,
) -> DesignInterface:
    """The interface of the top module of a file set, with user overrides for top, clock and reset.

    Raises:
        Llm4covError: unparsable RTL, no top, an ambiguous top without ``top``, or an override naming a
            port that does not exist.
    """
    sources = order_sources(drop_included(rtl_files(paths)))
    elab = elaborate(sources, defines=defines, include_dirs=include_dirs, parameters=parameters)
    where = sources[0] if len(sources) == 1 else os.path.dirname(sources[0])
    if top is None:
        if not elab.modules:
            raise Llm4covError(f"{where}: no module defined (the files hold no `module ... endmodule`)")
        if not elab.tops:
            raise Llm4covError(
                f"{where}: no top module found among {', '.join(elab.modules)}: each is instantiated by another or "
                "has a parameter without a default (give it one, or set top and [parameters] in llm4cov.toml)"
            )
        if len(elab.tops) > 1:
            raise Llm4covError(
                f"{where}: several top modules ({', '.join(elab.tops)}); choose one with top = \"...\" "
                "in llm4cov.toml or --top"
            )
        top = elab.tops[0]
    if top not in elab.interfaces:
        if top in elab.modules:
            # A module others instantiate can still be tested alone: elaborate it as the top.
            elab = elaborate(sources, defines=defines, include_dirs=include_dirs, parameters=parameters, top=top)
        else:
            known = ", ".join(elab.modules) or "none"
            raise Llm4covError(
                f"{where}: top module '{top}' not found (modules: {known}): choose one of them with --top or "
                'top = "..." in llm4cov.toml'
            )
    iface = elab.interfaces[top]
    names = {p.name for p in iface.ports}
    unreachable = elab.unreachable
    for label, value in (("clock", clock), ("reset", reset)):
        if value and value not in names:
            raise Llm4covError(f"{where}: {label} '{value}' is not a port of {top} (ports: {', '.join(sorted(names))})")
    new_clock = iface.clock if clock is None else (clock or None)
    if reset is None:
        new_reset = iface.reset
        if new_reset and reset_active_low is not None:
            new_reset = Reset(new_reset.name, reset_active_low)
    elif reset == "":
        new_reset = None
    else:
        guessed = guess_reset([Port(reset, "input", 1)])
        low = reset_active_low if reset_active_low is not None else (guessed.active_low if guessed else False)
        new_reset = Reset(reset, low)
    return DesignInterface(
        top=iface.top,
        sources=iface.sources,
        ports=iface.ports,
        parameters=iface.parameters,
        clock=new_clock,
        reset=new_reset,
        modules=iface.modules,
        top_line=iface.top_line,
        top_file=iface.top_file,
        unreachable=unreachable,
        unbuilt=elab.unbuilt,
    )
