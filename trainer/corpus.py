"""The training corpus: which design folders the stages run on, and how a run-log record finds its design.

A corpus is any list of folders: a design folder (RTL files directly in it) or a folder of design
folders (the bundled ``designs/``, a user's ``rtl/``). Bundled designs carry a split in their
llm4cov.toml; the trainer takes the train split and never the eval split unless told.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.bench import default_designs_dir


def _is_design(folder: Path) -> bool:
    return folder.is_dir() and any(p.suffix in (".v", ".sv") and p.is_file() for p in folder.iterdir())


def design_folders(roots: Sequence[str | Path], split: str | None = "train") -> list[Path]:
    """Design folders under ``roots`` (the bundled designs when empty), of ``split`` ("all" or None: any).

    A design without a split (a user's own RTL) belongs to every split but "eval": the eval split is
    only what was set aside as such.

    Raises:
        Llm4covError: a missing folder, or nothing to run.
    """
    folders: list[Path] = []
    for root in roots or [default_designs_dir()]:
        path = Path(root).resolve()
        if not path.is_dir():
            raise Llm4covError(f"{path}: no such corpus folder (give folders of RTL designs)")
        if _is_design(path):
            folders.append(path)
        else:
            folders += sorted(p for p in path.iterdir() if _is_design(p))
    if split not in (None, "all"):
        from pytest_llm4cov.design import load_config

        def in_split(folder: Path) -> bool:
            own = load_config(folder).split
            return own == split if own is not None else split != "eval"

        folders = [f for f in folders if in_split(f)]
    folders = list(dict.fromkeys(folders))
    if not folders:
        where = ", ".join(str(r) for r in roots) or str(default_designs_dir())
        raise Llm4covError(
            f"{where}: no design folders" + (f" in split '{split}'" if split not in (None, "all") else "")
        )
    return folders


class DesignIndex:
    """Designs by name, loaded once each; a record made on other RTL than the folder holds now is refused."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self.folders = {f.name: f for f in folders}
        self._loaded: dict[str, object] = {}

    def get(self, name: str, rtl_hash: str | None = None):
        """The design named ``name`` (None when the corpus has no such design or its RTL changed)."""
        from pytest_llm4cov.design import load_design

        folder = self.folders.get(name)
        if folder is None:
            return None
        if name not in self._loaded:
            try:
                self._loaded[name] = load_design(folder)
            except Llm4covError:
                self._loaded[name] = None
        design = self._loaded[name]
        if design is None or (rtl_hash is not None and design.build.rtl_digest() != rtl_hash):
            return None
        return design
