"""The conditions on the way to a source line: every enclosing ``if`` (or its ``else``) and ``case`` item.

Uncovered code deep in a decoder sits under several nested tests of an input's fields; the feedback names
them next to the line, outermost first (``instr_i[1:0]`` is 2'b10, then ``instr_i[15:13]`` is 3'b100, ...),
so a model copies the RTL's own terms into ``tb.set("instr_i[1:0]", 0b10)`` rather than working the
nesting out from the numbered listing. Read from the syntax tree alone (pyslang): no elaboration needed.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pytest_llm4cov.syntax_nodes import node_kind, node_span

#: Conditions named per line, the innermost kept when there are more; each trimmed to this many characters.
MAX_CONDITIONS = 5
MAX_CONDITION_CHARS = 60


@lru_cache(maxsize=32)
def _tree(text: str):
    import pyslang

    return pyslang.syntax.SyntaxTree.fromText(text)


def _text(text: str, node) -> str:
    start, end = node_span(node)
    words = " ".join(text[start:end].split())
    return words if len(words) <= MAX_CONDITION_CHARS else words[: MAX_CONDITION_CHARS - 3] + "..."


def _contains(node, point: int) -> bool:
    if node is None or not hasattr(node, "sourceRange"):
        return False
    start, end = node_span(node)
    return start <= point < end


def conditions_at(text: str, line: int, skip: frozenset[str] = frozenset()) -> list[str]:
    """The conditions under which ``line`` (1-based) of ``text`` runs, outermost first; [] when there are
    none, the line is out of range or the text does not parse into anything enclosing it. A condition on
    ``skip`` names alone (the reset: ``not (!rst_n)`` holds in every scenario) is left out."""
    lines = text.splitlines(keepends=True)
    if not 1 <= line <= len(lines):
        return []
    offset = sum(len(x) for x in lines[: line - 1])
    body = lines[line - 1]
    code = body.lstrip()
    skipped = re.match(r"end\b\s*(?=else\b)", code)  # `end else if (...)`: the line is the else's, not the block's
    point = offset + (len(body) - len(code)) + (skipped.end() if skipped else 0)
    try:
        root = _tree(text).root
    except Exception:  # a file pyslang cannot read gives no hint, never an error
        return []
    end = offset + len(body.rstrip())

    def onto(clause) -> int:
        """``else if (go)`` or ``default: y = 1;`` on one line: the line's code is the clause, not the keyword."""
        start = node_span(clause)[0] if hasattr(clause, "sourceRange") else end
        return start if point < start < end else point

    found: list[str] = []
    node = root
    while node is not None:
        kind = node_kind(node)
        if kind == "ConditionalStatement":
            predicate = _text(text, node.predicate)
            if node.elseClause is not None and _contains(node.elseClause, point):
                point = onto(node.elseClause.clause)
            if _contains(node.statement, point):
                found.append(predicate)
            elif node.elseClause is not None and _contains(node.elseClause.clause, point):
                found.append(f"not ({predicate})")
        elif kind == "CaseStatement":
            for item in node.items:
                if _contains(item, point):
                    point = onto(item.clause)
                if _contains(item.clause, point):
                    subject = _text(text, node.expr)
                    if node_kind(item) == "StandardCaseItem":
                        values = ", ".join(_text(text, e) for e in item.expressions if hasattr(e, "sourceRange"))
                        found.append(f"{subject} is {values}")
                    else:
                        found.append(f"{subject} is none of its other case items")
        node = next((c for c in node if hasattr(c, "sourceRange") and _contains(c, point)), None)
    found = [c for c in found if not set(re.findall(r"[A-Za-z_]\w*", c)) <= skip | {"not", "is"}]
    return found[-MAX_CONDITIONS:]
