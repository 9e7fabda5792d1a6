"""Hostile testbenches: each yields an observation within its limit, and nothing outside the run changes.

Every case runs under both containment levels and checks exactly what the README's table of hostile
testbenches promises for that level: ``strict`` must apply the layer a row relies on and stop the
attack; ``basic`` must show the documented gap. A strict row skips, saying why, only where the kernel
itself refuses the feature (asked directly here, not through the sandbox under test).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import MACHINE_LACKS, design_spec
from pytest_llm4cov.evaluator import Evaluator
from pytest_llm4cov.observation import Observation, Outcome
from pytest_llm4cov.sandbox import BASIC_LAYERS, Limits
from pytest_llm4cov.testbench import Testbench

pytestmark = pytest.mark.simulator

#: The seconds a run may take beyond its wall limit: simulator start-up and the kill.
SLACK_S = 5.0


@pytest.fixture(params=["strict", "basic"])
def containment(request) -> str:
    return request.param


@pytest.fixture
def hostile(simulator, build_cache, containment):
    ev = Evaluator(
        simulator, cache_dir=build_cache,
        limits=Limits(wall_s=4, memory_mb=2048, output_mb=4, processes=32, containment=containment),
    )
    ev.build(design_spec("counter4"))  # outside the timed part: the first test of a session builds it
    return ev


class Outside:
    """A stand-in for the user's repository and HOME: files whose every byte and name must survive."""

    def __init__(self, root: Path) -> None:
        self.repo = root / "repo"
        self.home = root / "home"
        for d in (self.repo, self.home):
            (d / "sub").mkdir(parents=True)
        (self.repo / "design.v").write_text("module m; endmodule\n")
        (self.repo / "sub" / "notes.txt").write_text("keep me\n")
        (self.home / ".bashrc").write_text("export PS1='$ '\n")
        self.before = self.snapshot()

    def snapshot(self) -> dict[str, bytes]:
        return {
            str(p.relative_to(self.repo.parent)): (p.read_bytes() if p.is_file() else b"<dir>")
            for d in (self.repo, self.home)
            for p in sorted(d.rglob("*"))
        }

    def unchanged(self) -> bool:
        return self.snapshot() == self.before


@pytest.fixture
def outside(tmp_path, monkeypatch) -> Outside:
    out = Outside(tmp_path)
    monkeypatch.setenv("HOME", str(out.home))
    return out


def run(ev: Evaluator, body: str, *, header: str = "", **limits) -> tuple[Observation, float]:
    """Evaluate a one-test testbench whose coroutine body is ``body``; (observation, seconds taken)."""
    if limits:
        ev = Evaluator(ev.simulator, cache_dir=ev.cache_dir, limits=replace(ev.limits, **limits))
        ev.build(design_spec("counter4"))
    indented = "\n".join("    " + line for line in body.strip("\n").splitlines())
    source = (
        f"import os, sys, time, socket, cocotb\nfrom cocotb.triggers import Timer\n{header}\n\n"
        f"@cocotb.test()\nasync def t(dut):\n{indented}\n"
    )
    start = time.monotonic()
    obs = ev.evaluate(design_spec("counter4"), Testbench(source, "test_hostile"))
    return obs, time.monotonic() - start


def within_limit(ev: Evaluator, elapsed: float) -> bool:
    return elapsed < ev.limits.wall_s + SLACK_S


def live_processes(match) -> list[int]:
    """Live (non-zombie) processes for which ``match(cmdline: bytes, comm: str)`` holds."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            comm = (entry / "comm").read_text().strip()
            state = next(ln.split()[1] for ln in (entry / "status").read_text().splitlines() if ln.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if state not in ("Z", "X") and match(cmdline, comm):
            found.append(int(entry.name))
    return found


CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000


def kernel_refuses(flags: int) -> str | None:
    """Why this machine's kernel refuses a process these namespaces (None: it grants them).

    Asked of the kernel in a throwaway process, as the sandbox would (a normal user through a user
    namespace), so that a strict run that fails to apply a layer the machine has is a failure.
    """
    code = (
        "import ctypes, os, sys\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        f"flags = {flags} | (0 if os.geteuid() == 0 else {CLONE_NEWUSER})\n"
        "sys.exit(0 if libc.unshare(flags) == 0 else os.strerror(ctypes.get_errno()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    return None if done.returncode == 0 else f"unshare refused: {done.stderr.strip() or done.returncode}"


def needs(containment: str, feature: str, flags: int, min_kernel: tuple[int, int] = (0, 0)) -> bool:
    """True when the row's strict promise applies here; skips (naming the missing feature) when the
    machine cannot give it. Under basic: False, the documented gap is what the test checks."""
    if containment == "basic":
        return False
    release = tuple(int(x) for x in os.uname().release.split("-")[0].split(".")[:2])
    why = kernel_refuses(flags)
    if why is None and release < min_kernel:
        why = f"Linux {os.uname().release} is older than {'.'.join(map(str, min_kernel))}"
    if why:
        pytest.skip(f"{MACHINE_LACKS} {feature}: {why}")
    return True


def token() -> str:
    return f"{time.time_ns() % 10**9}{os.getpid() % 1000}"


def test_layers_are_listed(hostile, containment, outside):
    obs, _ = run(hostile, "await Timer(1, unit='ns')")
    assert obs.passed, obs.error
    assert set(BASIC_LAYERS) <= set(obs.containment)
    assert obs.to_dict()["containment"] == list(obs.containment)
    if containment == "basic":
        assert obs.containment == BASIC_LAYERS and not [n for n in obs.notes if n.startswith("containment")]
    elif len(obs.containment) == len(BASIC_LAYERS):
        assert any("strict requested" in n for n in obs.notes)  # the weaker level is said out loud
    assert outside.unchanged()


def test_infinite_loop_at_import(hostile, outside):
    source = "import cocotb\nwhile True:\n    pass\n\n@cocotb.test()\nasync def t(dut):\n    pass\n"
    start = time.monotonic()
    obs = hostile.evaluate(design_spec("counter4"), Testbench(source, "test_hostile"))
    elapsed = time.monotonic() - start
    assert obs.outcome is Outcome.TIMED_OUT and obs.timed_out
    assert within_limit(hostile, elapsed)
    assert outside.unchanged()


def test_busy_await_that_never_yields(hostile, outside):
    busy = "while True:\n    await NullTrigger()"
    obs, elapsed = run(hostile, busy, header="from cocotb.triggers import NullTrigger")
    assert obs.outcome is Outcome.TIMED_OUT
    assert "did not finish within 4 s" in obs.error
    assert within_limit(hostile, elapsed)
    assert outside.unchanged()


def test_fork_bomb(hostile, outside):
    name = "bomb" + token()[:11]
    body = f"""
import ctypes
ctypes.CDLL(None).prctl(15, ctypes.c_char_p(b"{name}"), 0, 0, 0)  # PR_SET_NAME: children inherit it
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
    obs, elapsed = run(hostile, body)
    assert obs.outcome is Outcome.CRASHED, obs.error
    assert "more than 32 processes" in obs.error
    assert within_limit(hostile, elapsed)
    time.sleep(0.2)
    assert live_processes(lambda _cmd, comm: comm == name) == []
    assert outside.unchanged()


def test_memory_bomb(hostile, outside):
    # Touching ~1 GB of pages takes a second or two on a loaded machine: a longer wall limit here.
    bomb = "hog = []\nwhile True:\n    hog.append(bytearray(64 * 2**20))"
    obs, elapsed = run(hostile, bomb, memory_mb=1024, wall_s=10)
    assert obs.outcome is Outcome.TESTS_FAILED, obs.error  # RLIMIT_AS: the allocation fails in Python
    assert "MemoryError" in obs.error
    assert elapsed < 10 + SLACK_S
    assert outside.unchanged()


def test_gigabytes_of_output(hostile, outside, tmp_path):
    run_dir = tmp_path / "run"
    ev = hostile
    source = (
        "import sys, cocotb\n@cocotb.test()\nasync def t(dut):\n    chunk = 'x' * 2**20 + '\\n'\n"
        "    for _ in range(4096):\n        sys.stdout.write(chunk)\n"
    )
    start = time.monotonic()
    obs = ev.evaluate(design_spec("counter4"), Testbench(source, "test_hostile"), run_dir=run_dir)
    assert within_limit(ev, time.monotonic() - start)
    assert obs.outcome in (Outcome.CRASHED, Outcome.TESTS_FAILED), obs.error
    assert (run_dir / "sim.log").stat().st_size <= 4 * 2**20
    assert len(obs.log_tail) <= 9000
    assert "output limit of 4 MB" in obs.error
    assert outside.unchanged()


def test_writing_outside_the_scratch_directory(hostile, containment, outside):
    body = f"""
targets = [
    {str(outside.repo / "design.v")!r},            # overwrite a file of the user's repository
    {str(outside.repo / "sub" / "new.py")!r},      # add one
    {str(outside.home / ".bashrc")!r},             # the user's HOME, by its real path
    os.path.expanduser("~/.profile"),               # HOME as the run sees it (its scratch directory)
    os.path.join(os.path.dirname(os.getcwd()), "escaped.txt"),  # beside the scratch directory
]
for path in targets:
    try:
        with open(path, "w") as fh:
            fh.write("pwned")
        print("WROTE", path)
    except OSError as exc:
        print("REFUSED", path, exc)
try:
    os.remove({str(outside.repo / "sub" / "notes.txt")!r})
    print("REMOVED notes.txt")
except OSError as exc:
    print("REFUSED remove", exc)
"""
    strict = needs(containment, "a mount namespace with mount_setattr", CLONE_NEWNS, min_kernel=(5, 12))
    obs, elapsed = run(hostile, body)
    assert obs.passed, obs.error
    assert within_limit(hostile, elapsed)
    assert "~/.profile" not in obs.log_tail
    assert f"WROTE {outside.home}/.profile" not in obs.log_tail  # ~ is the scratch directory, never HOME
    if strict:
        assert "readonly-fs" in obs.containment
        assert outside.unchanged()
        assert "Read-only file system" in obs.log_tail
        wrote = [ln for ln in obs.log_tail.splitlines() if ln.startswith(("WROTE", "REMOVED"))]
        assert len(wrote) == 1 and wrote[0].endswith("/.profile")  # only inside its own scratch directory
        assert not (outside.repo.parent / "escaped.txt").exists()
    else:
        # The documented gap without a mount namespace: absolute paths the user can write are writable.
        assert "readonly-fs" not in obs.containment
        assert "WROTE " + str(outside.repo / "design.v") in obs.log_tail
        assert not outside.unchanged()


def test_environment_secrets_stay_out(hostile, containment, outside, monkeypatch):
    strict = needs(containment, "PID namespaces", CLONE_NEWPID | CLONE_NEWNS)
    secret = "hunter2-" + token()
    monkeypatch.setenv("LLM4COV_SECRET_TOKEN", secret)
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    # A process started with the secret in its environment, as the user's shell or CI runner would be.
    victim = subprocess.Popen(["sleep", "60"], env={**os.environ, "VICTIM_SECRET": secret})
    try:
        body = f"""
print("ENV", sorted(os.environ))
found = []
for pid in os.listdir("/proc"):
    try:
        with open(f"/proc/{{pid}}/environ", "rb") as fh:
            if b"{secret}" in fh.read():
                found.append(pid)
    except OSError:
        pass
print("SECRET-FOUND" if found else "SECRET-NOT-FOUND", "among", len(os.listdir("/proc")), "entries")
"""
        obs, _ = run(hostile, body)
    finally:
        victim.kill()
        victim.wait()
    assert obs.passed, obs.error
    env_line = next(ln for ln in obs.log_tail.splitlines() if ln.startswith("ENV"))
    assert "LLM4COV_SECRET_TOKEN" not in env_line and "OPENAI_API_KEY" not in env_line
    assert obs.log_tail.count(secret) <= obs.log_tail.count(f'b"{secret}"')  # only the testbench's own text
    if strict:
        assert "private-proc" in obs.containment
        assert "SECRET-NOT-FOUND" in obs.log_tail  # other processes are invisible
    else:
        assert "private-proc" not in obs.containment
        assert "SECRET-FOUND" in obs.log_tail  # the documented gap: the user's other processes' environ
    assert outside.unchanged()


def test_network_connection(hostile, containment, outside):
    strict = needs(containment, "network namespaces", CLONE_NEWNET)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    body = f"""
try:
    s = socket.create_connection(("127.0.0.1", {port}), timeout=2)
    s.sendall(b"exfiltrated")
    print("CONNECTED")
except OSError as exc:
    print("NO-CONNECTION", exc)
"""
    try:
        obs, elapsed = run(hostile, body)
        try:
            conn, _ = server.accept()
            conn.close()
            arrived = True
        except TimeoutError:
            arrived = False
    finally:
        server.close()
    assert obs.passed, obs.error
    assert within_limit(hostile, elapsed)
    if strict:
        assert "net-namespace" in obs.containment
        assert "NO-CONNECTION" in obs.log_tail and "Network is unreachable" in obs.log_tail and not arrived
    else:
        assert "net-namespace" not in obs.containment
        assert arrived and "CONNECTED" in obs.log_tail  # the documented gap: loopback is reachable
    assert outside.unchanged()


def test_os_exit(hostile, outside):
    obs, elapsed = run(hostile, "os._exit(3)")
    assert obs.outcome is Outcome.CRASHED
    assert "exit code 3" in obs.error
    assert within_limit(hostile, elapsed)
    assert outside.unchanged()


SUPERVISOR_KILLED = "the simulation's supervisor was killed (the testbench signalled its parent or group)"


def test_killing_the_parent(hostile, containment, outside):
    """In a PID namespace the parent is the namespace's init, which ignores the signal; without one
    the supervisor dies, the run is a crash that says so, and pytest is untouched."""
    strict = needs(containment, "PID namespaces", CLONE_NEWPID | CLONE_NEWNS)
    me = os.getpid()
    obs, elapsed = run(hostile, "os.kill(os.getppid(), 9)\nawait Timer(1, unit='ns')")
    assert os.getpid() == me and os.getppid() != 1  # this pytest process is alive and still parented
    assert within_limit(hostile, elapsed)
    if strict:
        assert "pid-namespace" in obs.containment
        assert obs.outcome is Outcome.PASSED, obs.error
    else:
        assert obs.outcome is Outcome.CRASHED and obs.error.startswith("the simulation crashed (SIGKILL"), obs.error
        assert SUPERVISOR_KILLED in obs.notes
    assert outside.unchanged()


def test_killing_the_parents_group(hostile, outside):
    me = os.getpid()
    obs, elapsed = run(hostile, "os.killpg(os.getpgid(os.getppid()), 9)\nawait Timer(1, unit='ns')")
    assert os.getpid() == me and os.getppid() != 1
    assert within_limit(hostile, elapsed)
    assert obs.outcome is Outcome.CRASHED and obs.error.startswith("the simulation crashed (SIGKILL"), obs.error
    assert SUPERVISOR_KILLED in obs.notes
    assert outside.unchanged()


def test_daemon_does_not_outlive_the_run(hostile, outside):
    mark = token()
    body = f"""
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "{mark}"])
    os._exit(0)
await Timer(1, unit="ns")
"""
    obs, elapsed = run(hostile, body)
    assert obs.passed, obs.error
    assert within_limit(hostile, elapsed)
    time.sleep(0.2)
    assert live_processes(lambda cmd, _comm: mark.encode() in cmd) == []
    assert outside.unchanged()


def test_without_a_cgroup_the_watchdog_still_contains(simulator, build_cache, monkeypatch):
    """Strict where no pids cgroup can be made (a normal user, most containers): fork bomb and daemon."""
    from pytest_llm4cov import sandbox

    monkeypatch.setattr(sandbox, "_cgroup_parent", lambda: (None, "disabled by the test"))
    ev = Evaluator(simulator, cache_dir=build_cache, limits=Limits(wall_s=4, processes=32))
    ev.build(design_spec("counter4"))
    name, mark = "bomb" + token()[:11], token()
    bomb = f"""
import ctypes
ctypes.CDLL(None).prctl(15, ctypes.c_char_p(b"{name}"), 0, 0, 0)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "{mark}"])
    os._exit(0)
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
    obs, elapsed = run(ev, bomb)
    assert "cgroup-pids" not in obs.containment
    assert any("cgroup-pids unavailable (disabled by the test)" in n for n in obs.notes)
    assert obs.outcome is Outcome.CRASHED and "more than 32 processes" in obs.error
    assert within_limit(ev, elapsed)
    time.sleep(0.2)
    assert live_processes(lambda cmd, comm: comm == name or mark.encode() in cmd) == []
