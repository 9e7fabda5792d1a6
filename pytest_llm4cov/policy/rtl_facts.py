"""Facts mined from RTL text for directed stimulus: magic values, guarded conditions, timeouts, mirrors.

A light, line-based reading of Verilog/SystemVerilog (comments stripped, parameters resolved) that
finds what random stimulus misses: the constants inputs are compared with (``cmd == 8'hA5``, case
items), conditions that hold only in some internal state (``state == S_LEN && din > 8``), counters
compared with large constants (timeouts to wait out), and inputs compared with internal values
(checksums), which a testbench can mirror at run time since cocotb reads internal signals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pytest_llm4cov.interface import DesignInterface

_NUMBER = r"(?:\d+\s*'\s*[sS]?[bBoOdDhH]\s*[0-9a-fA-FxXzZ_?]+|'\s*[sS]?[bBoOdDhH]\s*[0-9a-fA-FxXzZ_?]+|\d[\d_]*)"
_LITERAL = re.compile(rf"^{_NUMBER}$")
_IDENT = r"[A-Za-z_][A-Za-z0-9_$]*"
_OPERAND = rf"(?:{_IDENT}(?:\s*\[[^\]\[]+\])?|{_NUMBER})"
_COMPARE = re.compile(rf"({_OPERAND})\s*(===|!==|==|!=|>=|>|<(?![=<]))\s*({_OPERAND})")
_PARAM = re.compile(r"\b(?:localparam|parameter)\b([^;]*);", re.S)
_ASSIGN_ONE = re.compile(rf"^\s*(?:{_IDENT}\s+)?(?:\[[^\]]*\]\s*)?({_IDENT})\s*=\s*(.+?)\s*$", re.S)
_ENUM = re.compile(r"\benum\b[^{]*\{([^}]*)\}", re.S)
_CASE = re.compile(rf"\bcase[zx]?\s*\(\s*({_IDENT})\s*\)")
_CASE_ITEM = re.compile(r"^\s*([^:?]+?)\s*:(?!:)")
_ASSIGNMENT = re.compile(rf"\b({_IDENT})\s*(?:\[[^\]]*\])?\s*(?:<=|=)\s*([^;]+);")
_DECL = re.compile(
    rf"\b(?:reg|logic|bit|wire|integer|int)\b\s*(?:signed\s+|unsigned\s+)?(?:\[([^\]:]+):([^\]]+)\]\s*)?"
    rf"({_IDENT}(?:\s*,\s*{_IDENT})*)\s*[;=]"
)
_STEP = re.compile(rf"\b({_IDENT})\s*[-+]\s*(?:\d*'[bdhBDH])?0*1\b(?!\s*[*/\[])")
#: A counter wider than this is not waited out by rolling over (2**24 cycles is past any run's limit).
MAX_COUNTER_BITS = 24
_EXPR_TERM = re.compile(rf"\(?\s*({_IDENT}(?:\[[^\]]+\])?|.+?)\s*==\s*({_NUMBER})\s*\)?")


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def parse_number(text: str, params: Mapping[str, int] | None = None) -> int | None:
    """The value of a Verilog literal or a resolved parameter name; None when unknown or has x/z."""
    if params and text.strip() in params:
        return params[text.strip()]
    t = text.strip().replace("_", "").replace(" ", "")
    if re.fullmatch(r"\d+", t):
        return int(t)
    m = re.fullmatch(r"(\d*)'[sS]?([bBoOdDhH])([0-9a-fA-F]+)", t)
    if not m:
        return None
    base = {"b": 2, "o": 8, "d": 10, "h": 16}[m.group(2).lower()]
    try:
        value = int(m.group(3), base)
    except ValueError:
        return None
    if m.group(1):
        value &= (1 << int(m.group(1))) - 1
    return value


def _base_name(operand: str) -> str:
    return re.sub(r"\s*\[.*", "", operand.strip())


def _low_bit(operand: str, params: Mapping[str, int]) -> int:
    """The lowest bit of a part-select (``s_data[7:2]`` -> 2), 0 for a whole signal."""
    m = re.search(r"\[\s*([^\]:]+?)\s*(?::\s*([^\]]+?)\s*)?\]", operand)
    if not m:
        return 0
    low = _eval_simple(m.group(2) or m.group(1), params)
    return low or 0


def _strip_parameter_ports(text: str) -> str:
    """Remove ``#( ... )`` parameter port lists (their values come elaborated from pyslang)."""
    out, i = [], 0
    for m in re.finditer(r"#\s*\(", text):
        if m.start() < i:
            continue
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            j += 1
        out.append(text[i : m.start()])
        out.append("\n" * text[m.start() : j].count("\n"))
        i = j
    out.append(text[i:])
    return "".join(out)


def resolve_parameters(text: str, known: Mapping[str, int] | None = None) -> dict[str, int]:
    """Parameter, localparam and enum member values that are plain literals (or earlier names)."""
    params: dict[str, int] = dict(known or {})
    for decl in _PARAM.finditer(_strip_parameter_ports(text)):
        body = re.sub(r"\[[^\]]*\]", "", decl.group(1))
        for part in re.split(r",(?![^{]*\})", body):
            m = _ASSIGN_ONE.match(part)
            if not m:
                continue
            value = _eval_simple(m.group(2), params)
            if value is not None and m.group(1) not in (known or {}):
                params[m.group(1)] = value
    for enum in _ENUM.finditer(text):
        nxt = 0
        for member in enum.group(1).split(","):
            name, _, val = member.partition("=")
            name = name.strip()
            if not re.fullmatch(_IDENT, name):
                continue
            if val.strip():
                parsed = parse_number(val, params)
                if parsed is not None:
                    nxt = parsed
            params[name] = nxt
            nxt += 1
    return params


def _eval_simple(expr: str, params: Mapping[str, int]) -> int | None:
    """A literal, a name, or a small arithmetic of them (``DEPTH - 1``, ``1 << 4``)."""
    expr = expr.strip()
    value = parse_number(expr, params)
    if value is not None:
        return value
    tokens = re.findall(rf"{_NUMBER}|{_IDENT}|[-+*/()<>]+", expr)
    pieces = []
    for tok in tokens:
        if re.fullmatch(r"[-+*/()<>]+", tok):
            if tok not in ("+", "-", "*", "/", "(", ")", "<<", ">>", "((", "))"):
                return None
            pieces.append(tok.replace("/", "//"))
        else:
            v = parse_number(tok, params)
            if v is None:
                return None
            pieces.append(str(v))
    try:
        result = eval("".join(pieces), {"__builtins__": {}}, {})  # noqa: S307 - digits and operators only
    except Exception:
        return None
    return int(result) if isinstance(result, int) and result >= 0 else None


@dataclass(frozen=True)
class Rule:
    """Drive ``drives`` when the internal signals match ``guards`` (signal -> value).

    A drive's value is a number, or the name of an internal signal whose run-time value is copied.
    """

    guards: tuple[tuple[str, int], ...]
    drives: tuple[tuple[str, int | str], ...]
    line: int = 0

    def to_dict(self) -> dict:
        return {"when": dict(self.guards), "drive": dict(self.drives)}


@dataclass
class RtlFacts:
    """What the RTL says about hard-to-hit stimulus, keyed by port or internal signal name."""

    values: dict[str, set[int]] = field(default_factory=dict)  # input port -> interesting values (ordered later)
    order: dict[str, list[int]] = field(default_factory=dict)  # input port -> values in source order
    internal_values: dict[str, set[int]] = field(default_factory=dict)
    timeouts: set[int] = field(default_factory=set)  # counter thresholds worth waiting out
    mirrors: dict[str, set[str]] = field(default_factory=dict)  # input -> internal signals it is compared with
    rules: list[Rule] = field(default_factory=list)
    params: dict[str, int] = field(default_factory=dict)
    fed_by: dict[str, str] = field(default_factory=dict)  # internal register -> the input it copies
    counters: dict[str, int] = field(default_factory=dict)  # counter register -> cycles until it rolls over

    def add_value(self, port: str, value: int) -> None:
        self.values.setdefault(port, set()).add(value)
        seq = self.order.setdefault(port, [])
        if value not in seq:
            seq.append(value)


class _Reader:
    def __init__(self, iface: DesignInterface, text: str, facts: RtlFacts) -> None:
        self.inputs = {p.name: p.width for p in iface.data_inputs}
        self.widths = {p.name: p.width for p in iface.ports}
        self.text = text
        self.facts = facts

    def port_of(self, signal: str) -> str | None:
        """The input port a signal is, or copies (one register stage deep)."""
        if signal in self.inputs:
            return signal
        src = self.facts.fed_by.get(signal)
        return src if src in self.inputs else None

    def value(self, operand: str) -> int | None:
        return parse_number(operand, self.facts.params) if not re.fullmatch(_IDENT, operand.strip()) or (
            operand.strip() in self.facts.params
        ) else None


def _comparisons(line: str, reader: _Reader) -> list[tuple[str, str, int | None, str | None]]:
    """(signal, op, constant value or None, other signal or None) for each comparison on a line.

    A constant compared with a part-select is shifted to the signal's bit position.
    """
    out = []
    params = reader.facts.params
    for left, op, right in _COMPARE.findall(line):
        lv, rv = reader.value(left), reader.value(right)
        if lv is None and rv is not None:
            out.append((_base_name(left), op, rv << _low_bit(left, params), None))
        elif rv is None and lv is not None:
            flipped = {">": "<", "<": ">", ">=": "<="}.get(op, op)
            out.append((_base_name(right), flipped, lv << _low_bit(right, params), None))
        elif lv is None and rv is None:
            out.append((_base_name(left), op, None, _base_name(right)))
    return out


def _wanted_values(op: str, value: int, width: int) -> list[int]:
    """Values that make a comparison true and false, nearest the boundary."""
    mask = (1 << max(width, 1)) - 1
    near = {value, value + 1, value - 1}
    if op in (">", ">="):
        near |= {value + 1, mask}
    if op in ("<",):
        near |= {value - 1, 0}
    return sorted(v & mask for v in near if 0 <= v <= mask)


def mine_facts(iface: DesignInterface, sources: Mapping[str, str]) -> RtlFacts:
    """Read every source file of the design and collect facts about the top's inputs."""
    facts = RtlFacts()
    all_text = "\n".join(strip_comments(t) for t in sources.values())
    elaborated = {p.name: parse_number(p.value) for p in iface.parameters}
    facts.params = resolve_parameters(all_text, {k: v for k, v in elaborated.items() if v is not None})
    reader = _Reader(iface, all_text, facts)
    sources_of: dict[str, set[str]] = {}
    for dst, rhs in _ASSIGNMENT.findall(all_text):
        sources_of.setdefault(dst, set()).add(rhs.strip())
    for dst, rhss in sources_of.items():
        # A register that only ever copies one input (a pipeline stage of it) stands for that input;
        # reset values (literals) do not count against that.
        copies = {r for r in rhss if parse_number(r, facts.params) is None}
        if len(copies) == 1 and next(iter(copies)) in reader.inputs and dst not in reader.inputs:
            facts.fed_by[dst] = next(iter(copies))
    case_stack: list[tuple[str, int | None]] = []
    for number, line in enumerate(all_text.splitlines(), 1):
        m = _CASE.search(line)
        if m:
            case_stack.append((m.group(1), None))
        if re.search(r"\bendcase\b", line) and case_stack:
            case_stack.pop()
            continue
        if case_stack and not m:
            item = _CASE_ITEM.match(line)
            if item and re.match(r"\s*default\b", line):
                case_stack[-1] = (case_stack[-1][0], None)  # the default item: no guard known
            elif item and "?" not in line.split(":")[0]:
                sel = case_stack[-1][0]
                labels = [parse_number(x, facts.params) for x in item.group(1).split(",")]
                known = [v for v in labels if v is not None]
                if known:
                    case_stack[-1] = (sel, known[0])
                    port = reader.port_of(sel)
                    for v in known:
                        if port:
                            facts.add_value(port, v)
                        else:
                            facts.internal_values.setdefault(sel, set()).add(v)
        guards = tuple((sel, val) for sel, val in case_stack if val is not None and reader.port_of(sel) is None)
        comps = _comparisons(line, reader)
        drives: list[list[tuple[str, int | str]]] = []
        inner_guards: list[tuple[str, int]] = list(guards)
        for sig, op, value, other in comps:
            port = reader.port_of(sig)
            if value is not None:
                width = reader.widths.get(port or sig, max(value.bit_length(), 1))
                if port:
                    for v in _wanted_values(op, value, width):
                        facts.add_value(port, v)
                    if op in ("==", "===", "!=", "!=="):
                        drives.append([(port, value)])  # equal: the branch random stimulus misses
                    elif op in (">", ">=", "<"):
                        # both sides of a bound: the error path and the normal one
                        drives.append([(port, value + 1 if op == ">" else value)])
                        drives.append([(port, value if op == ">" else max(value - 1, 0))])
                else:
                    facts.internal_values.setdefault(sig, set()).add(value)
                    if op in ("==", "===", "!=", "!=="):
                        inner_guards.append((sig, value))
                    if value >= 32 and sig not in reader.inputs:
                        facts.timeouts.add(value)
            elif other is not None:
                a, b = reader.port_of(sig), reader.port_of(other)
                if a and b is None and re.fullmatch(_IDENT, other):
                    facts.mirrors.setdefault(a, set()).add(other)
                    drives.append([(a, other)])
                elif b and a is None and re.fullmatch(_IDENT, sig):
                    facts.mirrors.setdefault(b, set()).add(sig)
                    drives.append([(b, sig)])
        # Bare 1-bit inputs in a condition (`if (s_last)`, `else if (!start)`): both levels matter here.
        cond = re.search(r"\b(?:if|while)\s*\((.*)\)", line) or re.search(r"=\s*([^=;?]*)\?", line)
        if cond and guards:
            compared = {c[0] for c in comps} | {c[3] for c in comps if c[3]}
            for name in re.findall(_IDENT, cond.group(1)):
                if reader.inputs.get(name) == 1 and name not in compared:
                    drives.append([(name, 0)])
                    drives.append([(name, 1)])
        for drive in drives:
            facts.rules.append(Rule(tuple(dict(inner_guards).items()), tuple(drive), number))
    facts.counters = find_counters(all_text, facts.params)
    for cycles in facts.counters.values():
        if cycles >= 32:
            facts.timeouts.add(cycles)  # a counter with no compared terminal value: wait for its rollover
    for value in elaborated.values():
        # A large parameter is usually a window, a timeout or a count the design waits for.
        if value is not None and value >= 32:
            facts.timeouts.add(value)
    return facts


def find_counters(text: str, params: Mapping[str, int]) -> dict[str, int]:
    """Declared registers that step by one (``cnt <= cnt + 1``, ``(cnt_q + 1'b1)``) with their width's
    cycle count (2**width): how long a run must last for them to roll over or reach their end."""
    widths: dict[str, int] = {}
    for msb, lsb, names in _DECL.findall(text):
        width = 1
        if msb:
            hi, lo = _eval_simple(msb, params), _eval_simple(lsb, params)
            if hi is None or lo is None:
                continue
            width = abs(hi - lo) + 1
        for name in re.split(r"\s*,\s*", names):
            widths.setdefault(name, width)
    counters: dict[str, int] = {}
    for name in _STEP.findall(text):
        width = widths.get(name)
        assigned = re.search(rf"\b{re.escape(name)}\s*(?:\[[^\]]*\]\s*)?<?=[^=]", text)
        if width and assigned and 1 < width <= MAX_COUNTER_BITS:
            counters[name] = 1 << width
    return counters


def rules_from_expressions(comments: Iterable[str], reader_iface: DesignInterface, facts: RtlFacts) -> list[Rule]:
    """Rules from Verilator expression points: ``(state==2'h1 && din==8'h7e) => 1`` gives a guarded drive."""
    inputs = {p.name for p in reader_iface.data_inputs}
    rules = []
    for comment in comments:
        cond = comment.split("=>")[0]
        guards, drives = [], []
        for term in cond.strip().strip("()").split("&&"):
            m = re.match(rf"\s*\(?\s*({_IDENT})(?:\[[^\]]*\])?\s*==\s*({_NUMBER})\s*\)?\s*$", term)
            if not m:
                continue
            name, value = m.group(1), parse_number(m.group(2), facts.params)
            if value is None:
                continue
            port = name if name in inputs else facts.fed_by.get(name)
            if port in inputs:
                drives.append((port, value))
            else:
                guards.append((name, value))
        if drives:
            rules.append(Rule(tuple(guards), tuple(drives)))
    return rules
