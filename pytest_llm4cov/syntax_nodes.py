"""Small readers of pyslang syntax nodes, shared by everything that walks the RTL's syntax tree
(invariants, FSM arcs, mutants): one way to name a node's kind, read its text and compare ranges."""

from __future__ import annotations

import re


def node_kind(node) -> str:
    """``SyntaxKind.ModuleDeclaration`` -> ``"ModuleDeclaration"``."""
    return str(node.kind).rsplit(".", 1)[-1]


def node_span(node) -> tuple[int, int]:
    r = node.sourceRange
    return r.start.offset, r.end.offset


def node_text(text: str, node) -> str:
    start, end = node_span(node)
    return text[start:end]


def within(node, outer) -> bool:
    """``node`` lies inside ``outer``. pyslang hands out a new wrapper per access, so containment is by
    source range, not identity."""
    lo, hi = node_span(outer)
    start, end = node_span(node)
    return lo <= start and end <= hi


def is_token(obj) -> bool:
    return not hasattr(obj, "parent")


def identifiers(text: str, node) -> list[str]:
    return re.findall(r"[A-Za-z_][A-Za-z0-9_$]*", node_text(text, node))


def find_module(node, name: str, found: list) -> bool:
    """A ``visit`` callback: collect module ``name``'s declarations into ``found``."""
    if hasattr(node, "sourceRange") and node_kind(node) == "ModuleDeclaration" and node.header.name.rawText == name:
        found.append(node)
    return True
