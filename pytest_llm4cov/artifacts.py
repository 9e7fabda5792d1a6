"""The files a run leaves per design: the kept testbench, a frozen regression test, lcov, and metadata.

Layout under the output directory (default ``llm4cov-out/``)::

    <design>/<top>/tb_<top>.py              the best cocotb test module (commit it)
    <design>/<top>/test_<top>_coverage.py   plain-pytest regression: re-runs it with cocotb's runner
    <design>/<top>/coverage.info            lcov of the best run
    <design>/<top>/coverage.json            every point of the best run (waived ones marked), the RTL
                                            text and the suspicions: what the HTML and Cobertura reports
                                            read in the controller, whichever xdist worker ran the item
    <design>/<top>/coverage_curve.png       coverage over the agent's steps (drawn with the reports)
    <design>/<top>/llm4cov.json             score, seed, target, the testbench's sha256 (for incremental mode)

A design with ``parameter_sets`` keeps each configuration's files one level down, in
``<design>/<top>/<configuration>/`` (its regression is ``test_<top>_<configuration>_coverage.py``, a
name unique across the folders, as pytest's default import mode needs).

Never overwrite a testbench the user edited: if ``tb_<top>.py`` no longer matches the sha256 recorded
when we wrote it, the new one goes beside it as ``tb_<top>.new.py`` and the result says so. Every file
is written atomically (temporary file + rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_llm4cov.coverage import CoveragePoint

META = "llm4cov.json"
COVERAGE_DATA = "coverage.json"
#: Bumped when coverage.json changes shape; readers skip files of another version.
COVERAGE_DATA_SCHEMA = 1


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not mkstemp: its 0600 would stick to the renamed file; 0666 less the umask is what users expect.
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class SavedTestbench:
    """What incremental mode finds on disk for a design."""

    path: Path
    source: str
    edited: bool  # the user changed it since we wrote it
    meta: dict[str, Any]


def item_dir(out: Path, design: str, top: str, configuration: str | None = None) -> Path:
    folder = out / design / top
    return folder / configuration if configuration else folder


def testbench_path(out: Path, design: str, top: str, configuration: str | None = None) -> Path:
    return item_dir(out, design, top, configuration) / f"tb_{top}.py"


def load_saved(out: Path, design: str, top: str, configuration: str | None = None) -> SavedTestbench | None:
    path = testbench_path(out, design, top, configuration)
    if not path.is_file():
        return None
    source = path.read_text(errors="replace")
    meta_path = item_dir(out, design, top, configuration) / META
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        meta = {}
    edited = meta.get("testbench_sha256") != sha256(source)
    return SavedTestbench(path, source, edited, meta)


REGRESSION_TEMPLATE = '''"""Frozen coverage regression for `{top}` (written by pytest-llm4cov; plain pytest, no model).

Re-runs tb_{top}.py with cocotb's runner on Verilator with coverage and checks that the score reaches
the target. Recorded when written: score {score:.4f} with seed {seed}.
"""

from pathlib import Path

import pytest

HERE = Path(__file__).parent
SOURCES = {sources!r}
TOP = {top!r}
PARAMETERS = {parameters!r}
SEED = {seed}
TARGET = {target!r}
RECORDED_SCORE = {score!r}
METRICS = {metrics!r}
WAIVERS = {waivers!r}  # points left out of the score, as in llm4cov.toml when this was written


def test_{ident}_coverage(tmp_path):
    from pytest_llm4cov.regression import rerun

    score = rerun(HERE / "tb_{top}.py", SOURCES, TOP, PARAMETERS, SEED, tmp_path, METRICS, waivers=WAIVERS)
    assert score >= TARGET - 1e-9, f"coverage {{score:.2%}} is below the target {{TARGET:.2%}}"
'''


def write_item(
    out: Path,
    design: str,
    top: str,
    *,
    testbench: str,
    sources: list[str],
    parameters: dict[str, Any],
    seed: int,
    score: float,
    target: float,
    metrics: list[str] | None,
    lcov: str,
    saved: SavedTestbench | None,
    waivers: list[dict[str, Any]] | None = None,
    configuration: str | None = None,
) -> tuple[Path, str]:
    """Write the item's files; return (the testbench path written, a note for the user or '')."""
    folder = item_dir(out, design, top, configuration)
    tb_path = testbench_path(out, design, top, configuration)
    note = ""
    if saved is not None and saved.edited:
        if saved.source == testbench:
            note = f"kept your edited {tb_path.name} (it is the best testbench)"
            written = tb_path
        else:
            written = folder / f"tb_{top}.new.py"
            note = f"{tb_path.name} was edited by hand, so the new testbench was written to {written.name}"
            write_atomic(written, testbench)
    else:
        written = tb_path
        write_atomic(written, testbench)
    if written == tb_path:
        rel_sources = [os.path.relpath(s, folder) for s in sources]
        ident = "".join(c if c.isalnum() else "_" for c in (f"{top}_{configuration}" if configuration else top))
        write_atomic(
            folder / f"test_{ident if configuration else top}_coverage.py",
            REGRESSION_TEMPLATE.format(
                top=top, ident=ident, sources=rel_sources, parameters=dict(parameters), seed=seed,
                target=round(target, 6), score=round(score, 6), metrics=metrics, waivers=list(waivers or []),
            ),
        )
        meta = {
            "design": design,
            "top": top,
            "seed": seed,
            "score": score,
            "target": target,
            "testbench_sha256": sha256(testbench if not (saved and saved.edited) else saved.source),
        }
        write_atomic(folder / META, json.dumps(meta, indent=2) + "\n")
    write_atomic(folder / "coverage.info", lcov)
    return written, note


def write_coverage_data(
    out: Path, design: str, top: str, data: dict[str, Any], configuration: str | None = None
) -> Path:
    """Write the item's full coverage (``coverage.json``) atomically; return its path."""
    path = item_dir(out, design, top, configuration) / COVERAGE_DATA
    write_atomic(path, json.dumps({"schema": COVERAGE_DATA_SCHEMA, **data}) + "\n")
    return path


def load_coverage_data(
    out: Path, design: str, top: str, configuration: str | None = None
) -> dict[str, Any] | None:
    """The item's ``coverage.json``, or None when missing, unreadable or of another schema."""
    try:
        data = json.loads((item_dir(out, design, top, configuration) / COVERAGE_DATA).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("schema") == COVERAGE_DATA_SCHEMA else None


def points_from_data(data: dict[str, Any]) -> list[tuple[CoveragePoint, str | None]]:
    """coverage.json's points as ``(point, waiver reason or None)``."""
    out = []
    for d in data.get("points", []):
        span = d.get("span")
        point = CoveragePoint(
            file=d["file"], line=int(d["line"]), metric=d["type"], count=int(d["count"]),
            column=int(d.get("column", 0)), hierarchy=d.get("hierarchy", ""), comment=d.get("detail", ""),
            span=(int(span[0]), int(span[1])) if span else None,
        )
        out.append((point, d.get("waived")))
    return out
