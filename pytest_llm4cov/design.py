"""A design to close coverage on: its RTL, interface, spec text and settings from llm4cov.toml.

Settings come, lowest priority first, from ``[tool.llm4cov]`` in the nearest pyproject.toml, then the
design folder's ``llm4cov.toml``. Unknown keys are an error naming the file and the known keys, so a
typo never silently does nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.build import BuildSpec
from pytest_llm4cov.configurations import ParameterSet, find_set, parse_parameter_sets
from pytest_llm4cov.interface import DesignInterface, extract_interface, rtl_files
from pytest_llm4cov.waivers import Waiver, parse_waivers

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAME = "llm4cov.toml"
SPEC_NAMES = ("spec.md", "SPEC.md", "spec.txt", "README.md")
KNOWN_METRICS = ("line", "branch", "expr", "toggle", "fsm_state", "fsm_arc", "functional")
HARD_KINDS = ("magic-value", "sequence", "timeout", "error-branch")


@dataclass(frozen=True)
class DesignConfig:
    """Per-design settings; every field can come from llm4cov.toml."""

    top: str | None = None
    clock: str | None = None
    reset: str | None = None
    reset_active_low: bool | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    #: Configurations, each overriding ``parameters``: one build, item and testbench each (configurations.py).
    parameter_sets: tuple[ParameterSet, ...] = ()
    defines: Mapping[str, Any] = field(default_factory=dict)
    include_dirs: tuple[str, ...] = ()
    target: float | None = None
    iterations: int | None = None
    metrics: tuple[str, ...] | None = None
    # Corpus metadata (bundled designs): where a design sits in the benchmark and the training data.
    split: str | None = None
    category: str | None = None
    difficulty: str | None = None
    hard_for_random: tuple[str, ...] = ()
    description: str = ""
    #: Points left out of the score, each with a reason (see waivers.py for the keys).
    waivers: tuple[Waiver, ...] = ()
    #: Leave code the elaboration proves unreachable (functions nothing calls) out of the score.
    exclude_unreachable: bool = True
    #: Drive port groups that match AXI-Stream or APB with verification IP (built-in policy, policy/vip.py).
    vip: bool = True

    @classmethod
    def known_keys(cls) -> tuple[str, ...]:
        return tuple(cls.__dataclass_fields__)


#: The TOML type each key must have (checked before any value is used), and how to say it.
_KEY_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "top": ((str,), "a module name (a string)"),
    "clock": ((str,), "a port name (a string)"),
    "reset": ((str,), "a port name (a string)"),
    "reset_active_low": ((bool,), "true or false"),
    "exclude_unreachable": ((bool,), "true or false"),
    "vip": ((bool,), "true or false"),
    "parameters": ((dict,), "a table, e.g. parameters = {WIDTH = 8}"),
    "parameter_sets": ((list,), 'a list of tables, e.g. parameter_sets = [{name = "narrow", WIDTH = 1}]'),
    "defines": ((dict,), "a table, e.g. defines = {SIM = 1}"),
    "include_dirs": ((list,), "a list of folder names"),
    "metrics": ((list,), "a list, e.g. metrics = [\"line\", \"branch\"]"),
    "hard_for_random": ((list,), "a list of names"),
    "waivers": ((list,), "a list of tables"),
    "split": ((str,), "a string"),
    "category": ((str,), "a string"),
    "difficulty": ((str,), "a string"),
    "description": ((str,), "a string"),
}
_ITEM_TYPES = {"include_dirs": str, "metrics": str, "hard_for_random": str}


def _coerce(raw: Mapping[str, Any], origin: str) -> dict[str, Any]:
    known = DesignConfig.known_keys()
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise Llm4covError(f"{origin}: unknown key '{key}' (known keys: {', '.join(known)})")
        kinds, what = _KEY_TYPES.get(key, ((object,), ""))
        if not isinstance(value, kinds) or (key in _ITEM_TYPES and not all(isinstance(v, str) for v in value)):
            raise Llm4covError(f"{origin}: {key} must be {what}, got {value!r}"[:300])
        if key in ("parameters", "defines"):
            bad = [k for k, v in value.items() if isinstance(v, (dict, list))]
            if bad:
                raise Llm4covError(f"{origin}: {key}.{bad[0]} must be a number, string or boolean, not a table or list")
        out[key] = value
    if "target" in out:
        t = out["target"]
        if not isinstance(t, (int, float)) or isinstance(t, bool) or not 0.0 <= float(t) <= 1.0:
            raise Llm4covError(f"{origin}: target must be a number in [0, 1] (a coverage fraction), got {t!r}")
        out["target"] = float(t)
    if "iterations" in out and (
        not isinstance(out["iterations"], int) or isinstance(out["iterations"], bool) or out["iterations"] < 1
    ):
        raise Llm4covError(f"{origin}: iterations must be a positive integer, got {out['iterations']!r}")
    if "metrics" in out:
        if not out["metrics"]:
            raise Llm4covError(f"{origin}: metrics is empty (name at least one of {', '.join(KNOWN_METRICS)})")
        bad = [m for m in out["metrics"] if m not in KNOWN_METRICS]
        if bad:
            raise Llm4covError(f"{origin}: unknown metric '{bad[0]}' (choose from {', '.join(KNOWN_METRICS)})")
        out["metrics"] = tuple(out["metrics"])
    if "hard_for_random" in out:
        bad = [h for h in out["hard_for_random"] if h not in HARD_KINDS]
        if bad:
            raise Llm4covError(f"{origin}: unknown hard_for_random '{bad[0]}' (choose from {', '.join(HARD_KINDS)})")
        out["hard_for_random"] = tuple(out["hard_for_random"])
    for key in ("include_dirs",):
        if key in out:
            out[key] = tuple(str(v) for v in out[key])
    if "waivers" in out:
        out["waivers"] = parse_waivers(out["waivers"], origin)
    if "parameter_sets" in out:
        out["parameter_sets"] = parse_parameter_sets(out["parameter_sets"], origin)
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise Llm4covError(f"{path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise Llm4covError(f"{path}: not a text file") from None


def _pyproject_settings(folder: Path) -> tuple[dict[str, Any], str]:
    for parent in (folder, *folder.parents):
        candidate = parent / "pyproject.toml"
        if candidate.is_file():
            data = _read_toml(candidate).get("tool", {}).get("llm4cov", {})
            # Plugin-wide options live beside per-design defaults; only design keys matter here.
            design_keys = {k: v for k, v in data.items() if k in DesignConfig.known_keys()}
            return design_keys, str(candidate)
    return {}, ""


def load_config(folder: Path) -> DesignConfig:
    """The merged settings for the design in ``folder``."""
    settings: dict[str, Any] = {}
    project, origin = _pyproject_settings(folder)
    settings.update(_coerce(project, f"{origin} [tool.llm4cov]"))
    local = folder / CONFIG_NAME
    if local.is_file():
        settings.update(_coerce(_read_toml(local), str(local)))
    return DesignConfig(**settings)


@dataclass(frozen=True)
class Design:
    """Everything the loop and a policy need to know about one design under test."""

    name: str
    folder: Path
    interface: DesignInterface
    build: BuildSpec
    config: DesignConfig
    spec_text: str = ""
    #: The parameter set this design was loaded with (its values are already in ``config.parameters``).
    configuration: ParameterSet | None = None

    @property
    def top(self) -> str:
        return self.interface.top

    @property
    def target(self) -> float:
        return self.config.target if self.config.target is not None else 1.0

    @property
    def rtl_text(self) -> dict[str, str]:
        """Source text per RTL file (path relative to the design folder)."""
        out = {}
        for src in self.interface.sources:
            try:
                rel = os.path.relpath(src, self.folder)
            except ValueError:
                rel = src
            out[rel] = Path(src).read_text(errors="replace")
        return out

    @property
    def id(self) -> str:
        return f"{self.name}::{self.top}" + (f"[{self.configuration.name}]" if self.configuration else "")


def load_design(
    folder: str | os.PathLike[str],
    top: str | None = None,
    config: DesignConfig | None = None,
    configuration: str | None = None,
) -> Design:
    """Load a design folder (all its .v/.sv elaborated together) with its settings and spec; with
    ``configuration``, under that parameter set (its values over the common ``parameters``)."""
    path = Path(folder).resolve()
    cfg = config or load_config(path)
    pset = find_set(cfg.parameter_sets, configuration) if configuration is not None else None
    if pset is not None:
        cfg = replace(cfg, parameters={**cfg.parameters, **pset.parameters})
    sources = rtl_files([path])
    # The design folder is always searched: `include "defs.svh"` beside the RTL needs no setting.
    include_dirs = tuple(dict.fromkeys([str(path), *(str((path / d).resolve()) for d in cfg.include_dirs)]))
    iface = extract_interface(
        sources,
        top or cfg.top,
        clock=cfg.clock,
        reset=cfg.reset,
        reset_active_low=cfg.reset_active_low,
        defines={k: str(v) for k, v in cfg.defines.items()},
        include_dirs=include_dirs,
        parameters=dict(cfg.parameters),
    )
    spec = BuildSpec.of(iface.sources, iface.top, cfg.parameters, cfg.defines, include_dirs)
    spec_text = ""
    for name in SPEC_NAMES:
        candidate = path / name
        if candidate.is_file():
            spec_text = candidate.read_text(errors="replace")
            break
    return Design(path.name, path, iface, spec, cfg, spec_text, pset)
