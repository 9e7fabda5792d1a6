"""Checks a testbench can infer safely from the RTL alone: reset values and legal value sets.

Read from pyslang's syntax tree of the top module:

- **reset values**: a register assigned a constant exactly once inside the branch that the reset port
  selects (``if (!rst_n) q <= 4'd0;``) holds that constant while reset is asserted;
- **legal values**: a register every assignment of which is a constant or another such register
  (an FSM's ``state <= S_IDLE`` / ``state <= next``, ``next = S_RUN``), and which is reset, only ever
  holds one of those constants after reset.

Anything unclear (a part-select or concatenation on the left, an expression on the right, a parameter
that does not resolve, a second assignment in the reset branch) drops the signal: a check that is
wrong on the unmutated design would be worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pytest_llm4cov.interface import DesignInterface
from pytest_llm4cov.policy.rtl_facts import parse_number, resolve_parameters, strip_comments
from pytest_llm4cov.syntax_nodes import find_module, identifiers, is_token, node_kind, node_text

MAX_LEGAL_VALUES = 32


@dataclass
class Invariants:
    reset_values: dict[str, int] = field(default_factory=dict)
    legal: dict[str, list[int]] = field(default_factory=dict)


def reset_condition(cond: str, reset: str, active_low: bool) -> bool | None:
    """True when ``cond`` holds exactly while reset is asserted, False for its negation, None otherwise."""
    c = cond.replace(" ", "").replace("(", "").replace(")", "")
    asserted = {f"!{reset}", f"~{reset}", f"{reset}==0", f"{reset}==1'b0", f"{reset}==1'h0"}
    released = {reset, f"{reset}==1", f"{reset}==1'b1", f"{reset}==1'h1"}
    if not active_low:
        asserted, released = released, asserted
    if c in asserted:
        return True
    if c in released:
        return False
    return None


def infer_invariants(iface: DesignInterface, texts: dict[str, str]) -> Invariants:
    """The checks for the top module of ``iface`` (``texts``: source text per file)."""
    import pyslang
    from pyslang import syntax

    out = Invariants()
    reset = iface.reset
    widths = {p.name: p.width for p in iface.ports}
    rhs: dict[str, list[str]] = {}  # signal -> right-hand sides (text)
    unclear: set[str] = set()
    in_reset: dict[str, list[str]] = {}
    params: dict[str, int] = {}
    for path, raw in texts.items():
        text = raw
        params.update(resolve_parameters(strip_comments(text)))
        tree = syntax.SyntaxTree.fromText(text, pyslang.SourceManager(), path, path)
        tops: list = []
        tree.root.visit(lambda node, found=tops: find_module(node, iface.top, found))
        for top in tops:
            _collect(top, text, rhs, unclear, in_reset, reset.name if reset else None,
                     bool(reset and reset.active_low), iface.clock)

    def value(t: str) -> int | None:
        t = t.strip()
        return params[t] if t in params else parse_number(t)

    if reset is not None:
        for name, values in in_reset.items():
            if len(values) == 1 and name not in unclear and value(values[0]) is not None:
                out.reset_values[name] = value(values[0])
    # Legal sets: constants, or names whose own set is known (fixpoint over aliases).
    sets: dict[str, set[int] | None] = {}
    for name in rhs:
        sets[name] = None if name in unclear else set()
    changed = True
    while changed:
        changed = False
        for name, sides in rhs.items():
            if sets.get(name) is None:
                continue
            for side in sides:
                v = value(side)
                if v is not None:
                    new = {v}
                elif side.strip() in sets and side.strip() != name:
                    other = sets[side.strip()]
                    if other is None:
                        sets[name] = None
                        changed = True
                        break
                    new = other
                elif side.strip() == name:
                    continue
                else:
                    sets[name] = None
                    changed = True
                    break
                if not new <= sets[name]:
                    sets[name] |= new
                    changed = True
    for name, values in sets.items():
        if not values or name not in out.reset_values or len(values) > MAX_LEGAL_VALUES:
            continue
        width = widths.get(name)
        if width is not None and len(values) >= (1 << width):
            continue
        if len(values) >= 2:
            out.legal[name] = sorted(values)
    return out


def _collect(module, text, rhs, unclear, in_reset, reset, active_low, clock) -> None:
    """Every assignment in ``module``: simple-name targets and their right-hand sides; reset-branch ones.

    A reset branch counts only when it is the unconditional top of an always block clocked by the
    testbench's clock (or by the reset itself); an assignment under a further condition inside it
    makes that register's reset value unknown.
    """
    unknown = "<conditional>"

    def target(node) -> str | None:
        left = node_text(text, node.left).strip()
        return left if left.replace("_", "a").isalnum() and not left[0].isdigit() else None

    def walk(node, mode: str) -> None:
        # mode: "top" (unconditional in a usable always block), "reset", "reset-nested", "other"
        kind = node_kind(node)
        if kind in ("NonblockingAssignmentExpression", "AssignmentExpression"):
            name = target(node)
            if name is None:
                for ident in identifiers(text, node.left):
                    unclear.add(ident)
            else:
                rhs.setdefault(name, []).append(node_text(text, node.right))
                if mode in ("reset", "reset-nested"):
                    value = node_text(text, node.right) if mode == "reset" else unknown
                    in_reset.setdefault(name, []).append(value)
            return
        if kind.endswith("AssignmentExpression") and hasattr(node, "left"):  # +=, |=, ...
            for ident in identifiers(text, node.left):
                unclear.add(ident)
            return
        if kind in ("AlwaysBlock", "AlwaysFFBlock", "AlwaysCombBlock", "AlwaysLatchBlock", "InitialBlock"):
            control = getattr(node.statement, "timingControl", None)
            timing = node_text(text, control) if control is not None else ""
            usable = kind != "InitialBlock" and reset is not None and (
                (clock is not None and re.search(rf"\b{re.escape(clock)}\b", timing) is not None)
                or re.search(rf"\b{re.escape(reset)}\b", timing) is not None
            )
            mode = "top" if usable else "other"
        elif kind == "ConditionalStatement":
            conds = node.predicate.conditions
            which = None
            if mode == "top" and len(conds) == 1:
                which = reset_condition(node_text(text, conds[0].expr), reset, active_low)
            if which is not None:
                walk(node.statement, "reset" if which else "other")
                if node.elseClause is not None:
                    walk(node.elseClause, "other" if which else "reset")
                return
            mode = {"reset": "reset-nested", "top": "other"}.get(mode, mode)
        elif kind in ("CaseStatement", "ForLoopStatement", "WhileLoopStatement", "RepeatLoopStatement",
                      "ForeverStatement", "DoWhileStatement", "ForeachLoopStatement"):
            mode = {"reset": "reset-nested", "top": "other"}.get(mode, mode)
        for i in range(len(node)):
            child = node[i]
            if child is not None and hasattr(child, "sourceRange") and hasattr(child, "kind") and not is_token(child):
                walk(child, mode)

    walk(module, "other")

