"""The collect stage's resume manifest: what a stopped (or committed) collection counts as done."""

from __future__ import annotations

import json

from trainer.collect import finished_tasks, folder_key


def test_manifest_keys_are_relative_so_a_committed_collection_resumes_in_another_clone(tmp_path, monkeypatch):
    old, new = tmp_path / "old-clone", tmp_path / "new-clone"
    for root in (old, new):
        (root / "designs" / "counter4").mkdir(parents=True)
    monkeypatch.chdir(old)
    assert folder_key(old / "designs" / "counter4") == "designs/counter4"
    assert folder_key(tmp_path / "elsewhere") == str((tmp_path / "elsewhere").resolve())  # outside: absolute
    out = old / "runlog.jsonl"
    out.with_name("runlog.jsonl.done.jsonl").write_text(
        json.dumps({"folder": "designs/counter4", "seed": 0}) + "\n"
        + json.dumps({"folder": str(old / "designs" / "gray_codec"), "seed": 1}) + "\n"  # as older logs wrote it
        + '{"folder": "designs/cut'  # a line cut by a stop: that task runs again
    )
    assert finished_tasks(out) == {("designs/counter4", 0), ("designs/gray_codec", 1)}
    moved = new / "runlog.jsonl"  # the same files, committed and checked out elsewhere
    moved.with_name("runlog.jsonl.done.jsonl").write_text(out.with_name("runlog.jsonl.done.jsonl").read_text())
    monkeypatch.chdir(new)
    assert ("designs/counter4", 0) in finished_tasks(moved)
    assert folder_key(new / "designs" / "counter4") == "designs/counter4"
