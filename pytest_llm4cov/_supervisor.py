"""The supervisor that stands between the evaluator and an untrusted simulation (see ``sandbox.py``).

Run as ``python -I -S _supervisor.py STATUS_FD FLAGS -- ARGV...`` in the sandboxed child. It imports
the standard library only (no site-packages, so it starts in milliseconds) and does three things:

* It is the simulation's parent, so a testbench that signals ``os.getppid()`` or its parent's process
  group hits the supervisor, never the evaluator (pytest).
* It forks an *init* process (PID 1 when the sandbox gave it a PID namespace) that runs the simulation,
  reaps everything, mounts a private read-only ``/proc`` and drops every capability before the
  simulation starts; both are child subreapers, so a double-forked daemon is re-parented to them, not
  to the machine's init, and is killed when the simulation ends.
* It writes the simulation's exit status to STATUS_FD, a pipe to the evaluator that the simulation
  itself never holds, so a testbench cannot forge it.

The /proc helpers here are also what the evaluator's watchdog uses to count and kill a run's processes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable

PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8

_libc: ctypes.CDLL | None = None


def libc() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def prctl(option: int, arg: int = 0) -> int:
    fn = getattr(libc(), "prctl", None)
    if fn is None:  # not Linux: the layers that need it are reported missing
        return -1
    ul = ctypes.c_ulong
    return fn(ctypes.c_int(option), ul(arg), ul(0), ul(0), ul(0))


def errno_text() -> str:
    return os.strerror(ctypes.get_errno())


# -- /proc ---------------------------------------------------------------------------------------------

#: pid -> (ppid, pgrp, session, starttime)
ProcTable = dict[int, tuple[int, int, int, int]]


def proc_table() -> ProcTable:
    """Every process visible in /proc with its parent, process group, session and start time."""
    table: ProcTable = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                raw = fh.read()
        except OSError:
            continue  # gone meanwhile
        fields = raw[raw.rfind(b")") + 2 :].split()
        try:
            # after "pid (comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
            # utime stime cutime cstime priority nice threads itrealvalue starttime
            table[int(name)] = (int(fields[1]), int(fields[2]), int(fields[3]), int(fields[19]))
        except (IndexError, ValueError):
            continue
    return table


def descendants(table: ProcTable, roots: Iterable[int]) -> set[int]:
    """The roots that are alive and every process below them."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, *_rest) in table.items():
        children.setdefault(ppid, []).append(pid)
    found = {r for r in roots if r in table}
    stack = list(found)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def freeze_and_kill(find: Callable[[], set[int]], budget_s: float = 5.0) -> int:
    """SIGSTOP every process ``find`` returns until no new one appears, then SIGKILL them all.

    Stopping first matters for fork bombs: a stopped process cannot fork, so the set stops growing.
    Returns how many processes were killed.
    """
    seen: set[int] = set()
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        new = find() - seen
        if not new:
            break
        for pid in new:
            _signal(pid, signal.SIGSTOP)
        seen |= new
    for pid in seen:
        _signal(pid, signal.SIGKILL)
    return len(seen)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# -- inside the sandbox --------------------------------------------------------------------------------


def drop_capabilities() -> bool:
    """Empty the capability bounding set and forbid regaining privileges; the next exec has no capability.

    Root keeps uid 0 (file ownership still applies) but loses CAP_SYS_ADMIN (remounting the read-only
    root, leaving namespaces), CAP_SYS_RESOURCE (raising rlimits), CAP_MKNOD, CAP_SYS_PTRACE, ...
    """
    try:
        with open("/proc/sys/kernel/cap_last_cap") as fh:
            last = int(fh.read())
    except (OSError, ValueError):
        last = 40
    ok = True
    for cap in range(last + 1):
        if prctl(PR_CAPBSET_DROP, cap) != 0:
            ok = False
    return prctl(PR_SET_NO_NEW_PRIVS, 1) == 0 and ok


def _mount_private_proc() -> str:
    """A read-only /proc of this PID namespace: outside processes (pytest, its environ) are invisible."""
    lib = libc()
    lib.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
    if lib.mount(b"proc", b"/proc", b"proc", flags, None) != 0:
        return f"mounting a private /proc failed ({errno_text()})"
    return ""


def _wait_for(target: int) -> int:
    """Reap children (adopted orphans included) until ``target`` exits; its wait status."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 0
        except InterruptedError:
            continue
        if pid == target:
            return status


def _proc_is_ours() -> bool:
    """Whether /proc shows our own PID namespace (not so for the supervisor once init mounted its own)."""
    try:
        return os.readlink("/proc/self") == str(os.getpid())
    except OSError:
        return False


def _reap_rest(budget_s: float = 5.0) -> None:
    """Kill every remaining descendant (daemons the testbench left) and reap them."""
    me = os.getpid()
    # Pids read from a /proc of another namespace would name other processes here: then only reap (the
    # PID namespace's end has killed them all).
    ours = _proc_is_ours()
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        if ours:
            freeze_and_kill(lambda: descendants(proc_table(), [me]) - {me}, budget_s=1.0)
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
        time.sleep(0.01)


def _report(fd: int, line: str) -> None:
    try:
        os.write(fd, (line + "\n").encode())
    except OSError:
        pass


def _init(status_fd: int, flags: set[str], argv: list[str], supervisor: int) -> int:
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the supervisor gone (killed at the limit): so are we
    in_pidns = os.getpid() == 1
    if not in_pidns and os.getppid() != supervisor:
        return 137  # the supervisor died before the line above took effect
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    own_proc = False
    if in_pidns and "proc" in flags:
        problem = _mount_private_proc()
        own_proc = not problem
        _report(status_fd, f"missing private-proc {problem}" if problem else "layer private-proc")
    if "caps" in flags:
        _report(status_fd, "layer no-capabilities" if drop_capabilities() else "missing no-capabilities prctl failed")
    sim = os.fork()
    if sim == 0:
        try:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            os.close(status_fd)
            # Python ignores these at startup and exec keeps ignored signals ignored: restore the defaults
            # so that the file-size limit kills (SIGXFSZ) as it would any other program.
            for sig in (signal.SIGPIPE, signal.SIGXFSZ):
                signal.signal(sig, signal.SIG_DFL)
            os.execvp(argv[0], argv)
        except OSError as exc:
            print(f"llm4cov sandbox: cannot run {argv[0]}: {exc.strerror}", file=sys.stderr, flush=True)
        os._exit(127)
    status = _wait_for(sim)
    if os.WIFSIGNALED(status):
        _report(status_fd, f"status signal {os.WTERMSIG(status)}")
    else:
        _report(status_fd, f"status exit {os.waitstatus_to_exitcode(status)}")
    if not in_pidns or own_proc:
        _reap_rest()
    # In a PID namespace without our own /proc, init exiting makes the kernel kill everything left.
    return _exit_code(status)


def _exit_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.waitstatus_to_exitcode(status) & 0xFF


def main(args: list[str]) -> int:
    status_fd, flags, sep, argv = int(args[0]), set(args[1].split(",")) - {""}, args[2], args[3:]
    if sep != "--" or not argv:
        print("usage: _supervisor.py STATUS_FD FLAGS -- ARGV...", file=sys.stderr)
        return 2
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    me = os.getpid()
    init = os.fork()
    if init == 0:
        code = 70
        try:
            code = _init(status_fd, flags, argv, me)
        finally:
            os._exit(code)
    status = _wait_for(init)
    _reap_rest()
    return _exit_code(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
