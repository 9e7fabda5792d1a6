"""Functional coverage for testbenches a model writes whole: the same points the built-in testbench declares.

A model's testbench rarely declares cocotb-coverage points, and then the ``functional`` metric would say
nothing about it. ``with_coverage_section`` adds a readable section after the imports (the ``COVER``,
``COVER_ARCS`` and ``COVER_CROSSES`` tables the built-in policy derives from the RTL, and a sampler) and
marks each ``@cocotb.test()`` with ``@sample_coverage``, which runs the sampler beside the test. A testbench
that already uses cocotb-coverage (its author's own points, or a section kept from an earlier step) is left
as it is. Prompts show the testbench without the section (``functional.without_coverage_section``).
"""

from __future__ import annotations

import ast
import pprint
from functools import lru_cache
from importlib import resources

from pytest_llm4cov.design import Design
from pytest_llm4cov.functional import SECTION_BEGIN, SECTION_DECORATOR
from pytest_llm4cov.policy.builtin import design_arcs, design_invariants
from pytest_llm4cov.policy.coverpoints import arc_points, cover_points, cross_points
from pytest_llm4cov.policy.rtl_facts import mine_facts



@lru_cache(maxsize=1)
def _template() -> str:
    return resources.files("pytest_llm4cov.policy").joinpath("templates/coverage_section.py").read_text()


def _literal(value) -> str:
    return pprint.pformat(value, width=100, compact=True, sort_dicts=False)


def section(design: Design) -> str:
    """The section's code for ``design``: the point tables and the sampler."""
    iface = design.interface
    facts = mine_facts(iface, design.rtl_text)
    fills = {
        "TOP": design.top,
        "CLOCK": repr(iface.clock),
        "RESET": repr(iface.reset.name if iface.reset else None),
        "RESET_ACTIVE": str(iface.reset.asserted if iface.reset else 1),
        "INPUTS": _literal([p.name for p in iface.data_inputs]),
        "COVER": _literal(cover_points(design, facts.order, design_invariants(design))),
        "ARCS": _literal(arc_points(design_arcs(design))),
        "CROSSES": _literal(cross_points(design)),
    }
    text = _template()
    for key, value in fills.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def _is_cocotb_test(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute):
        return target.attr == "test" and isinstance(target.value, ast.Name) and target.value.id == "cocotb"
    return isinstance(target, ast.Name) and target.id == "test"


def _decorator_name(decorator: ast.expr) -> str | None:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else None


def with_coverage_section(design: Design, code: str) -> str | None:
    """``code`` with the section and the decorators added; None when it needs none or cannot take one
    (it does not parse, has no cocotb test, or already declares cocotb-coverage points)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    if "cocotb_coverage" in code or SECTION_BEGIN in code:
        return None
    tests = [
        node for node in tree.body
        if isinstance(node, ast.AsyncFunctionDef) and any(_is_cocotb_test(d) for d in node.decorator_list)
    ]
    if not tests:
        return None
    first = min(min(d.lineno for d in t.decorator_list) for t in tests)
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)) and n.lineno < first]
    after = max((n.end_lineno or n.lineno for n in imports), default=0)
    lines = code.splitlines()
    # Each test gets the decorator just above its `def`, under @cocotb.test(): it wraps the test itself.
    marked = {t.lineno for t in tests if SECTION_DECORATOR not in {_decorator_name(d) for d in t.decorator_list}}
    out: list[str] = []
    for number, line in enumerate(lines, 1):
        if number in marked:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}@{SECTION_DECORATOR}")
        out.append(line)
        if number == after:
            out.extend(section(design).rstrip("\n").splitlines())
    if after == 0:
        out = section(design).strip("\n").splitlines() + [""] + out
    return "\n".join(out) + ("\n" if code.endswith("\n") else "")
