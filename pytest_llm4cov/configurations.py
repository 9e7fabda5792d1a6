"""Parameter sets: one design verified under several configurations, as real DV verifies a parameterised block.

In ``llm4cov.toml``, ``parameter_sets`` is a list of tables; each names an optional ``name`` and the
parameter values that override the common ``parameters`` for one build::

    parameters = {WIDTH = 8}
    parameter_sets = [{name = "narrow", WIDTH = 1, LAST_ENABLE = 0}, {name = "wide"}]

A set without a name is named after its values (``WIDTH1-LAST_ENABLE0``; ``default`` when it has none).
Each configuration is its own pytest item (``fifo.v::fifo[narrow]``), build and testbench; merge.py
combines their coverage. Values are checked here; parameter names and elaboration need the RTL and are
checked by ``check_configuration`` when the design is collected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_llm4cov import Llm4covError

EXAMPLE = 'parameter_sets = [{name = "narrow", WIDTH = 1}, {name = "wide", WIDTH = 32}]'
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class ParameterSet:
    """One configuration: its name, the parameters it overrides, and the file that declared it."""

    name: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    origin: str = ""

    def describe(self) -> str:
        """The set as written in TOML: ``{WIDTH = 1, MODE = "fast"}``."""
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in self.parameters.items()) + "}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "parameters": dict(self.parameters)}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)


def _default_name(params: Mapping[str, Any]) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9_]", "_", f"{k}{_toml_value(v).strip(chr(34))}")
                    for k, v in params.items()) or "default"


def parse_parameter_sets(raw: Any, origin: str) -> tuple[ParameterSet, ...]:
    """Validate the ``parameter_sets`` value of a config file; each error is one line naming ``origin``."""
    if not isinstance(raw, (list, tuple)):
        raise Llm4covError(f"{origin}: parameter_sets must be a list of tables like {EXAMPLE}, got {raw!r}"[:300])
    if not raw:
        raise Llm4covError(f"{origin}: parameter_sets is empty (list at least one set, e.g. {EXAMPLE}, "
                           "or remove the key)")
    out: list[ParameterSet] = []
    for number, entry in enumerate(raw, 1):
        where = f"{origin}: parameter set #{number}"
        if isinstance(entry, ParameterSet):
            out.append(entry)
            continue
        if not isinstance(entry, Mapping):
            raise Llm4covError(f"{where} must be a table like {{name = \"narrow\", WIDTH = 1}}, got {entry!r}"[:300])
        params = {k: v for k, v in entry.items() if k != "name"}
        bad = [k for k, v in params.items() if isinstance(v, (dict, list))]
        if bad:
            raise Llm4covError(f"{where}: {bad[0]} must be a number, string or boolean, not a table or list")
        name = entry.get("name", _default_name(params))
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise Llm4covError(f"{where}: name must be letters, digits, '_', '.' or '-' (it becomes the item id "
                               f"fifo[NAME]), got {name!r}")
        if any(s.name == name for s in out):
            raise Llm4covError(f"{where}: the name '{name}' is used twice (give each set its own name = \"...\")")
        out.append(ParameterSet(name, params, origin))
    return tuple(out)


def find_set(sets: Sequence[ParameterSet], name: str) -> ParameterSet:
    for s in sets:
        if s.name == name:
            return s
    raise Llm4covError(f"no parameter set '{name}' (sets: {', '.join(s.name for s in sets) or 'none'})")


def check_configuration(pset: ParameterSet, common: Mapping[str, Any], top: str, elaborate_with) -> None:
    """Raise one line naming the file when ``pset`` names a parameter ``top`` lacks or does not elaborate.

    ``elaborate_with(parameters)`` elaborates the design with those overrides and returns the top's
    ``DesignInterface`` (raising Llm4covError); it is called once, and again per parameter of the set
    only to name the one that breaks the elaboration.
    """
    where = f"{pset.origin}: parameter set '{pset.name}'"
    params = {**common, **pset.parameters}
    try:
        iface = elaborate_with(params)
    except Llm4covError as exc:
        # elaborate()'s advice is about the RTL text; here the set's value is what to change.
        reason = str(exc).removesuffix(" (fix the RTL so that it parses)")
        for name in pset.parameters:
            try:
                elaborate_with({k: v for k, v in params.items() if k != name})
            except Llm4covError:
                continue
            raise Llm4covError(f"{where} does not elaborate with {name} = {_toml_value(pset.parameters[name])}: "
                               f"{reason}") from None
        raise Llm4covError(f"{where} {pset.describe()} does not elaborate: {reason}") from None
    known = [p.name for p in iface.parameters if not p.local]
    unknown = [k for k in pset.parameters if k not in known]
    if unknown:
        raise Llm4covError(f"{where}: '{unknown[0]}' is not a parameter of {top} "
                           f"(its parameters: {', '.join(known) or 'none'})")
