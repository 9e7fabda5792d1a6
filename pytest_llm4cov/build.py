"""Build once, run many: compile a design's RTL into a simulator model, cached by content.

The build depends only on the RTL, its parameters and defines, the flags and the tool versions, never
on the testbench. The cache key hashes all of them (source paths and contents, include files, flags,
simulator and cocotb versions). Concurrent processes (pytest-xdist workers) serialise on a per-key
file lock and publish a finished build by an atomic rename, so nobody sees a half-built model.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_llm4cov.sandbox import read_tail
from pytest_llm4cov.simulator import Simulator, cocotb_paths, tool_env

#: Bump when the build command changes shape, so old cache entries are not reused.
BUILD_FORMAT = 2
INCLUDE_SUFFIXES = (".v", ".sv", ".vh", ".svh", ".inc")
SIM_BINARY = "sim"  # the Verilator model's executable name inside the build directory
READY_MARKER = "llm4cov-build.json"


@dataclass(frozen=True, slots=True)
class BuildSpec:
    """What to compile: the sources, the top, and what changes the compiled model."""

    sources: tuple[str, ...]
    top: str
    parameters: tuple[tuple[str, str], ...] = ()
    defines: tuple[tuple[str, str], ...] = ()
    include_dirs: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        sources: Sequence[str],
        top: str,
        parameters: Mapping[str, object] | None = None,
        defines: Mapping[str, object] | None = None,
        include_dirs: Sequence[str] = (),
    ) -> BuildSpec:
        return cls(
            sources=tuple(os.path.realpath(s) for s in sources),
            top=top,
            parameters=tuple(sorted((k, str(v)) for k, v in (parameters or {}).items())),
            defines=tuple(sorted((k, str(v)) for k, v in (defines or {}).items())),
            include_dirs=tuple(os.path.realpath(d) for d in include_dirs),
        )

    def rtl_digest(self) -> str:
        """Hash of the RTL text alone (paths excluded): identifies a design version in run logs."""
        h = hashlib.sha256()
        for src in self.sources:
            h.update(Path(src).read_bytes())
        return h.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Build:
    """A finished (or failed) build."""

    spec: BuildSpec
    ok: bool
    directory: Path | None
    cache_hit: bool
    duration_s: float
    log_tail: str
    simulator: str

    @property
    def executable(self) -> Path | None:
        if self.directory is None:
            return None
        name = SIM_BINARY if self.simulator == "verilator" else "sim.vvp"
        return self.directory / name


def default_cache_dir() -> Path:
    env = os.environ.get("LLM4COV_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "llm4cov"


def build_flags(sim: Simulator, spec: BuildSpec, paths: Mapping[str, str]) -> list[str]:
    """The simulator's compile arguments (without output directory and sources)."""
    if sim.name == "verilator":
        libs = paths["libs_dir"]
        flags = [
            "-cc",
            "--exe",
            "--top-module",
            spec.top,
            "--vpi",
            "--public-flat-rw",
            "--prefix",
            "Vtop",
            "-o",
            SIM_BINARY,
            "-LDFLAGS",
            f"-Wl,-rpath,{libs} -L{libs} -lcocotbvpi_verilator",
            *sim.coverage_flags,
            # Lint warnings in real RTL (UNOPTFLAT, WIDTH...) are fatal by default: report, never fail on them.
            "-Wno-fatal",
            "--timescale",
            "1ns/1ps",
        ]
        flags += [f"-G{k}={v}" for k, v in spec.parameters]
    else:
        flags = ["-s", spec.top, "-g2012"]
        flags += [f"-P{spec.top}.{k}={v}" for k, v in spec.parameters]
    flags += [f"-D{k}={v}" for k, v in spec.defines]
    flags += [f"-I{d}" for d in spec.include_dirs]
    return flags


def cache_key(sim: Simulator, spec: BuildSpec, flags: Sequence[str]) -> str:
    import cocotb

    h = hashlib.sha256()
    header = {
        "format": BUILD_FORMAT,
        "simulator": [sim.name, sim.version_text, sim.executable],
        "cocotb": cocotb.__version__,
        "flags": list(flags),
        "sources": list(spec.sources),
    }
    h.update(json.dumps(header, sort_keys=True).encode())
    for src in spec.sources:
        h.update(Path(src).read_bytes())
    for inc in spec.include_dirs:
        for path in sorted(Path(inc).rglob("*")):
            if path.suffix in INCLUDE_SUFFIXES and path.is_file():
                h.update(str(path).encode())
                h.update(path.read_bytes())
    return f"{spec.top}-{h.hexdigest()[:20]}"


def _compile(sim: Simulator, spec: BuildSpec, flags: list[str], out: Path, timeout_s: float) -> tuple[bool, str]:
    """Compile into ``out``; return (ok, log tail)."""
    paths = cocotb_paths()
    env = {**os.environ, **tool_env(sim)}
    log = out / "build.log"
    if sim.name == "verilator":
        main_cpp = str(Path(paths["share_dir"]) / "lib" / "verilator" / "verilator.cpp")
        cmds = [
            [sim.executable, "-Mdir", str(out), *flags, main_cpp, *spec.sources],
            ["make", "-j", str(os.cpu_count() or 1), "-C", str(out), "-f", "Vtop.mk", "VM_TRACE=0"],
        ]
    else:
        (out / "cmds.f").write_text("+timescale+1ns/1ps\n")
        cmds = [[sim.executable, "-o", str(out / "sim.vvp"), "-f", str(out / "cmds.f"), *flags, *spec.sources]]
    deadline = time.monotonic() + timeout_s
    with log.open("wb") as fh:
        for cmd in cmds:
            fh.write(("$ " + " ".join(cmd) + "\n").encode())
            fh.flush()
            try:
                done = subprocess.run(
                    cmd,
                    cwd=out,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                    timeout=max(1.0, deadline - time.monotonic()),
                )
            except subprocess.TimeoutExpired:
                fh.write(f"\nbuild timed out after {timeout_s:.0f} s\n".encode())
                return False, read_tail(log)
            except OSError as exc:
                fh.write(f"\ncannot run {cmd[0]}: {exc}\n".encode())
                return False, read_tail(log)
            if done.returncode != 0:
                return False, read_tail(log)
    return True, read_tail(log)


def build_design(sim: Simulator, spec: BuildSpec, cache_dir: Path | None = None, timeout_s: float = 900.0) -> Build:
    """Compile ``spec`` with ``sim``, or reuse the cached model built from the same inputs."""
    start = time.monotonic()
    paths = cocotb_paths()
    flags = build_flags(sim, spec, paths)
    root = (cache_dir or default_cache_dir()) / "builds"
    root.mkdir(parents=True, exist_ok=True)
    key = cache_key(sim, spec, flags)
    final = root / key

    def done(ok: bool, hit: bool, log_tail: str, directory: Path | None) -> Build:
        return Build(spec, ok, directory, hit, time.monotonic() - start, log_tail, sim.name)

    if (final / READY_MARKER).exists():
        return done(True, True, read_tail(final / "build.log"), final)
    with open(root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be building the same key right now
        if (final / READY_MARKER).exists():
            return done(True, True, read_tail(final / "build.log"), final)
        work = Path(tempfile.mkdtemp(prefix=f"{key}.tmp-", dir=root))
        ok, tail = _compile(sim, spec, flags, work, timeout_s)
        if not ok:
            failed = root / f"{key}.failed.log"
            shutil.copyfile(work / "build.log", failed)
            shutil.rmtree(work, ignore_errors=True)
            return done(False, False, tail, None)
        (work / READY_MARKER).write_text(json.dumps({"top": spec.top, "flags": flags, "sources": spec.sources}))
        if final.exists():  # a stale entry without its marker, left by a killed process
            shutil.rmtree(final, ignore_errors=True)
        os.rename(work, final)
    return done(True, False, tail, final)
