"""Run an untrusted command (a simulation driven by a generated testbench) inside resource limits.

Layers, weakest assumption first: its own scratch directory as cwd and HOME, a scrubbed environment
(only what the caller passes), its own session so the whole process group is killed at the limit,
rlimits on address space, CPU time, file size (which also caps the output it can write), open files and
processes. Output goes to a file, never a pipe, so gigabytes of printing cannot block or exhaust us;
only the tail is read back. A hang, a crash or a flood is a normal result, never an exception.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Environment variables that may pass into a sandboxed run; everything else is dropped.
PASS_THROUGH_ENV = ("LANG", "LC_ALL", "TZ", "SYSTEMC_HOME")


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for one sandboxed run."""

    wall_s: float = 60.0
    memory_mb: int = 4096
    cpu_s: int | None = None  # default: twice the wall limit, so a spinning process is caught either way
    output_mb: int = 64
    open_files: int = 1024
    processes: int = 256

    def to_dict(self) -> dict:
        return {
            "wall_s": self.wall_s,
            "memory_mb": self.memory_mb,
            "cpu_s": self.cpu_s or int(self.wall_s * 2) + 1,
            "output_mb": self.output_mb,
            "open_files": self.open_files,
            "processes": self.processes,
        }


@dataclass(frozen=True, slots=True)
class RunResult:
    """How a sandboxed command ended."""

    returncode: int | None
    timed_out: bool
    duration_s: float
    output_tail: str
    output_bytes: int
    killed_by: str | None = None  # a signal name (SIGKILL, SIGXFSZ, SIGXCPU, SIGSEGV...) when a signal ended it

    @property
    def output_limited(self) -> bool:
        return self.killed_by == "SIGXFSZ"

    @property
    def ok(self) -> bool:
        return not self.timed_out and self.returncode == 0


def _apply_limits(limits: Limits) -> None:  # runs in the child between fork and exec
    mb = 1024 * 1024
    cpu = limits.cpu_s or int(limits.wall_s * 2) + 1
    for res, value in (
        (resource.RLIMIT_AS, limits.memory_mb * mb),
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_FSIZE, limits.output_mb * mb),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_NPROC, limits.processes),
        (resource.RLIMIT_CORE, 0),
    ):
        try:
            resource.setrlimit(res, (value, value))
        except (ValueError, OSError):
            pass  # a limit the platform or our own hard limit does not allow: the others still hold


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def read_tail(path: Path, max_bytes: int = 8192) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            data = f.read()
    except OSError:
        return ""
    text = data.decode(errors="replace")
    if size > max_bytes:
        text = "[...]" + text[text.find("\n") + 1 :] if "\n" in text else text
    return text


def scrub_env(extra: Mapping[str, str]) -> dict[str, str]:
    """A minimal environment: a plain PATH, the few locale variables, then what the caller adds."""
    env = {k: os.environ[k] for k in PASS_THROUGH_ENV if k in os.environ}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    env.update(extra)
    return env


def run_limited(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    limits: Limits,
    log_path: Path,
) -> RunResult:
    """Run argv in cwd with exactly env, under limits; stdout and stderr go to log_path."""
    start = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lambda: _apply_limits(limits),  # noqa: PLW1509 - the fork-then-limit is the point
        )
        timed_out = False
        try:
            proc.wait(timeout=limits.wall_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc.pid)
            proc.wait()
        # Whatever the testbench left behind in its process group (forked children) dies with it.
        _kill_group(proc.pid)
    duration = time.monotonic() - start
    rc = proc.returncode
    killed_by = None
    if rc is not None and rc < 0:
        try:
            killed_by = signal.Signals(-rc).name
        except ValueError:
            killed_by = f"signal {-rc}"
    size = log_path.stat().st_size if log_path.exists() else 0
    return RunResult(
        returncode=rc,
        timed_out=timed_out,
        duration_s=duration,
        output_tail=read_tail(log_path),
        output_bytes=size,
        killed_by=killed_by,
    )
