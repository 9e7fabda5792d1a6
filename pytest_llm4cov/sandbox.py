"""Run an untrusted command (a simulation driven by a generated testbench) inside layered containment.

Every run gets the *basic* layers, which need no privilege:

* ``scratch-dir``: its own scratch directory as cwd, HOME and TMPDIR;
* ``scrubbed-env``: only the variables the caller passes (no user variables, tokens or proxies);
* ``rlimits``: address space, CPU time, file size (which also caps its output), open files, processes;
* ``session-kill``: its own session and process group, killed whole at the wall-clock limit;
* ``supervisor``: it runs under a supervisor process (``_supervisor.py``), so signalling its parent
  never reaches the evaluator, and orphans (a double-forked daemon) are adopted and killed at the end;
* ``watchdog``: the evaluator polls the run's processes (session, process group, descendants), kills
  the lot early when their number passes ``Limits.processes`` (a fork bomb: as root RLIMIT_NPROC does
  not apply) and kills whatever survives the run.

``containment="strict"`` (the default) adds, each where the machine allows it (applied one by one, so
a missing one leaves the others in place, and the run's ``containment`` and ``notes`` say which):

* ``cgroup-pids``: a pids cgroup (v2, or v1's pids hierarchy) with ``pids.max``; counts and kills
  every process of the run, whatever session it moved to;
* ``net-namespace``: a fresh network namespace (loopback down): no connection leaves the run;
* ``readonly-fs`` (+ ``private-dev`` as root): a mount namespace where every mount is read-only
  except the scratch directory, and /dev holds only null, zero, full, random and urandom;
* ``pid-namespace`` (+ ``private-proc``): the run sees only its own processes and cannot signal others;
* ``no-capabilities``: the capability bounding set is emptied before the simulation starts, so root
  inside cannot remount, raise rlimits or leave the namespaces.

Non-root users get the namespaces through a user namespace where the kernel allows one. Output goes to
a file, never a pipe, so gigabytes of printing cannot block or exhaust us; only the tail is read back.
A hang, a crash, a flood or a fork bomb is a normal result, never an exception.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pytest_llm4cov import _supervisor as sup

#: Environment variables that may pass into a sandboxed run; everything else is dropped.
PASS_THROUGH_ENV = ("LANG", "LC_ALL", "TZ", "SYSTEMC_HOME")

Containment = Literal["strict", "basic"]
CONTAINMENT_LEVELS: tuple[str, ...] = ("strict", "basic")
BASIC_LAYERS = ("scratch-dir", "scrubbed-env", "rlimits", "session-kill", "supervisor", "watchdog")
STRICT_LAYERS = (
    "cgroup-pids", "net-namespace", "readonly-fs", "private-dev", "pid-namespace", "private-proc",
    "no-capabilities",
)

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
MS_BIND = 4096
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
SYS_MOUNT_SETATTR = 442  # the same number on every architecture (asm-generic table, Linux >= 5.12)
MOUNT_ATTR_RDONLY = 0x1
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
#: /dev as the run sees it under ``readonly-fs`` as root: (name, major, minor).
DEV_NODES = (("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9))


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits and containment level for one sandboxed run."""

    wall_s: float = 60.0
    memory_mb: int = 4096
    cpu_s: int | None = None  # default: twice the wall limit, so a spinning process is caught either way
    output_mb: int = 64
    open_files: int = 1024
    processes: int = 256
    containment: Containment = "strict"

    def __post_init__(self) -> None:
        if self.containment not in CONTAINMENT_LEVELS:
            raise ValueError(
                f"containment {self.containment!r} is not a level (choose from {', '.join(CONTAINMENT_LEVELS)})"
            )

    def to_dict(self) -> dict:
        return {
            "wall_s": self.wall_s,
            "memory_mb": self.memory_mb,
            "cpu_s": self.cpu_s or int(self.wall_s * 2) + 1,
            "output_mb": self.output_mb,
            "open_files": self.open_files,
            "processes": self.processes,
            "containment": self.containment,
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
    #: The containment layers that were in force (see the module docstring), in a fixed order.
    containment: tuple[str, ...] = ()
    #: Why a requested layer is missing, and other facts about the run worth telling the user.
    notes: tuple[str, ...] = ()
    #: "processes" when the watchdog stopped a run for exceeding ``Limits.processes``.
    limit_hit: str | None = None

    @property
    def output_limited(self) -> bool:
        return self.killed_by == "SIGXFSZ"

    @property
    def ok(self) -> bool:
        return not self.timed_out and self.returncode == 0 and self.limit_hit is None


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


# -- cgroup --------------------------------------------------------------------------------------------


def _mounts() -> list[tuple[str, str, str, str]]:
    """(mount point, fs type, root, super options) of every mount, from /proc/self/mountinfo."""
    out = []
    try:
        with open("/proc/self/mountinfo") as fh:
            for line in fh:
                left, _, right = line.partition(" - ")
                lf, rf = left.split(), right.split()
                if len(lf) >= 5 and len(rf) >= 3:
                    out.append((lf[4].replace("\\040", " "), rf[0], lf[3], rf[2]))
    except OSError:
        pass
    return out


def _under(point: str, root: str, path: str) -> Path | None:
    """Where cgroup ``path`` appears under a hierarchy mounted at ``point`` from ``root``; None if not."""
    rel = os.path.relpath(path, root)
    if rel.startswith(".."):
        return None
    return Path(point) if rel == "." else Path(point) / rel


@functools.lru_cache(maxsize=1)
def _cgroup_parent() -> tuple[Path | None, str]:
    """A directory where a pids cgroup per run can be created, or None and why not."""
    try:
        own = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError as exc:
        return None, f"cannot read /proc/self/cgroup ({exc.strerror})"
    v2_path = next((ln.split(":", 2)[2] for ln in own if ln.startswith("0::")), None)
    v1_path = next(
        (ln.split(":", 2)[2] for ln in own if ln.count(":") >= 2 and "pids" in ln.split(":")[1].split(",")), None
    )
    reasons = []
    for point, fstype, root, opts in _mounts():
        if fstype == "cgroup2" and v2_path is not None:
            base = _under(point, root, v2_path)
            try:
                enabled = (base / "cgroup.subtree_control").read_text().split() if base else []
            except OSError:
                continue
            if base and "pids" in enabled and os.access(base, os.W_OK):
                return _swept(base), ""
            reasons.append(f"{base or point}: pids controller not enabled for children or not writable")
        elif fstype == "cgroup" and "pids" in opts.split(",") and v1_path is not None:
            base = _under(point, root, v1_path)
            if base and (base / "cgroup.procs").exists() and os.access(base, os.W_OK):
                return _swept(base), ""
            reasons.append(f"{base or point}: not writable")
    return None, "; ".join(reasons) or "no pids cgroup controller mounted"


def _swept(parent: Path) -> Path:
    """Remove the empty run cgroups that a killed evaluator (llm4cov-PID-N, PID gone) left behind."""
    for stale in parent.glob("llm4cov-*-*"):
        try:
            owner = int(stale.name.split("-")[1])
            os.kill(owner, 0)
        except ProcessLookupError:
            try:
                stale.rmdir()
            except OSError:
                pass
        except (ValueError, PermissionError):
            pass
    return parent


_COUNTER = itertools.count()


class _Cgroup:
    """One run's pids cgroup: created before, joined by the child, emptied and removed after."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, limit: int) -> tuple[_Cgroup | None, str]:
        parent, why = _cgroup_parent()
        if parent is None:
            return None, why
        path = parent / f"llm4cov-{os.getpid()}-{next(_COUNTER)}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(limit))
        except OSError as exc:
            try:
                path.rmdir()
            except OSError:
                pass
            return None, f"{path}: {exc.strerror}"
        return cls(path), ""

    def pids(self) -> set[int]:
        try:
            return {int(x) for x in (self.path / "cgroup.procs").read_text().split()}
        except (OSError, ValueError):
            return set()

    def limit_reached(self) -> bool:
        """True once a fork in the run failed on pids.max (the 'max' counter of pids.events)."""
        try:
            for line in (self.path / "pids.events").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "max" and int(value) > 0:
                    return True
        except (OSError, ValueError):
            pass
        return False

    def kill_all(self) -> None:
        sup.freeze_and_kill(self.pids, budget_s=2.0)

    def remove(self) -> str:
        deadline = time.monotonic() + 2.0
        while True:
            try:
                self.path.rmdir()
                return ""
            except FileNotFoundError:
                return ""
            except OSError as exc:
                if time.monotonic() > deadline:
                    return f"could not remove {self.path} ({exc.strerror})"
                self.kill_all()
                time.sleep(0.01)


# -- the watchdog's view of a run without a cgroup ------------------------------------------------------


class _Tracker:
    """The processes of a run, by session, process group and ancestry, remembered with their start time.

    Remembering matters: a daemon that called setsid and was re-parented to the machine's init no
    longer looks like ours, but it is still the pid we saw below the run, started at the same tick.
    """

    def __init__(self, root: int) -> None:
        self.root = root
        self.known: dict[int, int] = {}  # pid -> start time

    def update(self) -> set[int]:
        table = sup.proc_table()
        self.known = {p: t for p, t in self.known.items() if p in table and table[p][3] == t}
        seeds = {self.root, *self.known}
        seeds |= {p for p, (_pp, pgrp, sid, _t) in table.items() if self.root in (pgrp, sid)}
        for pid in sup.descendants(table, seeds):
            self.known[pid] = table[pid][3]
        return set(self.known)

    def kill_all(self) -> None:
        sup.freeze_and_kill(self.update, budget_s=2.0)


# -- the child, between fork and exec -------------------------------------------------------------------


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


class _ChildSetup:
    """Runs in the forked child before it execs the supervisor: cgroup, rlimits, namespaces.

    Everything it needs is prepared in the parent; each strict layer is tried alone and reported on the
    status pipe ("layer NAME" or "missing NAME why"), so a refused one never stops the run.
    """

    def __init__(self, limits: Limits, scratch: str, cgroup: _Cgroup | None, status_fd: int) -> None:
        self.limits = limits
        self.strict = limits.containment == "strict"
        self.scratch = scratch.encode()
        self.procs = str(cgroup.path / "cgroup.procs") if cgroup else None
        self.fd = status_fd
        self.uid, self.gid = os.getuid(), os.getgid()
        self.root = os.geteuid() == 0
        self.lib = sup.libc()
        self.lib.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
        self.lib.unshare.argtypes = [ctypes.c_int]
        self.ro = _MountAttr(MOUNT_ATTR_RDONLY, 0, 0, 0)
        self.rw = _MountAttr(0, MOUNT_ATTR_RDONLY, 0, 0)

    def say(self, line: str) -> None:
        try:
            os.write(self.fd, (line + "\n").encode())
        except OSError:
            pass

    def __call__(self) -> None:
        try:
            self._setup()
        except BaseException as exc:  # never fail the run over a layer: report it
            self.say(f"missing setup {type(exc).__name__}: {exc}")

    def _setup(self) -> None:
        if self.procs:
            try:
                with open(self.procs, "w") as fh:
                    fh.write(str(os.getpid()))
                self.say("layer cgroup-pids")
            except OSError as exc:
                self.say(f"missing cgroup-pids joining it failed ({exc.strerror})")
        _apply_limits(self.limits)
        if not self.strict:
            return
        if not self.root and not self._user_namespace():
            return
        self._layer("net-namespace", lambda: self._unshare(CLONE_NEWNET))
        if self._layer("readonly-fs", self._readonly_fs) and self.root and not self.scratch.startswith(b"/dev/"):
            self._layer("private-dev", self._private_dev)
        self._layer("pid-namespace", lambda: self._unshare(CLONE_NEWPID))

    def _layer(self, name: str, apply) -> bool:
        problem = apply()
        self.say(f"missing {name} {problem}" if problem else f"layer {name}")
        return not problem

    def _errno(self, what: str) -> str:
        return f"{what}: {sup.errno_text()}"

    def _unshare(self, flag: int) -> str:
        return "" if self.lib.unshare(flag) == 0 else self._errno("unshare")

    def _user_namespace(self) -> bool:
        """As a normal user, namespaces need a user namespace of our own (root inside, our uid outside)."""
        problem = self._unshare(CLONE_NEWUSER)
        if not problem:
            try:
                for name, text in (
                    # Root inside (our own uid outside), so that the supervisor keeps its capabilities
                    # in the namespace across exec: it needs them to mount /proc and drop them all.
                    ("setgroups", "deny"), ("uid_map", f"0 {self.uid} 1"), ("gid_map", f"0 {self.gid} 1"),
                ):
                    with open(f"/proc/self/{name}", "w") as fh:
                        fh.write(text)
            except OSError as exc:
                problem = f"user namespace mapping: {exc.strerror}"
        if problem:
            for name in ("net-namespace", "readonly-fs", "pid-namespace"):
                self.say(f"missing {name} no user namespace ({problem})")
        return not problem

    def _setattr(self, path: bytes, attr: _MountAttr, flags: int) -> bool:
        return self.lib.syscall(
            ctypes.c_long(SYS_MOUNT_SETATTR), ctypes.c_int(AT_FDCWD), path, ctypes.c_uint(flags),
            ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)),
        ) == 0

    def _readonly_fs(self) -> str:
        lib = self.lib
        if lib.unshare(CLONE_NEWNS) != 0:
            return self._errno("unshare")
        if lib.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            return self._errno("making mounts private")
        if lib.mount(self.scratch, self.scratch, None, MS_BIND | MS_REC, None) != 0:
            return self._errno("bind-mounting the scratch directory")
        if not self._setattr(b"/", self.ro, AT_RECURSIVE):
            return self._errno("mount_setattr read-only")
        if not self._setattr(self.scratch, self.rw, AT_RECURSIVE):
            return self._errno("mount_setattr scratch writable")
        os.chdir(self.scratch)  # the old cwd is the directory under the bind mount: now read-only
        return ""

    def _private_dev(self) -> str:
        lib = self.lib
        if lib.mount(b"tmpfs", b"/dev", b"tmpfs", MS_NOSUID | MS_NOEXEC, b"mode=755,size=64k") != 0:
            return self._errno("mounting a tmpfs on /dev")
        try:
            for name, major, minor in DEV_NODES:
                os.mknod(f"/dev/{name}", 0o666 | 0o020000, os.makedev(major, minor))
                os.chmod(f"/dev/{name}", 0o666)
            os.symlink("/proc/self/fd", "/dev/fd")
            for i, name in enumerate(("stdin", "stdout", "stderr")):
                os.symlink(f"/proc/self/fd/{i}", f"/dev/{name}")
        except OSError as exc:
            return f"populating /dev: {exc.strerror}"
        if not self._setattr(b"/dev", self.ro, 0):
            return self._errno("mount_setattr /dev read-only")
        return ""


# -- the run --------------------------------------------------------------------------------------------


def _read_status(fd: int) -> list[str]:
    os.set_blocking(fd, False)
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode(errors="replace").splitlines()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def run_limited(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    limits: Limits,
    log_path: Path,
) -> RunResult:
    """Run argv in cwd with exactly env, under limits and containment; stdout and stderr go to log_path."""
    start = time.monotonic()
    notes: list[str] = []
    cgroup: _Cgroup | None = None
    if limits.containment == "strict":
        cgroup, why = _Cgroup.create(limits.processes)
        if cgroup is None:
            notes.append(f"containment: cgroup-pids unavailable ({why}); the watchdog counts processes instead")
    scratch = os.path.realpath(cwd)
    status_r, status_w = os.pipe()
    flags = "proc,caps" if limits.containment == "strict" else ""
    shim = [sys.executable, "-I", "-S", sup.__file__, str(status_w), flags, "--", *argv]
    tracker: _Tracker | None = None
    proc: subprocess.Popen | None = None
    limit_hit = None
    timed_out = False
    try:
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                shim,
                cwd=scratch,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=(status_w,),
                preexec_fn=_ChildSetup(limits, scratch, cgroup, status_w),  # fork-then-contain is the point
            )
        os.close(status_w)
        status_w = -1
        tracker = None if cgroup is not None else _Tracker(proc.pid)
        deadline = start + limits.wall_s
        interval = 0.02
        while True:
            try:
                proc.wait(timeout=min(interval, max(0.0, deadline - time.monotonic())))
                break
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() >= deadline:
                timed_out = True
                break
            if cgroup.limit_reached() if cgroup else len(tracker.update()) > limits.processes:
                limit_hit = "processes"
                break
            interval = min(interval * 1.5, 0.25)
    finally:
        # Whatever is left of the run dies now, also when we are interrupted (Ctrl-C): the cgroup (every
        # process, whatever its session), the supervisor's process group, and (without a cgroup) every
        # process the watchdog has seen.
        if proc is not None:
            if cgroup is not None:
                cgroup.kill_all()
            _kill_group(proc.pid)
            if tracker is not None:
                tracker.kill_all()
            proc.wait()
        if cgroup is not None:
            problem = cgroup.remove()
            if problem:
                notes.append(f"containment: {problem}")
        status = _read_status(status_r)
        os.close(status_r)
        if status_w >= 0:
            os.close(status_w)
    duration = time.monotonic() - start

    applied = set(BASIC_LAYERS)
    rc: int | None = proc.returncode
    reported = False
    for line in status:
        kind, _, rest = line.partition(" ")
        name, _, why = rest.partition(" ")
        if kind == "layer":
            applied.add(name)
        elif kind == "missing":
            notes.append(f"containment: {name} not applied ({why})")
        elif kind == "status":
            rc = int(why) if name == "exit" else -int(why)
            reported = True
    # The supervisor exits by itself (a code, never a signal) unless something killed it; we kill it only
    # at the time or process limit. Its init may still have reported the simulation's status before the
    # kernel took it down too (a race), so the supervisor's own end decides, not the missing status.
    supervisor_killed = not timed_out and limit_hit is None and (
        (proc.returncode or 0) < 0 or (not reported and rc not in (0, None))
    )
    if supervisor_killed:
        if not reported and rc is not None:
            rc = -(rc - 128) if rc > 128 else rc
        notes.append("the simulation's supervisor was killed (the testbench signalled its parent or group)")
    missing = [n for n in STRICT_LAYERS if n not in applied] if limits.containment == "strict" else []
    if missing:
        notes.append(f"containment: strict requested; in force: {', '.join(_ordered(applied))}")
    killed_by = _signal_name(-rc) if rc is not None and rc < 0 else None
    size = log_path.stat().st_size if log_path.exists() else 0
    return RunResult(
        returncode=rc,
        timed_out=timed_out,
        duration_s=duration,
        output_tail=read_tail(log_path),
        output_bytes=size,
        killed_by=killed_by,
        containment=_ordered(applied),
        notes=tuple(dict.fromkeys(notes)),
        limit_hit=limit_hit,
    )


def _ordered(layers: set[str]) -> tuple[str, ...]:
    order = BASIC_LAYERS + STRICT_LAYERS
    return tuple(sorted(layers, key=lambda n: order.index(n) if n in order else len(order)))


@functools.lru_cache(maxsize=2)
def probe_containment(containment: Containment = "strict") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(layers in force, notes) for a trivial run on this machine: what every run here will get."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="llm4cov-probe-") as tmp:
        run = run_limited(
            ["true"], cwd=Path(tmp), env=scrub_env({"HOME": tmp}),
            limits=Limits(wall_s=10, containment=containment), log_path=Path(tmp) / "probe.log",
        )
    return run.containment, run.notes
