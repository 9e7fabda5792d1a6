"""A reference test rewritten in the hybrid scenario contract, so an expert target teaches the style the
harness runs.

The train split's reference tests drive the design through raw handles and triggers (``dut.x.value = v``,
``await ClockCycles(dut.clk, n)``, a reset pulse on ``rst_n``), mostly inside helpers that take ``dut``. A
student trained on them (stage 2) wrote that style back, with helpers the harness cannot call and
``tb.clk`` it does not have: 6 of its 10 model steps raised. Here the same stimulus is spelled with the
harness's ``tb``:

- ``dut.X.value = v`` on a data input -> ``tb.set("X", v)``; on the clock -> dropped (the harness runs it);
- in a coroutine, the reset asserted with a constant -> ``await tb.reset(fill="keep")`` (the inputs as the
  test set them before it), and its release after that -> dropped (``tb.reset`` releases it); any other
  write of the reset -> ``tb.set``;
- ``await ClockCycles(dut.<clock>, n)`` -> ``await tb.step(n)``; ``RisingEdge``/``FallingEdge`` of the clock
  -> ``await tb.step()``; ``ReadOnly``/``ReadWrite``/``NextTimeStep`` -> dropped (``tb.step`` lands where
  inputs may be written); on a design without a clock, ``await Timer(...)`` -> ``await tb.step()``;
- ``int(dut.X.value)`` -> ``tb.read("X")``;
- ``await RisingEdge(clk)`` with nothing before the next ``await FallingEdge(clk)`` that waits or touches
  the design is dropped: the pair is one cycle, one ``tb.step()``;
- a coroutine the test starts in the background (``cocotb.start_soon(monitor())``) keeps its clock waits:
  ``tb.step`` samples the coverage points, and two callers would sample each edge twice;
- a helper that takes ``dut`` takes ``tb`` instead, and a call that passes it the DUT (positionally or
  as ``dut=``) passes ``tb``; what it still reaches raw goes through ``dut = tb.dut``;
- a testbench class built on ``dut`` (``class TB: def __init__(self, dut): self.dut = dut``, most reference
  tests) is built on ``tb``: its methods drive ``self.tb`` (``self.dut`` and aliases such as
  ``d = self.dut`` are recognised), and the test's own object is renamed ``env`` (``env = TB(tb)``) so the
  harness's ``tb`` stays in scope.

Where the module binds ``env``, or binds ``tb`` and has no such class, ``NotInContract`` is raised and
curation drops the whole module rather than teach the raw style beside the contract (with such a class,
every other ``tb`` of the module is renamed ``env`` too). The simulator still decides: a converted scenario is kept
only if it runs clean and adds coverage.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from pytest_llm4cov.scenarios import is_test_decorator

DUT, TB, ENV, SELF = "dut", "tb", "env", "self"
CLOCK_WAITS = {"ClockCycles", "RisingEdge", "FallingEdge"}
SETTLE_TRIGGERS = {"ReadOnly", "ReadWrite", "NextTimeStep"}


class NotInContract(ValueError):
    """The module binds ``tb`` or ``env`` in a way the rewrite does not follow."""


def _call_name(node: ast.AST) -> str | None:
    """``f`` for ``f(...)`` and ``a.b.f(...)``."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _is_self_attr(node: ast.AST, attr: str) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == attr and isinstance(node.value, ast.Name) \
        and node.value.id == SELF


def _defs(node: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _takes(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    return any(a.arg == name for a in node.args.args)


def _tb_class(node: ast.stmt) -> bool:
    """``class X: def __init__(self, dut): self.dut = dut``: a testbench object built on the DUT."""
    if not isinstance(node, ast.ClassDef):
        return False
    init = next((f for f in _defs(node) if f.name == "__init__"), None)
    return init is not None and _takes(init, DUT) and any(
        isinstance(s, ast.Assign) and _is_self_attr(s.targets[0], DUT) and isinstance(s.value, ast.Name)
        and s.value.id == DUT for s in init.body
    )


def _pairs(target: ast.expr, value: ast.expr) -> list[tuple[ast.expr, ast.expr]]:
    """(target, value) of an assignment, element by element for ``a, b = x, y``."""
    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
        return list(zip(target.elts, value.elts, strict=True))
    return [(target, value)]


def _dut_aliases(func: ast.AST) -> set[str]:
    """Names a method binds to ``self.dut`` (``d = self.dut``, ``d, m = self.dut, self.m``)."""
    names = set()
    for node in ast.walk(func):
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        pairs = _pairs(node.targets[0], node.value)
        names |= {t.id for t, v in pairs if isinstance(t, ast.Name) and _is_self_attr(v, DUT)}
    return names


class _TbBecomesEnv(ast.NodeTransformer):
    """The reference's own ``tb`` (its testbench object) becomes ``env``: the harness's ``tb`` takes the name."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id == TB:
            node.id = ENV
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        if node.arg == TB:
            node.arg = ENV
        return node

    def visit_keyword(self, node: ast.keyword) -> ast.AST:
        self.generic_visit(node)
        if node.arg == TB:
            node.arg = ENV
        return node


class _Rewrite(ast.NodeTransformer):
    """One function's body in the contract (see the module docstring).

    ``duts`` are the names that hold the DUT there; in a method of a testbench class ``self.dut`` does too,
    and the harness is ``self.tb`` instead of ``tb``. ``builders`` are the helpers and classes whose
    ``dut`` argument becomes ``tb``. With ``raw_waits`` (a coroutine the test starts in the background) the
    clock waits stay as they are: ``tb.step`` samples the functional coverage points, and a second caller
    stepping beside the scenario would sample every edge twice.
    """

    def __init__(self, clock: str | None, reset: tuple[str, int] | None, inputs: set[str], builders: set[str],
                 *, duts: set[str], method: bool, is_async: bool, raw_waits: bool = False) -> None:
        self.clock, self.reset, self.inputs, self.builders = clock, reset, inputs, builders
        self.duts, self.method, self.is_async, self.raw_waits = duts, method, is_async, raw_waits
        self.reset_started = False  # a tb.reset was written in this function: it releases the reset itself

    def _is_dut(self, node: ast.AST) -> bool:
        return (isinstance(node, ast.Name) and node.id in self.duts) or (self.method and _is_self_attr(node, DUT))

    def _port(self, node: ast.AST) -> str | None:
        """``X`` for ``<dut>.X``."""
        return node.attr if isinstance(node, ast.Attribute) and self._is_dut(node.value) else None

    def _value(self, node: ast.AST) -> str | None:
        """``X`` for ``<dut>.X.value``."""
        return self._port(node.value) if isinstance(node, ast.Attribute) and node.attr == "value" else None

    def _harness(self) -> ast.expr:
        return ast.Attribute(ast.Name(SELF, ast.Load()), TB, ast.Load()) if self.method else ast.Name(TB, ast.Load())

    def _tb(self, method: str, *args: ast.expr, **kwargs: ast.expr) -> ast.Call:
        return ast.Call(ast.Attribute(self._harness(), method, ast.Load()), list(args),
                        [ast.keyword(k, v) for k, v in kwargs.items()])

    def _touches_design(self, node: ast.AST) -> bool:
        """Drives or reads a port, or calls something that may."""
        return any(
            (isinstance(n, ast.Attribute) and n.attr == "value") or self._is_dut(n)
            or (isinstance(n, ast.Call) and _call_name(n) in self.builders)
            for n in ast.walk(node)
        )

    def clock_wait(self, node: ast.AST) -> str | None:
        """The trigger's name for ``await Trigger(<dut>.<clock>, ...)``."""
        if isinstance(node, ast.Await) and isinstance(node.value, ast.Call) and node.value.args \
                and _call_name(node.value) in CLOCK_WAITS and self.clock is not None:
            return _call_name(node.value) if self._port(node.value.args[0]) == self.clock else None
        return None

    def merge_edges(self, body: list[ast.stmt]) -> list[ast.stmt]:
        """A rising edge then a falling edge, with nothing between that waits or touches the design (a
        reference model's update), is one cycle: the rising edge goes."""
        out = list(body)
        for i, stmt in enumerate(body):
            if self.raw_waits or not (isinstance(stmt, ast.Expr) and self.clock_wait(stmt.value) == "RisingEdge"):
                continue
            for later in body[i + 1:]:
                if isinstance(later, ast.Expr) and self.clock_wait(later.value) == "FallingEdge":
                    out[i] = ast.Pass()
                if self._touches_design(later) or any(isinstance(n, ast.Await) for n in ast.walk(later)):
                    break
        return out

    def _nested(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        outer = self.is_async
        self.is_async = isinstance(node, ast.AsyncFunctionDef)
        self.generic_visit(node)
        self.is_async = outer
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = _nested

    def generic_visit(self, node: ast.AST) -> ast.AST:
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(node, field, self.merge_edges(block))
        return super().generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        self.generic_visit(node)
        port = self._value(node.targets[0]) if len(node.targets) == 1 else None
        if port is None:
            return node
        if port == self.clock:
            return ast.Pass()
        if self.reset and port == self.reset[0]:
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, int):
                if node.value.value != self.reset[1] and self.reset_started:
                    return ast.Pass()  # released: tb.reset releases it
                if node.value.value == self.reset[1] and self.is_async:
                    self.reset_started = True
                    return ast.Expr(ast.Await(self._tb("reset", fill=ast.Constant("keep"))))
            return ast.Expr(self._tb("set", ast.Constant(port), node.value))
        if port in self.inputs:
            return ast.Expr(self._tb("set", ast.Constant(port), node.value))
        return node

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        self.generic_visit(node)
        value = node.value
        if isinstance(value, ast.Await) and _call_name(value.value) in SETTLE_TRIGGERS and not self.raw_waits:
            return ast.Pass()
        return node

    def visit_Await(self, node: ast.Await) -> ast.AST:
        wait = None if self.raw_waits else self.clock_wait(node)
        self.generic_visit(node)
        call = node.value
        if wait == "ClockCycles":
            counts = [k.value for k in call.keywords if k.arg == "num_cycles"]
            cycles = call.args[1] if len(call.args) > 1 else counts[0] if counts else ast.Constant(1)
            return ast.Await(self._tb("step", cycles))
        if wait is not None:
            return ast.Await(self._tb("step"))
        if _call_name(call) == "Timer" and self.clock is None and not self.raw_waits:
            return ast.Await(self._tb("step"))
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if _call_name(node) == "int" and len(node.args) == 1 and not node.keywords:
            port = self._value(node.args[0])
            if port is not None:
                return self._tb("read", ast.Constant(port))
        if isinstance(node.func, ast.Name) and node.func.id in self.builders:  # built on tb now
            node.args = [self._harness() if self._is_dut(a) else a for a in node.args]
            for k in node.keywords:
                if k.arg == DUT and self._is_dut(k.value):
                    k.arg, k.value = TB, self._harness()
        return node


def _without_pass(body: list[ast.stmt]) -> list[ast.stmt]:
    kept = [s for s in body if not isinstance(s, ast.Pass)]
    return kept or [ast.Pass()]


class _DropPass(ast.NodeTransformer):
    """The ``pass`` the rewrite leaves where a statement went (a clock drive, a release), where a block
    holds something else; an ``else:`` of only ``pass`` goes whole."""

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block:
                if field == "orelse" and all(isinstance(s, ast.Pass) for s in block):
                    setattr(node, field, [])
                else:
                    setattr(node, field, _without_pass(block))
        return node


def _uses(node: ast.AST, test) -> bool:
    return any(test(n) for n in ast.walk(node))


def _assign(target: ast.expr, value: ast.expr) -> ast.Assign:
    return ast.Assign([target], value)


def _self(attr: str, ctx: ast.expr_context) -> ast.Attribute:
    return ast.Attribute(ast.Name(SELF, ast.Load()), attr, ctx)


def _after_docstring(func: ast.AST, stmts: list[ast.stmt]) -> None:
    at = 1 if ast.get_docstring(func) else 0
    func.body[at:at] = stmts


class _DropUnusedAliases(ast.NodeTransformer):
    """``d = self.dut`` (or its part of ``d, m = self.dut, self.m``) once nothing reads ``d``."""

    def __init__(self, aliases: set[str], func: ast.AST) -> None:
        loaded = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        self.unused = aliases - loaded

    def _unused(self, target: ast.expr, value: ast.expr) -> bool:
        return isinstance(target, ast.Name) and target.id in self.unused and _is_self_attr(value, DUT)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        if len(node.targets) != 1:
            return node
        pairs = _pairs(node.targets[0], node.value)
        kept = [(t, v) for t, v in pairs if not self._unused(t, v)]
        if len(kept) == len(pairs):
            return node
        if not kept:
            return ast.Pass()
        if len(kept) == 1:
            return ast.Assign([kept[0][0]], kept[0][1])
        return ast.Assign([ast.Tuple([t for t, _ in kept], ast.Store())], ast.Tuple([v for _, v in kept], ast.Load()))


def _background(tree: ast.AST) -> set[str]:
    """Functions and methods the module starts as coroutines (``cocotb.start_soon(monitor())``)."""
    started = [
        n.args[0] for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.args
        and n.func.attr in ("start_soon", "start", "create_task")
    ]
    return {
        name for c in started if (name := _call_name(c)) is not None
        and not (isinstance(c.func, ast.Attribute) and _call_name(c.func.value) == "Clock")  # the clock's start()
    }


def _rewrite_function(func, settings: tuple, builders: set[str], *, method: bool, background: set[str]) -> None:
    duts = _dut_aliases(func) if method else {DUT}
    rewrite = _Rewrite(*settings, builders, duts=duts, method=method, is_async=isinstance(func, ast.AsyncFunctionDef),
                       raw_waits=func.name in background)
    func.body = rewrite.merge_edges(func.body)
    func.body = [rewrite.visit(s) for s in func.body]
    if method:
        _DropUnusedAliases(duts, func).visit(func)
    _DropPass().visit(func)


def _build_on_tb(func: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    """The ``dut`` parameter becomes ``tb``; what the body still reaches raw goes through ``dut = tb.dut``."""
    for a in func.args.args:
        if a.arg == DUT:
            a.arg = TB
    if _uses(func, lambda n: isinstance(n, ast.Name) and n.id == DUT):
        _after_docstring(func, [_assign(ast.Name(DUT, ast.Store()), _tb_dut())])


def _rewrite_class(cls: ast.ClassDef, settings: tuple, builders: set[str], background: set[str]) -> None:
    for method in _defs(cls):
        if method.name == "__init__":
            method.body = [
                _assign(_self(TB, ast.Store()), ast.Name(TB, ast.Load()))
                if isinstance(s, ast.Assign) and _is_self_attr(s.targets[0], DUT) else s for s in method.body
            ]
            # ``dut`` there is the argument
            _rewrite_function(method, settings, builders, method=False, background=background)
            _build_on_tb(method)
        else:
            _rewrite_function(method, settings, builders, method=True, background=background)
    if _uses(cls, lambda n: _is_self_attr(n, DUT)):  # still reached raw somewhere
        init = next(f for f in _defs(cls) if f.name == "__init__")
        _after_docstring(init, [_assign(_self(DUT, ast.Store()), _tb_dut())])


def _tb_dut() -> ast.Attribute:
    return ast.Attribute(ast.Name(TB, ast.Load()), DUT, ast.Load())


def _binds(tree: ast.AST, name: str) -> bool:
    return _uses(tree, lambda n: (isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store))
                 or (isinstance(n, ast.arg) and n.arg == name))


def to_contract(
    tree: ast.Module, *, clock: str | None, reset: tuple[str, int] | None, inputs: Iterable[str]
) -> ast.Module:
    """``tree`` (a parsed reference test module) with its functions in the scenario contract, in place.
    Raises NotInContract where the module binds ``env``, or binds ``tb`` with no testbench class to build.

    Args:
        clock: the clock port (None: a combinational design, stepped by time).
        reset: (the reset port, the level that asserts it), or None.
        inputs: the data inputs ``tb.set`` drives.
    """
    classes = {n.name for n in tree.body if _tb_class(n)}
    if _binds(tree, ENV) or (_binds(tree, TB) and not classes):
        raise NotInContract("the test binds `tb` or `env` itself, not to a testbench class built on the DUT")
    tree = _TbBecomesEnv().visit(tree)
    helpers = {  # the tests themselves keep ``dut``: the harness passes them (tb, dut)
        n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and _takes(n, DUT)
        and not any(is_test_decorator(d) for d in n.decorator_list)
    }
    builders = helpers | classes
    settings = (clock, reset, set(inputs))
    background = _background(tree)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in classes:
            _rewrite_class(node, settings, builders, background)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            _rewrite_function(node, settings, builders, method=False, background=background)
            if node.name in helpers:
                _build_on_tb(node)
    return ast.fix_missing_locations(tree)
