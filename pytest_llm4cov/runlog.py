"""The run log: one JSON line per loop step, append-only; the trainer's input.

Schema ``llm4cov.runlog/1`` (every line carries it), documented in docs/runlog.md. Lines are written
with a single ``write`` on an O_APPEND descriptor, so concurrent writers never interleave and a crash
(even ``kill -9`` mid-write) leaves at most one partial last line, which the reader detects and skips
and the next writer cuts off before appending (``resume.py`` appends to an interrupted run's log).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_llm4cov import Llm4covError

SCHEMA = "llm4cov.runlog/1"


@dataclass(frozen=True)
class RunRecord:
    """One step of one run: the state it started from (by step), the testbench, what it observed."""

    run_id: str
    design: str
    top: str
    rtl_hash: str
    policy: dict[str, Any]
    seed: int
    step: int
    parent_step: int | None  # the step whose (testbench, observation) was the policy's input; None at s_0
    testbench: str
    observation: dict[str, Any]
    score: float
    best_before: float
    best_after: float
    improved: bool
    timings: dict[str, float]
    proposal: dict[str, Any]
    target: float = 1.0
    split: str | None = None
    time: float = 0.0
    configuration: dict[str, Any] | None = None  # the parameter set (name, parameters) the run built with

    def to_json(self) -> str:
        data = {"schema": SCHEMA, **self.__dict__}
        return json.dumps(data, sort_keys=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        fields = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in fields})


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:8]


class RunLogWriter:
    """Appends records to a JSONL file, one atomic write per line."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._cut_partial_line()

    def append(self, record: RunRecord) -> None:
        line = (record.to_json() + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)  # appends run together; only the repair below excludes them
            os.write(fd, line)
        finally:
            os.close(fd)

    def _cut_partial_line(self) -> None:
        """Drop the partial record a killed writer left at the end, so that the next line starts clean."""
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            end = os.fstat(fd).st_size
            if end == 0 or os.pread(fd, 1, end - 1) == b"\n":
                return
            cut, pos = 0, end
            while pos > 0:
                start = max(0, pos - 65536)
                newline = os.pread(fd, pos - start, start).rfind(b"\n")
                if newline >= 0:
                    cut = start + newline + 1
                    break
                pos = start
            os.ftruncate(fd, cut)
        finally:
            os.close(fd)


def read_runlog(path: str | os.PathLike[str]) -> Iterator[RunRecord]:
    """Records of a run log, in order. A truncated last line (a killed writer) is skipped.

    Raises:
        Llm4covError: a line of another schema version or a corrupt line before the last.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise Llm4covError(f"{p}: cannot read the run log ({exc.strerror})") from None
    lines = raw.split(b"\n")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:  # JSONDecodeError, UnicodeDecodeError
            # A write is one line ending in its newline, so only an unterminated last line can be the
            # partial record of an interrupted writer; anything else is damage to report.
            if number == len(lines):
                return
            raise Llm4covError(
                f"{p}:{number}: corrupt run-log line (not JSON); remove it or restore the file"
            ) from None
        if not isinstance(data, dict):
            kind = type(data).__name__
            raise Llm4covError(f"{p}:{number}: not a run-log record (a JSON {kind}); remove the line")
        schema = data.get("schema")
        if schema != SCHEMA:
            raise Llm4covError(
                f"{p}:{number}: run-log schema {schema!r} is not {SCHEMA!r} (written by another version of "
                "pytest-llm4cov; re-run to regenerate it)"
            )
        for key, kind in _FIELD_TYPES.items():
            if key in data and not isinstance(data[key], kind):
                raise Llm4covError(
                    f"{p}:{number}: run-log field '{key}' holds {type(data[key]).__name__}, not the "
                    f"{'/'.join(k.__name__ for k in kind)} of {SCHEMA} (restore the file or re-run)"
                )
        try:
            yield RunRecord.from_dict(data)
        except TypeError as exc:
            raise Llm4covError(f"{p}:{number}: run-log record is missing fields ({exc})") from None


#: The types the readers of a record rely on (resume, the trainer), checked line by line.
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "run_id": (str,), "design": (str,), "top": (str,), "rtl_hash": (str,), "step": (int,), "seed": (int,),
    "testbench": (str,), "observation": (dict,), "score": (int, float), "policy": (dict,), "proposal": (dict,),
    "parent_step": (int, type(None)),
}
