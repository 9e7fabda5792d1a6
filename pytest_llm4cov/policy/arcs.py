"""FSM arcs: the (from, to) state pairs an FSM's next-state logic writes, read from the RTL with pyslang.

Only for registers ``invariants.py`` already gives a legal value set (an FSM's states). The register
``R`` is either assigned its next state directly (one process: ``case (R) A: if (go) R <= B;``) or
from one other name ``N`` (two processes: ``R <= N`` outside reset, ``case (R) A: N = B;``). Each
constant assignment to the next-state target must sit under a state selector, a ``case (R)`` item
or an ``if (R == C ...)`` branch, which gives the from-state; ``N = R`` holds the state (a self-loop,
not an arc). Anything else (a constant written whatever the state, an expression on the right, a
case item that is no constant) drops the register: a bin no run can hit would be a lie.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pytest_llm4cov.interface import DesignInterface
from pytest_llm4cov.policy.invariants import Invariants, reset_condition
from pytest_llm4cov.policy.rtl_facts import parse_number, resolve_parameters, strip_comments
from pytest_llm4cov.syntax_nodes import find_module, identifiers, is_token, node_kind, node_text, within

MAX_ARCS = 64
PREFIX = "arc_"
_ASSIGN = ("NonblockingAssignmentExpression", "AssignmentExpression")

#: register -> {(from, to): label}; the label names the states as the RTL does ("S_IDLE=0 -> S_RUN=1").
Arcs = dict[str, dict[tuple[int, int], str]]


def fsm_arcs(iface: DesignInterface, texts: Mapping[str, str], invariants: Invariants) -> Arcs:
    """The arcs of every legal-set register of ``iface``'s top whose next-state logic reads soundly."""
    import pyslang
    from pyslang import syntax

    out: Arcs = {}
    for path, text in texts.items():
        params = resolve_parameters(strip_comments(text))
        tree = syntax.SyntaxTree.fromText(text, pyslang.SourceManager(), path, path)
        tops: list = []
        tree.root.visit(lambda node, found=tops: find_module(node, iface.top, found))
        for top in tops:
            reader = _Reader(text, params, iface)
            assigns, unclear = reader.assignments(top)
            for reg, legal in invariants.legal.items():
                arcs = reader.arcs(reg, legal, assigns, unclear)
                if arcs:
                    out[reg] = arcs
    return out


class _Reader:
    """One module's text, its parameters and the reset port: what reading an assignment needs."""

    def __init__(self, text: str, params: Mapping[str, int], iface: DesignInterface) -> None:
        self.text, self.params, self.reset = text, params, iface.reset

    def value(self, expr: str) -> int | None:
        e = expr.strip()
        while e.startswith("(") and e.endswith(")"):
            e = e[1:-1].strip()
        return self.params[e] if e in self.params else parse_number(e)

    def assignments(self, module) -> tuple[list[tuple[str, str, object]], set[str]]:
        """(target, right-hand side, node) of every simple-name assignment; names assigned any other way."""
        found: list[tuple[str, str, object]] = []
        unclear: set[str] = set()

        def walk(node) -> None:
            kind = node_kind(node)
            if kind.endswith("AssignmentExpression") and hasattr(node, "left"):
                left = node_text(self.text, node.left).strip()
                if kind in _ASSIGN and re.fullmatch(r"[A-Za-z_]\w*", left):
                    found.append((left, node_text(self.text, node.right), node))
                else:
                    unclear.update(identifiers(self.text, node.left))
                return
            for i in range(len(node)):
                child = node[i]
                if child is not None and hasattr(child, "kind") and not is_token(child):
                    walk(child)

        walk(module)
        return found, unclear

    def arcs(self, reg: str, legal: Sequence[int], assigns, unclear: set[str]) -> dict[tuple[int, int], str]:
        own = [(rhs.strip(), node) for name, rhs, node in assigns if name == reg]
        sources = {rhs for rhs, _ in own if self.value(rhs) is None and rhs != reg}
        if len(sources) > 1:
            return {}
        target = sources.pop() if sources else reg
        if target != reg:  # two processes: the register's own constants must all be its reset
            if not re.fullmatch(r"[A-Za-z_]\w*", target) or any(
                self.value(rhs) is not None and not self.in_reset(node) for rhs, node in own
            ):
                return {}
            writes = [(rhs.strip(), node) for name, rhs, node in assigns if name == target]
        else:
            writes = [(rhs, node) for rhs, node in own if not self.in_reset(node)]
        if target in unclear or reg in unclear:
            return {}
        names: dict[int, str] = {}
        arcs: dict[tuple[int, int], str] = {}
        for rhs, node in writes:
            to = self.value(rhs)
            if to is None:
                if rhs == reg:
                    continue  # holds the state
                return {}
            froms = self.selector(node, reg, legal, names)
            if froms is None:
                return {}
            names.setdefault(to, rhs)
            for f in froms:
                if f != to and f in legal and to in legal:
                    arcs[(f, to)] = ""
        return {arc: f"{_label(arc[0], names)} -> {_label(arc[1], names)}" for arc in sorted(arcs)[:MAX_ARCS]}

    def selector(self, node, reg: str, legal: Sequence[int], names: dict[int, str]) -> set[int] | None:
        """The states in which ``node`` runs, from its nearest enclosing ``case (reg)`` item or
        ``if (reg == C)`` branch; None when there is none or it is unclear."""
        parent = node.parent
        while parent is not None:
            kind = node_kind(parent)
            if kind in ("StandardCaseItem", "DefaultCaseItem") and self._on(parent.parent.expr, reg):
                return self._case_states(parent, legal, names)
            if kind == "ConditionalStatement" and within(node, parent.statement):
                state = self._if_state(parent, reg)
                if state is not None:
                    names.setdefault(state[0], state[1])
                    return {state[0]}
            parent = parent.parent
        return None

    def _on(self, expr, reg: str) -> bool:
        return node_text(self.text, expr).strip().strip("()").strip() == reg

    def _case_states(self, item, legal: Sequence[int], names: dict[int, str]) -> set[int] | None:
        if node_kind(item) == "DefaultCaseItem":
            listed: set[int] = set()
            for other in item.parent.items:
                if node_kind(other) == "StandardCaseItem":
                    got = self._case_states(other, legal, names)
                    if got is None:
                        return None
                    listed |= got
            return set(legal) - listed
        states = set()
        for expr in item.expressions:
            text = node_text(self.text, expr).strip()
            value = self.value(text)
            if value is None:
                return None
            names.setdefault(value, text)
            states.add(value)
        return states

    def _if_state(self, cond, reg: str) -> tuple[int, str] | None:
        conds = cond.predicate.conditions
        if len(conds) != 1:
            return None
        text = node_text(self.text, conds[0].expr)
        if "||" in text:
            return None
        for part in text.split("&&"):
            m = re.fullmatch(rf"\s*\(?\s*{re.escape(reg)}\s*==\s*([\w']+)\s*\)?\s*", part)
            if m and self.value(m.group(1)) is not None:
                return self.value(m.group(1)), m.group(1)
        return None

    def in_reset(self, node) -> bool:
        """Whether ``node`` runs only while reset is asserted (the branch an ``if`` on the reset selects)."""
        if self.reset is None:
            return False
        parent = node.parent
        while parent is not None:
            if node_kind(parent) == "ConditionalStatement" and len(parent.predicate.conditions) == 1:
                which = reset_condition(node_text(self.text, parent.predicate.conditions[0].expr),
                                         self.reset.name, self.reset.active_low)
                if which is True and within(node, parent.statement):
                    return True
                if which is False and parent.elseClause is not None and within(node, parent.elseClause):
                    return True
            parent = parent.parent
        return False


def _label(value: int, names: Mapping[int, str]) -> str:
    name = names.get(value, str(value))
    return str(value) if parse_number(name) is not None else f"{name}={value}"
