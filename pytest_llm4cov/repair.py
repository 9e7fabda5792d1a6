"""Static repair of a model-written testbench before simulation: cheap, deterministic, recorded.

Small models make the same mechanical mistakes again and again: missing imports, ``dut.sig = 1``
instead of ``dut.sig.value = 1``, cocotb 1.x names (``units=``), ports that do not exist, names they
never define. Each fix that cannot change what the testbench means is applied (a name the prompt's
example defines is added from it: that is what a copy meant; a call of an undefined ``reset`` in a design
that has no reset goes: there is nothing to reset); each problem that can (a port that is not there, any
other undefined name) is only reported, with the real port list, so the next step can fix it.
Every fix and finding is a one-line note that goes into the observation.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib.util
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_llm4cov.response import COCOTB_NAMES
from pytest_llm4cov.scenario_repair import drivable_names, set_call_target

if TYPE_CHECKING:
    from pytest_llm4cov.design import Design

#: Imports a cocotb testbench may use without saying so; added when a name is used but never imported.
#: The same table the reply check names its missing imports from, so repair fixes what it rejects.
STANDARD_IMPORTS = {**COCOTB_NAMES, "math": "import math"}

#: cocotb 1.x keyword arguments renamed in 2.x.
RENAMED_KWARGS = {"units": "unit"}
#: cocotb 1.x calls with a same-meaning 2.x name.
RENAMED_CALLS = {"cocotb.fork(": "cocotb.start_soon("}

_IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_$]*\b")
_DUT_ASSIGN = re.compile(r"^(\s*)(dut(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*=(?!=)\s*(.+)$")


@dataclass
class Repair:
    """The repaired source and what was done or found."""

    source: str
    fixes: list[str] = field(default_factory=list)  # applied, meaning unchanged
    findings: list[str] = field(default_factory=list)  # reported, not changed

    @property
    def notes(self) -> list[str]:
        return [f"repaired: {f}" for f in self.fixes] + [f"problem: {f}" for f in self.findings]


def _defined_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            args = node.args if not isinstance(node, ast.ClassDef) else None
            if args is not None:
                for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                    names.add(a.arg)
                if args.vararg:
                    names.add(args.vararg.arg)
                if args.kwarg:
                    names.add(args.kwarg.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    return names


def _used_names(tree: ast.AST) -> list[tuple[str, int]]:
    return [(n.id, n.lineno) for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]


def _fix_dut_assignments(source: str, fixes: list[str]) -> str:
    """``dut.x = v`` -> ``dut.x.value = v`` (a handle is never rebound on purpose in a testbench)."""
    out = []
    for number, line in enumerate(source.splitlines(keepends=True), 1):
        m = _DUT_ASSIGN.match(line.rstrip("\n"))
        if m and not m.group(2).endswith(".value"):
            newline = "\n" if line.endswith("\n") else ""
            line = f"{m.group(1)}{m.group(2)}.value = {m.group(3)}{newline}"
            fixes.append(f"line {number}: `{m.group(2)} = ...` assigns the handle; wrote `{m.group(2)}.value = ...`")
        out.append(line)
    return "".join(out)


def _fix_kwargs(source: str, fixes: list[str]) -> str:
    for old, new in RENAMED_KWARGS.items():
        pattern = re.compile(rf"\b{old}\s*=(?!=)")
        if pattern.search(source):
            source = pattern.sub(f"{new}=", source)
            fixes.append(f"cocotb 2 renamed `{old}=` to `{new}=`")
    for old, new in RENAMED_CALLS.items():
        if old in source:
            source = source.replace(old, new)
            fixes.append(f"cocotb 2 removed `{old[:-1]}`; wrote `{new[:-1]}`")
    return source


#: A Verilog sized or based literal (8'h0F, 'b1010, 32'd7, 16'hDEAD_BEEF) written into Python, where the
#: quote opens a string and the line no longer parses. Literals with x/z digits have no Python value.
_VERILOG_LITERAL = re.compile(r"(?<![\w'\"])(\d+)?'[sS]?([hHbBdDoO])([0-9a-fA-F_]+)\b(?!')")
_BASES = {"h": 16, "b": 2, "d": 10, "o": 8}


def _as_python(m: re.Match[str]) -> str | None:
    """The Python integer a ``_VERILOG_LITERAL`` match means, or None (digits its base has not)."""
    base = _BASES[m.group(2).lower()]
    digits = m.group(3).replace("_", "")
    try:
        value = int(digits, base)
    except ValueError:
        return None
    return {16: "0x", 2: "0b", 8: "0o"}[base] + digits if base != 10 else str(value)


def verilog_literals_as_python(source: str) -> str:
    """``source`` with every Verilog literal written as a Python integer, whether that makes it parse or not
    (what ``fix_verilog_literals`` would write, for telling a line it repairs from a line cut off)."""
    return _VERILOG_LITERAL.sub(lambda m: _as_python(m) or m.group(0), source)


def fix_verilog_literals(source: str) -> tuple[str, list[str]]:
    """Verilog literals -> Python integers, only where the code does not parse as it is.

    ``8'h0F`` is ``0x0F`` (the width is dropped: drivers mask to the port width anyway). Returns the
    text and one note per distinct literal rewritten; the text unchanged when it parses already.
    """
    try:
        ast.parse(source)
        return source, []
    except SyntaxError:
        pass
    except (ValueError, RecursionError, MemoryError):
        return source, []
    seen: dict[str, str] = {}

    def convert(m: re.Match[str]) -> str:
        text = _as_python(m)
        if text is None:
            return m.group(0)
        seen.setdefault(m.group(0), text)
        return text

    fixed = _VERILOG_LITERAL.sub(convert, source)
    try:
        ast.parse(fixed)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return source, []
    return fixed, [f"wrote Verilog literal `{old}` as the Python integer `{new}`" for old, new in seen.items()]


_UNCALLED_AWAIT = re.compile(r"\bawait\s+tb\.(step|reset)\b(?!\s*\()")


_AWAITED_PLAIN_CALL = re.compile(r"\bawait\s+(tb\.(set|read)\s*\()")


def _fix_uncalled_awaits(source: str, fixes: list[str]) -> str:
    """``await tb.step`` (the method, never awaitable that way) -> ``await tb.step()``, and
    ``await tb.set(...)`` / ``await tb.read(...)`` (plain calls: awaiting their result always raises)
    -> the call alone."""
    found = sorted(set(_UNCALLED_AWAIT.findall(source)))
    if found:
        fixes.append("awaited " + ", ".join(f"`tb.{m}`" for m in found) + " without calling it; wrote "
                     + ", ".join(f"`tb.{m}()`" for m in found))
        source = _UNCALLED_AWAIT.sub(lambda m: f"await tb.{m.group(1)}()", source)
    plain = sorted({m.group(2) for m in _AWAITED_PLAIN_CALL.finditer(source)})
    if plain:
        fixes.append(", ".join(f"`tb.{m}(...)`" for m in plain) + " is a plain call, not a coroutine: removed the `await`")
        source = _AWAITED_PLAIN_CALL.sub(lambda m: m.group(1), source)
    return source


#: What a dict has and a tuple does not: a name used so was meant to be a dict.
_DICT_METHODS = {"items", "keys", "values", "get", "setdefault", "update"}


def _byte_offset(data: bytes) -> Callable[[int, int], int]:
    """``at(line, col)``: the offset in ``data`` of an ast position (1-based line, byte column), for cutting source."""
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return lambda line, col: starts[line - 1] + col


def _used_as_dict(tree: ast.AST, name: str) -> bool:
    """``name.items()`` and the like, or ``name["key"]``: a use that raises if ``name`` is a tuple."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in _DICT_METHODS:
            target = node.value
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(
            node.slice.value, str
        ):
            target = node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == name:
            return True
    return False


def _fix_stray_tuple_commas(source: str, tree: ast.Module, fixes: list[str]) -> str:
    """``WIDTHS = {...},`` at module level, then ``WIDTHS.items()``: a trailing comma made the dict a one-element
    tuple (wm4 on Ibex's load-store unit, three steps of four dead of ``'tuple' object has no attribute
    'items'``). Used as a dict, it was meant as one, so the comma goes."""
    data = source.encode()
    at = _byte_offset(data)
    cuts: list[tuple[int, str]] = []
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        value = node.value
        if not (isinstance(value, ast.Tuple) and len(value.elts) == 1 and isinstance(value.elts[0], ast.Dict)):
            continue
        name = node.targets[0].id
        if not _used_as_dict(tree, name):
            continue
        end = value.elts[0]
        begin = at(end.end_lineno, end.end_col_offset)  # type: ignore[arg-type]
        stop = at(value.end_lineno, value.end_col_offset)  # type: ignore[arg-type]
        comma = data.find(b",", begin, stop)
        if comma >= 0:
            cuts.append((comma, f"line {node.lineno}: `{name} = {{...}},` is a tuple holding the dict, used as a dict: "
                                "removed the trailing comma"))
    for at, note in sorted(cuts, reverse=True):
        data = data[:at] + data[at + 1:]
    fixes.extend(note for _, note in sorted(cuts))
    return data.decode()


def _drive_loop_tables(tree: ast.AST) -> set[str]:
    """Names of tables a loop drives the DUT from: ``for name, width in T.items(): getattr(dut, name).value = ...``
    (or ``for name in T`` / ``T.keys()``): every key of ``T`` is assigned to as a port."""
    tables: set[str] = set()
    for loop in ast.walk(tree):
        if not isinstance(loop, (ast.For, ast.AsyncFor)):
            continue
        source = loop.iter
        if isinstance(source, ast.Call) and isinstance(source.func, ast.Attribute) and source.func.attr in (
            "items", "keys"
        ):
            source = source.func.value
        if not isinstance(source, ast.Name):
            continue
        key = loop.target.elts[0] if isinstance(loop.target, ast.Tuple) and loop.target.elts else loop.target
        if not isinstance(key, ast.Name):
            continue
        for node in ast.walk(loop):
            target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
            handle = target.value if isinstance(target, ast.Attribute) and target.attr == "value" else None
            if (
                isinstance(handle, ast.Call) and isinstance(handle.func, ast.Name) and handle.func.id == "getattr"
                and len(handle.args) >= 2 and isinstance(handle.args[0], ast.Name) and handle.args[0].id == "dut"
                and isinstance(handle.args[1], ast.Name) and handle.args[1].id == key.id
            ):
                tables.add(source.id)
    return tables


def _drop_undrivable_from_drive_tables(
    source: str, tree: ast.Module, outputs: Iterable[str], arrays: Iterable[str], fixes: list[str]
) -> str:
    """``INPUT_WIDTHS = {..., 'result_o': 68, ...}`` with a loop that drives every key with one value: an output
    in a table of inputs (wm4 on Ibex's slow multiplier, all four steps dead of a TypeError writing to an
    output array), or an unpacked array, plain or indexed (``'imd_val_q_i[2]'``: no handle by that name, and
    the array itself takes a list, never one value). Either entry raises on the first drive and kills the test,
    so it goes; the rest of the testbench, which may drive the array element by element, runs. A table that
    would be left empty is left alone."""
    outputs, arrays = set(outputs), set(arrays)
    tables = _drive_loop_tables(tree) if outputs | arrays else set()
    data = source.encode()
    at = _byte_offset(data)

    def why(key: str) -> str | None:
        if key in outputs:
            return "an output"
        if key in arrays or re.sub(r"\[[^\]]*\]$", "", key) in arrays:
            return "an unpacked array (a list drives it)"
        return None

    cuts: list[tuple[int, int]] = []
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in tables and isinstance(node.value, ast.Dict)):
            continue
        keys, values = node.value.keys, node.value.values
        if not all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in keys):
            continue
        drop = [i for i, k in enumerate(keys) if why(k.value)]  # type: ignore[union-attr]
        if not drop or len(drop) == len(keys):
            continue
        for i in drop:
            key, value = keys[i], values[i]
            if i + 1 < len(keys):  # the entry, its comma and the space up to the next key
                begin, end = at(key.lineno, key.col_offset), at(keys[i + 1].lineno, keys[i + 1].col_offset)
            else:  # the last entry: from the end of the previous value
                begin = at(values[i - 1].end_lineno, values[i - 1].end_col_offset)  # type: ignore[arg-type]
                end = at(value.end_lineno, value.end_col_offset)  # type: ignore[arg-type]
            cuts.append((begin, end))
        names = [keys[i].value for i in drop]  # type: ignore[union-attr]
        fixes.append(f"line {node.lineno}: `{node.targets[0].id}` drives each key with one value, and "
                     + ", ".join(f"`{n}` is {why(n)}" for n in names) + ": removed from the table")
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(cuts):  # two adjacent last entries overlap: cut their union once
        if merged and begin < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    for begin, end in reversed(merged):
        data = data[:begin] + data[end:]
    return data.decode()


def _example_definitions(example: str) -> dict[str, ast.stmt]:
    """The module-level names the prompt's example defines (constants, helpers), each with its statement."""
    try:
        tree = ast.parse(example)
    except SyntaxError:
        return {}
    found: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.decorator_list:
            found[node.name] = node
    return found


def _add_example_definitions(source: str, tree: ast.Module, example: str, fixes: list[str]) -> str:
    """Names the reply uses but never defines, where the prompt's example defines them at module level: a
    small model copying the example drops a line (``HOLD = 528``, the ``pick`` helper) and the test dies of
    a NameError. The example's own definition is what the copy meant, so it is added before the first
    function, with whatever example names it uses in turn."""
    definitions = _example_definitions(example) if example else {}
    defined = _defined_names(tree)
    wanted = [n for n, _ in _used_names(tree) if n in definitions and n not in defined]
    added: list[str] = []
    while wanted:
        name = wanted.pop(0)
        if name in added or name in defined:
            continue
        added.append(name)
        wanted += [n for n, _ in _used_names(definitions[name]) if n in definitions]
    if not added:
        return source
    order = list(definitions)
    added.sort(key=order.index)
    text = "\n\n".join(ast.get_source_segment(example, definitions[n]) or "" for n in added)
    fixes.append(f"{', '.join(f'`{n}`' for n in added)} used but never defined: added the prompt example's definition")
    first = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))), None)
    lines = source.splitlines(keepends=True)
    at = len(lines) if first is None else (first.decorator_list[0].lineno if first.decorator_list else first.lineno) - 1
    return "".join(lines[:at]) + text + "\n\n\n" + "".join(lines[at:])


def _is_reset_call(node: ast.AST) -> bool:
    """``reset(...)`` or ``await reset(...)`` as a statement of its own."""
    if not isinstance(node, ast.Expr):
        return False
    call = node.value.value if isinstance(node.value, ast.Await) else node.value
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "reset"


def _statement_list(parent: ast.AST | None, node: ast.stmt) -> list[ast.stmt]:
    """The block (body, else, finally) of ``parent`` that holds ``node``."""
    return next((block for f in ("body", "orelse", "finalbody") if node in (block := getattr(parent, f, []))), [])


def _drop_resets_of_a_reset_free_design(source: str, tree: ast.Module, fixes: list[str]) -> str:
    """A design without a reset, and a reply that calls ``reset`` without defining it: a small model trained
    on designs that have one writes the example's ``await reset(dut)`` half way anyway, and the test dies of
    a NameError there. There is nothing to reset, so the call goes, with an ``if`` that holds nothing else;
    a block left empty gets ``pass``. A call sharing its line with another statement is only reported."""
    if "reset" in _defined_names(tree):
        return source
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    spans: set[tuple[int, int, str | None]] = set()  # first and last line, and the indent of a `pass` or None
    for node in ast.walk(tree):
        if not _is_reset_call(node):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.If) and parent.body == [node] and not parent.orelse:
            node, parent = parent, parents.get(parent)
        block = _statement_list(parent, node)
        others = {n.lineno for n in block if n is not node} | {n.end_lineno for n in block if n is not node}
        if node.lineno == getattr(parent, "lineno", None) or others & set(range(node.lineno, node.end_lineno + 1)):
            continue
        spans.add((node.lineno, node.end_lineno or node.lineno, " " * node.col_offset if block == [node] else None))
    if not spans:
        return source
    lines = source.splitlines(keepends=True)
    for first, last, indent in sorted(spans, reverse=True):
        lines[first - 1 : last] = [f"{indent}pass\n"] if indent is not None else []
    where = ", ".join(str(first) for first, _, _ in sorted(spans))
    fixes.append(f"line {where}: the design has no reset and nothing defines `reset`: removed the call")
    return "".join(lines)


@functools.lru_cache(maxsize=64)
def module_names(module: str) -> frozenset[str] | None:
    """The names ``from <module> import name`` can bind, read from the installed module's source (cocotb's
    modules need a simulator to import; finding one imports only its parent packages): its top-level
    definitions, assignments and imports, its submodules, and the names a module-level ``__getattr__``
    compares with (cocotb's moved names). An empty set: no such module. None: it cannot tell (its package is
    not installed, no source, ``import *``), so every name counts as there."""
    try:
        if importlib.util.find_spec(module.split(".")[0]) is None:
            return None
        spec = importlib.util.find_spec(module)
    except Exception:  # finding a submodule imports its parents, and they may fail in any way
        return None
    if spec is None:
        return frozenset()
    if not spec.origin or not spec.origin.endswith(".py"):
        return None
    try:
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    names: set[str] = set()
    for node in tree.body:
        for sub in [node, *(ast.walk(node) if isinstance(node, (ast.If, ast.Try)) else [])]:
            if isinstance(sub, (ast.Import, ast.ImportFrom)):
                if any(alias.name == "*" for alias in sub.names):
                    return None
                names.update((alias.asname or alias.name).split(".")[0] for alias in sub.names)
            elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(sub.name)
                if sub.name == "__getattr__":
                    names.update(
                        c.value for c in ast.walk(sub)
                        if isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value.isidentifier()
                    )
            elif isinstance(sub, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    names.update(m.name for m in pkgutil.iter_modules(spec.submodule_search_locations or []))
    return frozenset(names)


def _drop_missing_unused_imports(source: str, tree: ast.Module, fixes: list[str]) -> str:
    """``from cocotb.clock import Clock, ClockEdge`` where cocotb has no ``ClockEdge`` and the testbench never
    uses it: the import alone fails the whole run (the untrained 1.5B, every step on one module), so the name
    goes; so does a builtin imported from where it is not (``from cocotb.utils import int``: the builtin is
    what was meant). Any other missing name the testbench uses stays, for the evaluator's ImportError. Only an
    import alone on its lines is edited (not one after ``;`` or ``if x:``), and only where the result parses."""
    used = {name for name, _ in _used_names(tree)}
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []
    notes: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
            continue
        if node.module.split(".")[0] != "cocotb" or any(a.name == "*" for a in node.names):
            continue
        known = module_names(node.module)
        if known is None:
            continue
        gone = [
            a for a in node.names
            if a.name not in known
            and ((a.asname or a.name) not in used or (a.asname is None and hasattr(builtins, a.name)))
        ]
        first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        indent = lines[first].encode()[: node.col_offset].decode("utf-8", "replace")
        after = lines[last].encode()[node.end_col_offset or 0:].decode("utf-8", "replace").strip()
        if not gone or indent.strip() or (after and not after.startswith("#")):
            continue
        kept = [a for a in node.names if a not in gone]
        names = ", ".join(f"`{a.name}`" for a in gone)
        if known:
            notes.append(f"line {node.lineno}: `{node.module}` has no {names}: removed from the import")
        else:
            notes.append(f"line {node.lineno}: there is no module `{node.module}`: removed the import of {names}")
        if kept:
            text = indent + ast.unparse(ast.ImportFrom(node.module, kept, 0)) + (f"  {after}" if after else "") + "\n"
        else:  # a block needs a statement; the module does not
            text = indent + "pass\n" if indent else ""
        edits.append((first, last + 1, text))
    for start, end, text in sorted(edits, reverse=True):
        lines[start:end] = [text]
    edited = "".join(lines)
    try:
        ast.parse(edited)
    except SyntaxError:  # pragma: no cover - whole-line edits of whole statements keep the code valid
        return source
    fixes.extend(notes)
    return edited


def _add_imports(source: str, tree: ast.AST, fixes: list[str]) -> str:
    defined = _defined_names(tree)
    used = {name for name, _ in _used_names(tree)}
    missing = [line for name, line in STANDARD_IMPORTS.items() if name in used and name not in defined]
    if not missing:
        return source
    fixes.append("added missing imports: " + "; ".join(missing))
    lines = source.splitlines(keepends=True)
    insert_at = 0
    body = getattr(tree, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        insert_at = body[0].end_lineno or 0  # after the module docstring
    return "".join(lines[:insert_at]) + "\n".join(missing) + "\n" + "".join(lines[insert_at:])


def _check_ports(tree: ast.AST, ports: Iterable[str], signals: Iterable[str], findings: list[str]) -> None:
    """``dut.x`` where ``x`` is neither a port nor any name in the RTL: reported with the real port list."""
    known = set(ports)
    if not known:
        return
    anywhere = known | set(signals)
    seen: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "dut"
            and node.attr not in anywhere
            and node.attr not in seen
            and not node.attr.startswith("_")
        ):
            seen.add(node.attr)
            findings.append(
                f"line {node.lineno}: `dut.{node.attr}` is not a port of the design (ports: {', '.join(sorted(known))})"
            )


def _check_driven_names(tree: ast.AST, inputs: Iterable[str], findings: list[str]) -> None:
    """``tb.set("x", v)`` (the hybrid scaffold's driver) where ``x`` is neither a data input nor the reset."""
    known = set(inputs)
    if not known:
        return
    seen: set[str] = set()
    for node in ast.walk(tree):
        name = set_call_target(node)
        if name is not None and name not in known and name not in seen:
            seen.add(name)
            findings.append(
                f"line {getattr(node, 'lineno', 0)}: `tb.set({name!r}, ...)` drives no input of the design "
                f"(inputs: {', '.join(sorted(known))})"
            )


def _check_undefined(tree: ast.AST, findings: list[str]) -> None:
    defined = _defined_names(tree) | set(dir(builtins)) | {"__name__", "__file__"}
    reported: set[str] = set()
    for name, line in _used_names(tree):
        if name not in defined and name not in reported:
            reported.add(name)
            findings.append(f"line {line}: `{name}` is used but never defined or imported")


def rtl_names(rtl_text: Iterable[str]) -> set[str]:
    """Every identifier in the RTL: what ``dut.<name>`` may reach besides ports (internal signals)."""
    names: set[str] = set()
    for text in rtl_text:
        names.update(_IDENT.findall(text))
    return names


def repair(
    source: str,
    ports: Iterable[str] = (),
    *,
    signals: Iterable[str] = (),
    inputs: Iterable[str] = (),
    outputs: Iterable[str] = (),
    arrays: Iterable[str] = (),
    example: str = "",
    reset_free: bool = False,
) -> Repair:
    """Apply meaning-preserving fixes; report port and name problems. Never raises.

    Args:
        ports: the top module's port names; ``dut.x`` for anything else is reported.
        signals: other names ``dut.x`` may reach (internal signals; ``rtl_names`` of the RTL).
        inputs: what the hybrid scaffold's ``tb.set(name, ...)`` can drive: the data inputs and the reset.
        outputs: the top module's output ports, and ``arrays`` its unpacked-array ports: a table a loop drives
            the DUT from one value per key loses them.
        example: the testbench the prompt showed (whole-module mode): module-level names it defines that
            the reply uses without defining are added from it.
        reset_free: the design has no reset: calls of a ``reset`` the reply never defines are removed.
    """
    fixes: list[str] = []
    findings: list[str] = []
    text, literal_fixes = fix_verilog_literals(source)
    fixes.extend(literal_fixes)
    text = _fix_kwargs(text, fixes)
    try:
        ast.parse(text)
    except SyntaxError:
        return Repair(text, fixes, findings)  # the evaluator reports the syntax error precisely
    text = _fix_dut_assignments(text, fixes)
    text = _fix_uncalled_awaits(text, fixes)
    try:
        tree = ast.parse(text)
    except SyntaxError:  # pragma: no cover - the assignment rewrite keeps valid code valid
        return Repair(source, [], findings)
    text = _fix_stray_tuple_commas(text, tree, fixes)
    text = _drop_undrivable_from_drive_tables(text, ast.parse(text), outputs, arrays, fixes)
    text = _add_example_definitions(text, ast.parse(text), example, fixes)
    if reset_free:
        text = _drop_resets_of_a_reset_free_design(text, ast.parse(text), fixes)
    text = _drop_missing_unused_imports(text, ast.parse(text), fixes)
    text = _add_imports(text, ast.parse(text), fixes)
    tree = ast.parse(text)
    _check_ports(tree, ports, signals, findings)
    _check_driven_names(tree, inputs, findings)
    _check_undefined(tree, findings)
    return Repair(text, fixes, findings)


def repair_for(design: Design, source: str, example: str = "") -> Repair:
    """``repair`` with the design's ports, internal names and data inputs (and the prompt's ``example``)."""
    iface = design.interface
    return repair(
        source,
        [p.name for p in iface.ports],
        signals=rtl_names(design.rtl_text.values()),
        inputs=drivable_names([p.name for p in iface.data_inputs], iface.reset.name if iface.reset else None),
        outputs=[p.name for p in iface.ports if p.direction == "output"],
        arrays=[p.name for p in iface.ports if p.elements > 1],
        example=example,
        reset_free=iface.reset is None,
    )
