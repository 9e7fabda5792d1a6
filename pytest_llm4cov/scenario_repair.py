"""Scenario repair: fixes for the mistakes small models make in hybrid scenarios, each one recorded.

The scaffold's ``tb`` is a known harness, so a scenario's intent can be read where a whole testbench's
cannot: ``async def scenario_x(dut)`` that uses ``tb`` lacks the parameter; ``def scenario_x`` is a
coroutine written without ``async``; a bare ``tb.step(5)`` is a wait that never happens without
``await``; a reply of helpers alone (``async def open_lock(tb, dut)``, nothing calling it) holds the
scenario under another name; ``tb.set("unlocked", 1)`` on an output or internal signal always raises and
takes the rest of its scenario with it; ``tb.keys.value`` or ``RisingEdge(tb.clk)`` takes the harness for
the DUT. Each fix turns a line that can only raise or do nothing into the one thing it can mean, and says
so in a note the next prompt carries. The classes come from the 0.5B and 1.5B models' replies on the eval
split (run logs of ``python -m trainer evaluate``).

``parse_scenarios(fix=True)`` applies the design-free fixes; ``HybridPolicy`` applies the two that need
the design's names (``drop_undrivable_sets``, ``handles_through_tb``). ``fix=False`` stays the "before
repair" count.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

#: The scaffold coroutines a scenario must ``await`` (``tb.set``/``tb.read`` are plain calls).
SCAFFOLD_COROUTINES = ("step", "reset")


def _lines(source: str) -> list[str]:
    """``source`` cut into lines as ``ast`` counts them (``str.splitlines`` also cuts at form feeds and
    Unicode separators, which would shift every position after them)."""
    return re.split(r"(?<=\n)", source)


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def add_tb_parameter(node: ast.AsyncFunctionDef, name: str, source: str, fixes: list[str]) -> str:
    """A scenario that uses ``tb`` without taking it (``async def scenario_x(dut):``) gets it as its first
    parameter: the harness passes what the signature asks for, so the body would raise NameError. When the
    signature has one required parameter the body never uses (``(tbl, dut)`` with a body on ``tb``), that
    parameter is renamed instead: added beside it, it would be left unfilled and the call raise TypeError."""
    params = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
    uses_tb = any(isinstance(n, ast.Name) and n.id == "tb" for n in ast.walk(node))
    if "tb" in params or not uses_tb or node.args.vararg or node.args.kwarg:
        return source
    used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    positional = [*node.args.posonlyargs, *node.args.args]
    required = [a.arg for a in positional[: len(positional) - len(node.args.defaults)]]
    unused = [p for p in required if p != "dut" and p not in used]
    if len(unused) == 1:
        head = re.compile(rf"\bdef\s+{re.escape(name)}\s*\((.*?)\)", re.S)
        match = head.search(source)
        if match:
            args = re.sub(rf"\b{re.escape(unused[0])}\b", "tb", match.group(1), count=1)
            fixed = source[: match.start(1)] + args + source[match.end(1):]
            if _parses(fixed):
                fixes.append(f"`{name}` used `tb` but took `{unused[0]}`, which it never used: renamed it `tb`")
                return fixed
    fixed = re.sub(rf"\bdef\s+{re.escape(name)}\s*\(\s*", f"def {name}(tb, " if params else f"def {name}(tb", source,
                   count=1)
    fixes.append(f"`{name}` used `tb` without taking it: added the parameter (`async def {name}(tb, dut):`)")
    return fixed


def make_async(node: ast.FunctionDef, source: str, fixes: list[str]) -> str | None:
    """``def scenario_x(tb, dut):`` -> ``async def``: the harness awaits every scenario, and a plain ``def``
    holding ``await`` does not even compile. None for a generator, which ``async`` would not make awaitable."""
    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(node)):
        return None
    fixed = re.sub(rf"(?<!async )\bdef\s+{re.escape(node.name)}\b", f"async def {node.name}", source, count=1)
    if fixed == source:
        return None
    fixes.append(f"`{node.name}` was a plain `def`: made it `async def` (the harness awaits each scenario)")
    return fixed


def await_scaffold_calls(source: str, fixes: list[str]) -> str:
    """A bare ``tb.step(5)`` or ``tb.reset()`` statement in a coroutine -> ``await tb.step(5)``: without the
    ``await`` the coroutine is created and dropped, and the scenario drives everything in one instant."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    spots = sorted(
        {(n.value.lineno, n.value.col_offset, n.value.func.attr)  # type: ignore[union-attr]
         for f in tree.body if isinstance(f, ast.AsyncFunctionDef) for n in _own_nodes(f) if _bare_scaffold_call(n)},
        reverse=True,
    )
    if not spots:
        return source
    lines = _lines(source)
    for line, col, _ in spots:
        text = lines[line - 1]
        cut = len(text.encode()[:col].decode(errors="ignore"))  # col_offset counts UTF-8 bytes
        lines[line - 1] = text[:cut] + "await " + text[cut:]
    fixed = "".join(lines)
    if not _parses(fixed):
        return source
    names = sorted({f"`tb.{attr}(...)`" for _, _, attr in spots})
    fixes.append(f"{', '.join(names)} is a coroutine: added the missing `await` ({len(spots)} call(s))")
    return fixed


def _bare_scaffold_call(node: ast.AST) -> bool:
    call = node.value if isinstance(node, ast.Expr) else None
    return (
        isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in SCAFFOLD_COROUTINES
        and isinstance(call.func.value, ast.Name) and call.func.value.id == "tb"
    )


def _own_nodes(func: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The nodes of ``func``'s body, not descending into nested plain functions, lambdas or classes (where
    ``await`` cannot go and ``yield`` belongs to someone else)."""
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))


def promotable(source: str, others: Iterable[str]) -> bool:
    """Whether a helper coroutine is a scenario under another name: it takes only ``tb``/``dut`` (at least one
    of them, no others without a default) and no other piece calls it."""
    try:
        node = ast.parse(source).body[0]
    except (SyntaxError, IndexError):
        return False
    if not isinstance(node, ast.AsyncFunctionDef):
        return False
    args = node.args
    if args.posonlyargs or any(d is None for d in args.kw_defaults):
        return False  # the harness passes tb and dut by keyword only
    required = [a.arg for a in args.args[: len(args.args) - len(args.defaults)]]
    if not required or not set(required) <= {"tb", "dut"}:
        return False
    pattern = re.compile(rf"\b{re.escape(node.name)}\b")
    return not any(pattern.search(other) for other in others)


def drop_undrivable_sets(source: str, name: str, drivable: Iterable[str], outputs: Iterable[str],
                         fixes: list[str]) -> str:
    """``tb.set("x", v)`` statements where ``x`` is no input the scaffold drives (an output, an internal
    signal, the clock) are removed: ``tb.set`` raises on them, which stops the scenario at that line. Only
    whole-line statements go; a block left empty gets ``pass``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    allowed, outs = set(drivable), set(outputs)
    doomed: dict[int, ast.stmt] = {}  # id -> statement
    bodies: list[list[ast.stmt]] = []
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                bodies.append(body)
                for stmt in body:
                    target = _set_target(stmt)
                    if target is not None and target not in allowed and _whole_lines(stmt, body, source):
                        doomed[id(stmt)] = stmt
    if not doomed:
        return source
    lines = _lines(source)
    gone: dict[str, list[int]] = {}
    for body in bodies:
        hit = [s for s in body if id(s) in doomed]
        if not hit:
            continue
        keep_pass = len(hit) == len(body)  # the block would be empty: the first line becomes `pass`
        for i, stmt in enumerate(hit):
            target = _set_target(stmt) or ""
            gone.setdefault(target, []).append(stmt.lineno)
            first, last = stmt.lineno - 1, (stmt.end_lineno or stmt.lineno) - 1
            indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
            lines[first] = f"{indent}pass\n" if keep_pass and i == 0 else ""
            for j in range(first + 1, last + 1):
                lines[j] = ""
    fixed = "".join(lines)
    if not _parses(fixed):
        return source
    for target, at in gone.items():
        kind = "an output: read it with `tb.read(...)`" if target in outs else (
            "not an input the testbench lets a scenario drive (the clock, or an internal signal: read those "
            "with `tb.read(...)`)")
        fixes.append(f"`{name}`: dropped `tb.set({target!r}, ...)` ({len(at)}x): `{target}` is {kind}; "
                     f"drive only the inputs listed in the interface")
    return fixed


def _set_target(stmt: ast.stmt) -> str | None:
    return set_call_target(stmt.value) if isinstance(stmt, ast.Expr) else None


def set_call_target(node: ast.AST) -> str | None:
    """``x`` for a ``tb.set("x", ...)``, ``tb.set("x[7:4]", ...)`` or ``tb.set("x.field", ...)`` call (the
    scaffold's one driver), else None."""
    if (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "set"
        and isinstance(node.func.value, ast.Name) and node.func.value.id == "tb"
        and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
    ):
        return re.split(r"[\[.]", node.args[0].value, maxsplit=1)[0].strip()
    return None


def _whole_lines(stmt: ast.stmt, body: list[ast.stmt], source: str) -> bool:
    """Whether ``stmt`` shares none of its lines with another statement (``a; tb.set(...)`` stays)."""
    span = range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)
    if any(other is not stmt and (other.lineno in span or (other.end_lineno or other.lineno) in span)
           for other in body):
        return False
    lines = [line.rstrip("\r\n") for line in _lines(source)]
    head = lines[stmt.lineno - 1].encode()[: stmt.col_offset].decode(errors="ignore")
    before = lines[stmt.lineno - 2] if stmt.lineno > 1 else ""
    last = lines[(stmt.end_lineno or stmt.lineno) - 1]
    return not head.strip() and not before.endswith("\\") and not last.endswith("\\")


def drivable_names(inputs: Iterable[str], reset: str | None) -> list[str]:
    """What ``tb.set`` accepts: the data inputs and the reset (a scenario may pulse it itself)."""
    return [*inputs, *([reset] if reset else [])]



@lru_cache(maxsize=1)
def harness_names() -> frozenset[str]:
    """The names the scaffold's ``TB`` class defines (methods and ``self.x`` attributes), read from its
    template so the list cannot drift from the class."""
    from pytest_llm4cov.policy.builtin import template

    text = template()
    start = text.find("\nclass TB")
    end = text.find("\nclass ", start + 1)
    body = text[start:end if end > 0 else len(text)]
    return frozenset(re.findall(r"def (\w+)\(", body)) | frozenset(re.findall(r"self\.(\w+)\s*=(?!=)", body))


def handles_through_tb(source: str, name: str, ports: Iterable[str], fixes: list[str],
                       assigned: Iterable[str] = ()) -> str:
    """``tb.keys`` read where ``keys`` is a port of the design and not the harness's own name ->
    ``tb.dut.keys``: models treat ``tb`` as the DUT (``tb.keys.value``, ``RisingEdge(tb.clk)``), and ``TB``
    has no such attribute. ``tb.dut`` works in helpers that do not take ``dut``. A name the reply assigns
    on ``tb`` (``assigned``, see ``tb_attributes_assigned``; ``tb.count = 0`` as a scratch variable) is left
    alone."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return source
    known = set(ports) - harness_names() - set(assigned) - tb_attributes_assigned(source)
    spots = sorted(
        {(n.end_lineno, n.end_col_offset, n.attr) for n in ast.walk(tree)
         if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name)
         and n.value.id == "tb" and n.attr in known and n.end_lineno is not None and n.end_col_offset is not None},
        reverse=True,
    )
    lines = _lines(source)
    done: set[str] = set()
    for line, end, attr in spots:
        text = lines[line - 1]
        cut = len(text.encode()[:end].decode(errors="ignore")) - len(attr)  # just before the attribute name
        if cut < 1 or text[cut:cut + len(attr)] != attr or text[cut - 1] != ".":
            continue
        lines[line - 1] = text[:cut] + "dut." + text[cut:]
        done.add(attr)
    fixed = "".join(lines)
    if not done or not _parses(fixed):
        return source
    names = ", ".join(f"`tb.{attr}`" for attr in sorted(done))
    fixes.append(f"`{name}`: {names}: the design's signals, not the harness's: wrote `tb.dut.<name>` (drive "
                 "inputs with `tb.set`, read with `tb.read`)")
    return fixed


#: The harness's methods a scenario calls on ``tb``; models call them on ``dut`` too (``dut.read("x")``).
TB_METHODS = ("set", "read", "step", "reset")


def harness_calls_on_dut(source: str, name: str, ports: Iterable[str], fixes: list[str]) -> str:
    """``dut.read("x")`` (or ``set``, ``step``, ``reset``) in a function that takes ``tb``, where the design has
    no port of that name -> ``tb.read("x")``: a DUT handle has no such method (cocotb looks for a signal of
    that name and raises AttributeError). The base 0.5B wrote ``dut.read``."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return source
    methods = set(TB_METHODS) - set(ports)
    spots = set()
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if "tb" not in {a.arg for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]}:
            continue
        for node in ast.walk(func):
            f = node.func if isinstance(node, ast.Call) else None
            if (isinstance(f, ast.Attribute) and f.attr in methods and isinstance(f.value, ast.Name)
                    and f.value.id == "dut" and f.lineno == f.end_lineno):
                spots.add((f.lineno, f.col_offset, f.attr))
    lines = _lines(source)
    done: set[str] = set()
    for line, col, attr in sorted(spots, reverse=True):
        text = lines[line - 1]
        cut = len(text.encode()[:col].decode(errors="ignore"))
        if text[cut:cut + 4] != "dut.":
            continue
        lines[line - 1] = text[:cut] + "tb." + text[cut + 4:]
        done.add(attr)
    fixed = "".join(lines)
    if not done or not _parses(fixed):
        return source
    calls = ", ".join(f"`dut.{m}(...)`" for m in sorted(done))
    fixes.append(f"`{name}`: {calls}: the harness's methods, not the design's: wrote `tb.` for `dut.`")
    return fixed


def struct_fields_through_tb(source: str, name: str, fields: Iterable[str], fixes: list[str]) -> str:
    """``dut.ctrl_i.prediv.value = v`` where ``ctrl_i`` is a packed struct input with that field ->
    ``tb.set("ctrl_i.prediv", v)``: cocotb has no handle for a packed struct's fields (AttributeError), the
    harness sets them by bit position. The 1.5B wrote exactly this on OpenTitan's pattgen."""
    known = set(fields)
    if not known:
        return source
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return source
    lines = _lines(source)
    done: set[str] = set()
    for node in sorted((n for n in ast.walk(tree) if isinstance(n, ast.Assign)), key=lambda n: -n.lineno):
        path = _dut_path(node.targets[0]) if len(node.targets) == 1 else None
        if path is None or path not in known or node.lineno != node.end_lineno:
            continue
        text = lines[node.lineno - 1]
        head = text.encode()[: node.col_offset].decode(errors="ignore")
        tail = text.encode()[node.end_col_offset or 0:].decode(errors="ignore").rstrip("\r\n")
        if head.strip() or (tail.strip() and not tail.lstrip().startswith("#")):
            continue  # shares its line with another statement: left as written
        value = ast.get_source_segment(source, node.value)
        if value is None:
            continue
        lines[node.lineno - 1] = f'{head}tb.set("{path}", {value}){tail}\n'
        done.add(path)
    fixed = "".join(lines)
    if not done or not _parses(fixed):
        return source
    names = ", ".join(f"`{f}`" for f in sorted(done))
    fixes.append(f"`{name}`: {names}: a packed struct's fields have no handle of their own: wrote "
                 f"`tb.set(\"port.field\", v)`")
    return fixed


def _dut_path(target: ast.expr) -> str | None:
    """``dut.a.b.value`` or ``tb.dut.a.b.value`` -> ``"a.b"``; None for anything else."""
    if not (isinstance(target, ast.Attribute) and target.attr == "value"):
        return None
    parts: list[str] = []
    node = target.value
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id == "dut":
        pass
    elif isinstance(node, ast.Name) and node.id == "tb" and parts and parts[-1] == "dut":
        parts.pop()
    else:
        return None
    return ".".join(reversed(parts)) if len(parts) >= 2 else None


def tb_attributes_assigned(source: str) -> set[str]:
    """The names a piece assigns or deletes on ``tb`` (``tb.count = 0``): its own scratch attributes."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.ctx, (ast.Store, ast.Del))
            and isinstance(n.value, ast.Name) and n.value.id == "tb"}
