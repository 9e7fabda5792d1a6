"""The collect stage on a local Ray instance: the same tasks and run log as the process pool."""

from __future__ import annotations

import pytest

from conftest import DESIGNS
from pytest_llm4cov.runlog import read_runlog
from trainer.collect import CollectConfig, collect, finished_tasks


@pytest.mark.slow
@pytest.mark.simulator
def test_collect_on_local_ray(simulator, tmp_path):
    pytest.importorskip("ray", reason="Ray is the optional executor: pip install 'pytest-llm4cov[ray]'")
    out = tmp_path / "runlog.jsonl"
    collect(
        CollectConfig(
            corpus=[str(DESIGNS)],
            designs=["counter4", "gray_codec"],
            iterations=1,
            jobs=2,
            executor="ray",
            out=str(out),
        )
    )
    records = list(read_runlog(out))
    assert {r.design for r in records} == {"counter4", "gray_codec"}
    assert {(f.split("/")[-1], s) for f, s in finished_tasks(out)} == {("counter4", 0), ("gray_codec", 0)}
    # a rerun finds both tasks done and adds nothing
    collect(
        CollectConfig(
            corpus=[str(DESIGNS)], designs=["counter4", "gray_codec"], iterations=1, executor="ray", out=str(out)
        )
    )
    assert len(list(read_runlog(out))) == len(records)
