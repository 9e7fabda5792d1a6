"""Stage configs as dataclasses: one per stage, read from TOML or the command line, recorded beside the output.

TRL's pattern: each stage module exports one flat ``@dataclass`` config whose fields carry their help
text; the CLI and ``run CONFIG.toml`` are generated from those fields, so flags, files and docs cannot
drift. ``__post_init__`` of each config rejects out-of-range values naming the field. Unknown keys in a
config file are an error naming the file and the known keys (a typo never silently does nothing).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from pytest_llm4cov import Llm4covError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

C = TypeVar("C")


def option(default: Any, help: str, **kw: Any) -> Any:
    """A config field with its help text (lists and dicts get a fresh default each time)."""
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata={"help": help, **kw})
    return dataclasses.field(default=default, metadata={"help": help, **kw})


def _base_type(tp: Any) -> tuple[Any, bool]:
    """(the field's scalar type, whether it is a list) from its annotation."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _base_type(args[0])
    if origin in (list, tuple):
        return (typing.get_args(tp) or (str,))[0], True
    return tp, False


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_mapping(cls: type[C], data: dict[str, Any], origin: str) -> C:
    """A config from a TOML table; unknown keys and wrong types name the file and the key."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = [k for k in data if k not in fields]
    if unknown:
        raise Llm4covError(f"{origin}: unknown key '{unknown[0]}' (known keys: {', '.join(fields)})")
    hints = _hints(cls)
    values = {}
    for key, value in data.items():
        base, is_list = _base_type(hints[key])
        if is_list:
            if not isinstance(value, list):
                raise Llm4covError(f"{origin}: {key} must be a list, got {value!r}")
            values[key] = [_coerce(base, v, f"{origin}: {key}") for v in value]
        elif base is dict or typing.get_origin(base) is dict:
            if not isinstance(value, dict):
                raise Llm4covError(f"{origin}: {key} must be a table, got {value!r}")
            values[key] = dict(value)
        else:
            values[key] = _coerce(base, value, f"{origin}: {key}")
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise Llm4covError(f"{origin}: {exc}") from None


def _coerce(base: Any, value: Any, where: str) -> Any:
    if base is Any or value is None:
        return value
    if base is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if base is bool and not isinstance(value, bool):
        raise Llm4covError(f"{where} must be true or false, got {value!r}")
    if base in (int, float, str) and not isinstance(value, base):
        raise Llm4covError(f"{where} must be a {base.__name__}, got {value!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """One ``--flag`` per field (dashes for underscores), default None so a config file's value stands."""
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        base, is_list = _base_type(hints[f.name])
        flag = "--" + f.name.replace("_", "-")
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        text = f"{f.metadata.get('help', '')} (default: {default!r})"
        if base is bool:
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=text)
        elif is_list:
            parser.add_argument(
                flag,
                dest=f.name,
                default=None,
                help=text + "; comma-separated",
                type=lambda s, b=base: [b(x) for x in s.split(",") if x],
            )
        elif base is dict or typing.get_origin(base) is dict:
            parser.add_argument(flag, dest=f.name, default=None, type=json.loads, help=text + "; a JSON object")
        else:
            parser.add_argument(flag, dest=f.name, default=None, type=base if base in (int, float) else str, help=text)


def from_arguments(cls: type[C], args: argparse.Namespace, base: dict[str, Any] | None = None) -> C:
    """A config from parsed flags over ``base`` (a config file's table): the command line wins."""
    values = dict(base or {})
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        value = getattr(args, f.name, None)
        if value is not None:
            values[f.name] = value
    return from_mapping(cls, values, "command line")


def read_toml(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        return tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise Llm4covError(f"{p}: no such config file (see trainer/configs/ for examples)") from None
    except tomllib.TOMLDecodeError as exc:
        raise Llm4covError(f"{p}: not valid TOML ({exc})") from None


def record(config: Any, output: str | Path, stage: str) -> Path:
    """Write the stage's config beside its output (``<output>.config.json``, or ``trainer-config.json`` in an
    output folder), so every file says how it was made."""
    out = Path(output)
    target = out / "trainer-config.json" if out.is_dir() else out.with_name(out.name + ".config.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    data = {"stage": stage, "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "config": dataclasses.asdict(config)}
    target.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return target


def check(condition: bool, field: str, message: str) -> None:
    """Raise the one-line error of a config field out of range."""
    if not condition:
        raise ValueError(f"{field} {message}")
