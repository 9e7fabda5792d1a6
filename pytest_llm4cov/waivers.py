"""Waivers (coverage points left out of the score, each with a reason) and unreachable-point suspicions.

A waiver comes from a design's ``llm4cov.toml`` (or ``[tool.llm4cov]``)::

    waivers = [
      {file = "fifo.v", line = 42, reason = "debug read port, not used in this product"},
      {hierarchy = "top.u_dbg*", type = "toggle", reason = "debug block tied off"},
    ]

``file`` is a glob matched against the point's path from the right (``fifo.v``, ``rtl/*.v``), ``line``
matches a point on that line or whose block spans it, ``hierarchy`` is a glob over the instance path
(``top.u_dbg*`` also covers everything below ``u_dbg``), ``type`` restricts to one metric. Every given
key must match. Waivers are applied in one place, ``WaivingEvaluator`` (closure.py wraps the evaluator
with it), so the loop ranks, the item scores and every report counts the same points.

Suspicions are never waived automatically: points no step ever covered whose condition reads only
parameters and constants, and points the agent called unreachable, are listed for a person to review.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.coverage import CoveragePoint, CoverageReport
from pytest_llm4cov.observation import Observation

WAIVER_KEYS = ("file", "line", "until", "signal", "hierarchy", "type", "reason")
KNOWN_TYPES = ("line", "branch", "expr", "toggle", "fsm_state", "fsm_arc")
EXAMPLE = '{file = "fifo.v", line = 42, reason = "..."}'


@dataclass(frozen=True, slots=True)
class Waiver:
    """Which points to leave out of the score, and why."""

    reason: str
    file: str | None = None
    line: int | None = None
    hierarchy: str | None = None
    type: str | None = None
    until: int | None = None  # with line: every point on lines line..until
    signal: str | None = None  # only this signal's toggle points (``coeffs`` takes ``gen_a.coeffs[3]:0->1``)

    def matches(self, point: CoveragePoint) -> bool:
        if self.signal is not None:
            if point.metric != "toggle":
                return False
            name = re.split(r"[\[:]", point.comment, maxsplit=1)[0].rsplit(".", 1)[-1]
            if name != self.signal:
                return False
        if self.type is not None and point.metric != self.type:
            return False
        if self.file is not None and not PurePosixPath(point.file).match(self.file):
            return False
        if self.line is not None and self.until is not None:
            if not self.line <= point.line <= self.until:
                return False
        elif self.line is not None:
            lo, hi = point.span or (point.line, point.line)
            if point.line != self.line and not lo <= self.line <= hi:
                return False
        return self.hierarchy is None or fnmatch.fnmatchcase(point.hierarchy, self.hierarchy)

    def describe(self) -> str:
        """Where it applies, in one phrase: 'fifo.v:42 toggle' or 'top.u_dbg*'."""
        parts = []
        if self.file is not None:
            lines = f":{self.line}" + (f"-{self.until}" if self.until is not None else "") if self.line else ""
            parts.append(self.file + lines)
        if self.hierarchy is not None:
            parts.append(self.hierarchy)
        if self.signal is not None:
            parts.append(self.signal)
        if self.type is not None:
            parts.append(self.type)
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in WAIVER_KEYS if getattr(self, k) is not None}


def parse_waivers(raw: Any, origin: str) -> tuple[Waiver, ...]:
    """Validate the ``waivers`` value of a config file; each error is one line naming ``origin``."""
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, (list, tuple)):
        raise Llm4covError(f"{origin}: waivers must be a list of tables like [{EXAMPLE}], got {raw!r}")
    out = []
    for number, entry in enumerate(raw, 1):
        where = f"{origin}: waiver #{number}"
        if isinstance(entry, Waiver):
            out.append(entry)
            continue
        if not isinstance(entry, Mapping):
            raise Llm4covError(f"{where} must be a table like {EXAMPLE}, got {entry!r}")
        unknown = [k for k in entry if k not in WAIVER_KEYS]
        if unknown:
            raise Llm4covError(f"{where}: unknown key '{unknown[0]}' (known keys: {', '.join(WAIVER_KEYS)})")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise Llm4covError(f"{where} needs a reason: why the point cannot or need not be covered")
        for key in ("file", "hierarchy"):
            value = entry.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise Llm4covError(f"{where}: {key} must be a non-empty string, got {value!r}")
        if entry.get("file") is None and entry.get("hierarchy") is None:
            raise Llm4covError(f"{where} needs a file or a hierarchy to say what it waives")
        line = entry.get("line")
        if line is not None:
            if isinstance(line, bool) or not isinstance(line, int) or line < 1:
                raise Llm4covError(f"{where}: line must be a positive integer, got {line!r}")
            if entry.get("file") is None:
                raise Llm4covError(f"{where}: line {line} needs a file (which file's line {line}?)")
        until = entry.get("until")
        if until is not None and (isinstance(until, bool) or not isinstance(until, int) or line is None
                                  or until < line):
            raise Llm4covError(f"{where}: until must be a line number after line (a range line..until), "
                               f"got {until!r}")
        signal = entry.get("signal")
        if signal is not None and (not isinstance(signal, str) or not signal.strip()):
            raise Llm4covError(f"{where}: signal must be a signal name, got {signal!r}")
        kind = entry.get("type")
        if kind is not None and kind not in KNOWN_TYPES:
            raise Llm4covError(f"{where}: unknown type {kind!r} (choose from {', '.join(KNOWN_TYPES)})")
        out.append(
            Waiver(reason=reason.strip(), file=entry.get("file"), line=line, hierarchy=entry.get("hierarchy"),
                   type=kind, until=until, signal=signal)
        )
    return tuple(out)


def unreachable_waivers(unreachable: Iterable[tuple]) -> tuple[Waiver, ...]:
    """Waivers for code the elaboration proved no stimulus can run (``DesignInterface.unreachable``)."""
    return tuple(
        Waiver(reason=u[3], file=u[0], line=u[1], until=u[2], signal=u[4] if len(u) > 4 else None)
        for u in unreachable
    )


def design_waivers(design: Any) -> tuple[tuple[Waiver, ...], tuple[Waiver, ...]]:
    """A design's waivers as the plugin applies them: its config's, then those for the code its elaboration
    proved unreachable (unless ``exclude_unreachable`` is off); the second item is the proven ones alone."""
    proven = unreachable_waivers(design.interface.unreachable) if design.config.exclude_unreachable else ()
    return (*design.config.waivers, *proven), proven


def scoring_evaluator(design: Any, evaluator: Any) -> Any:
    """``evaluator`` scoring ``design`` as the plugin does (its waivers left out of every observation): every
    runner of the loop (the plugin, bench, resume, the trainer's evaluate) goes through this, so a score
    and the uncovered points a model is shown mean the same everywhere."""
    waivers, _ = design_waivers(design)
    return WaivingEvaluator(evaluator, waivers) if waivers else evaluator


def waiver_for(point: CoveragePoint, waivers: Sequence[Waiver]) -> Waiver | None:
    """The first waiver that covers ``point`` (config order), or None."""
    for w in waivers:
        if w.matches(point):
            return w
    return None


def split_waived(
    report: CoverageReport, waivers: Sequence[Waiver]
) -> tuple[CoverageReport, tuple[tuple[CoveragePoint, Waiver], ...]]:
    """The report without waived points, and the waived points each with the waiver that took it."""
    if not waivers:
        return report, ()
    kept: list[CoveragePoint] = []
    waived: list[tuple[CoveragePoint, Waiver]] = []
    for p in report.points:
        w = waiver_for(p, waivers)
        if w is None:
            kept.append(p)
        else:
            waived.append((p, w))
    return CoverageReport(tuple(kept)), tuple(waived)


class WaivingEvaluator:
    """An evaluator whose observations leave the waived points out, so every score excludes them.

    The waived points of each observation it returned stay reachable through ``waived(obs)`` for the
    reports. Anything else is delegated to the wrapped evaluator.
    """

    def __init__(self, inner: Any, waivers: Sequence[Waiver]) -> None:
        self.inner = inner
        self.waivers = tuple(waivers)
        # id -> (observation, its waived points); the observation is held so its id stays unique.
        self._waived: dict[int, tuple[Observation, tuple[tuple[CoveragePoint, Waiver], ...]]] = {}

    def evaluate(self, spec: Any, testbench: Any, **kwargs: Any) -> Observation:
        obs = self.inner.evaluate(spec, testbench, **kwargs)
        if obs.coverage is None or not self.waivers:
            return obs
        kept, waived = split_waived(obs.coverage, self.waivers)
        filtered = replace(obs, coverage=kept)
        self._waived[id(filtered)] = (filtered, waived)
        return filtered

    def waived(self, obs: Observation | None) -> tuple[tuple[CoveragePoint, Waiver], ...]:
        entry = self._waived.get(id(obs))
        return entry[1] if entry is not None and entry[0] is obs else ()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


# -- unreachable-point suspicions -----------------------------------------------------------------

_KEYWORDS = frozenset(
    "if else case casez casex endcase while for begin end assign always always_ff always_comb default "
    "and or not posedge negedge wire reg logic signed unsigned".split()
)
_LITERAL = re.compile(r"\d*\s*'[sS]?[bBoOdDhH]\s*[0-9a-fA-F_xXzZ?]+|\b\d[\d_]*(\.\d+)?\b")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_CONSTANT_DECL = re.compile(r"\b(?:parameter|localparam)\b([^;]*)", re.S)
_GENVAR = re.compile(r"\bgenvar\b([^;]*);")


def constant_names(sources: Iterable[str]) -> set[str]:
    """Names declared as parameter, localparam or genvar in the given source texts."""
    names: set[str] = set()
    for text in sources:
        text = re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)
        for decl in _CONSTANT_DECL.findall(text):
            names.update(re.findall(r"([A-Za-z_]\w*)\s*=(?!=)", decl))
        for decl in _GENVAR.findall(text):
            names.update(_IDENT.findall(decl))
    return names


def _balanced(text: str, start: int) -> str | None:
    """The text inside the parenthesis opening at ``start``."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
    return None


def _condition(text: str) -> str | None:
    """The condition a branch on this source line decides on, when the line holds one."""
    text = text.split("//", 1)[0]
    m = re.search(r"\b(?:if|case[zx]?|while)\s*\(", text)
    if m:
        return _balanced(text, m.end() - 1)
    if "?" in text:
        before = text[: text.index("?")]
        parts = re.split(r"(?<![=!<>])(?:<=|=)(?!=)", before)
        return parts[-1] if len(parts) > 1 else None
    return None


def _reads_only_constants(expr: str, constants: set[str]) -> bool:
    expr = re.sub(r"`\w+|\$\w+", " ", expr)  # macros and system functions ($clog2) are constant
    expr = _LITERAL.sub(" ", expr)
    names = {n for n in _IDENT.findall(expr) if n not in _KEYWORDS}
    return names <= constants


def _expr_terms(comment: str) -> str:
    """An expression point's comment without its outcome: '(en==1 && x==0) => 1' -> '(en==1 && x==0)'."""
    return comment.rsplit("=>", 1)[0]


def _toggle_driver(point: CoveragePoint, lines: Sequence[str]) -> str | None:
    """The constant expression a signal is declared with or continuously assigned, if on its line."""
    signal = re.split(r"[\[:]", point.comment, maxsplit=1)[0]
    text = lines[point.line - 1] if 0 < point.line <= len(lines) else ""
    m = re.search(rf"\b{re.escape(signal)}\s*=(?!=)\s*([^;,]*)", text.split("//", 1)[0])
    return m.group(1) if m else None


def find_suspects(
    never_covered: Iterable[CoveragePoint],
    sources: Mapping[str, str],
    *,
    flagged: Iterable[Mapping[str, Any]] = (),
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Points that look unreachable, for review (never waived automatically).

    Args:
        never_covered: points no step of the run covered.
        sources: source text per file (the design's RTL).
        flagged: the agent's own claims, each ``{"file", "line", "reason"}``.
    """
    constants = constant_names(sources.values())
    split = {f: t.splitlines() for f, t in sources.items()}
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, int, str, str]] = set()
    for p in sorted(never_covered, key=lambda p: (p.file, p.line, p.metric, p.comment)):
        lines = split.get(p.file, [])
        text = lines[p.line - 1] if 0 < p.line <= len(lines) else ""
        if p.metric == "toggle":
            expr = _toggle_driver(p, lines)
        elif p.metric == "expr" and p.comment:
            expr = _expr_terms(p.comment)
        else:
            expr = _condition(text)
        if expr is None or not _reads_only_constants(expr, constants):
            continue
        key = (p.file, p.line, p.metric, p.comment)
        if key in seen:
            continue
        seen.add(key)
        out.append({
            "file": p.file, "line": p.line, "type": p.metric, "detail": p.comment, "source": text.strip(),
            "why": f"never covered, and depends only on parameters or constants: {expr.strip()}",
        })
    for claim in flagged:
        try:
            file, line = str(claim.get("file", "")), int(claim.get("line", 0))
        except (TypeError, ValueError):
            continue
        key = (file, line, "agent", "")
        if key in seen:
            continue
        seen.add(key)
        lines = next((v for k, v in split.items() if PurePosixPath(k).match(file or "-")), [])
        out.append({
            "file": file, "line": line, "type": str(claim.get("type", "")), "detail": "",
            "source": lines[line - 1].strip() if 0 < line <= len(lines) else "",
            "why": "the agent called it unreachable: " + str(claim.get("reason", "no reason given")),
        })
    return out[:limit]
