"""report.html: structure, annotation, self-containedness, and the page in a real headless browser."""

from __future__ import annotations

import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_report import sample_run

from pytest_llm4cov.html_report import plot_curve, render_html
from pytest_llm4cov.report import write_report

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
)


class Page(HTMLParser):
    """Collects the elements of a page as (tag, attributes) plus the rows of annotated source."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.rows: dict[tuple[str, int], dict[str, str]] = {}
        self._row: dict[str, str] | None = None
        self._in_code = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if tag == "tr" and "data-line" in a:
            self._row = {**a, "code": "", "cells": ""}
            self.rows[(a["id"].rsplit("-L", 1)[0], int(a["data-line"]))] = self._row
        if tag == "td" and self._row is not None:
            self._in_code = "code" in a.get("class", "")
            if a.get("class", "").startswith("m "):
                self._row["cells"] += a["class"] + "|" + a.get("title", "") + ";"

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None
        if tag == "td":
            self._in_code = False

    def handle_data(self, data):
        if self._row is not None and self._in_code:
            self._row["code"] += data


@pytest.fixture
def page(tmp_path):
    out, items = sample_run(tmp_path)
    write_report(out, items, {"policy": "builtin", "seed": 7})
    path = out / "report.html"
    return path, Page(path.read_text())


def test_summary_table_and_sections(page):
    path, doc = page
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and "policy builtin &middot; seed 7" in text
    links = [a["href"] for tag, a in doc.elements if tag == "a"]
    assert links == ["#d-alu-alu", "#d-broken-broken", "#d-fifo-fifo"]
    ids = {a.get("id") for _, a in doc.elements}
    assert {"summary", "d-alu-alu", "d-broken-broken", "d-fifo-fifo"} <= ids
    assert '<span class="badge pass">PASS</span>' in text and '<span class="badge fail">FAIL</span>' in text


def test_lines_are_marked_per_metric(page):
    _, doc = page
    fifo = {n: row for (anchor, n), row in doc.rows.items() if anchor == "d-fifo-fifo"}
    assert len(fifo) == 15  # every source line, annotated or not
    assert fifo[7]["data-status"] == "covered" and fifo[7]["code"] == "    always @(posedge clk) begin"
    assert fifo[8]["data-status"] == "partially covered"  # branches hit, one expression term missed
    assert "m p|expr (push==1 && pop==0) => 1 @fifo: 3 hits\nexpr (push==0) => 0 @fifo: 0 hits;" in fifo[8]["cells"]
    assert "m c|branch if @fifo: 12 hits\nbranch else @fifo: 8 hits;" in fifo[8]["cells"]
    assert fifo[9]["data-status"] == "covered"  # inside the taken if's span
    assert fifo[10]["data-status"] == "uncovered" and fifo[11]["data-status"] == "uncovered"
    assert fifo[14]["data-status"] == "waived" and "waived: debug only" in fifo[14]["cells"]
    assert fifo[5]["data-status"] == "partially covered"  # full toggled 0->1 only
    assert "data-status" not in fifo[1] and "data-status" not in fifo[15]


def test_toggles_suspects_waivers_testbench(page):
    path, _ = page
    text = path.read_text()
    assert "<h3>Toggle coverage per signal</h3>" in text
    assert "<td><code>full</code></td><td>fifo</td><td class=\"num\">1/2</td>" in text
    assert "<code>1-&gt;0</code>" in text  # the edge never seen
    assert "possibly unreachable, for review (not waived) (1)" in text and "DEPTH == 0" in text
    assert 'class="flag" title="never covered, and depends only on parameters' in text
    assert "waived points (1)" in text and "debug only" in text
    assert "Waivers that matched no point: fifo.v (stale)" in text
    assert "final testbench:" in text and "# &lt;fifo check&gt;" in text
    assert "No per-point coverage was kept for this item" in text  # broken: report.json's list instead


def test_page_is_self_contained(page):
    path, doc = page
    for tag, attrs in doc.elements:
        for key in ("src", "href"):
            value = attrs.get(key, "")
            assert not value or value.startswith(("#", "data:image/png;base64,")), (tag, key, value)
    images = [a["src"] for tag, a in doc.elements if tag == "img"]
    assert len(images) == 3  # one curve per item with steps
    assert (path.parent / "fifo" / "fifo" / "coverage_curve.png").is_file()


def test_plot_curve_is_a_png():
    from pytest_llm4cov.closure import ItemResult

    item = ItemResult(design="d", top="t", passed=False, score=0.5, target=0.9, metrics={}, steps=3, seed=0,
                      testbench="", outcome="passed", stopped="", wall_s=0.0, policy="builtin",
                      curve=[0.2, 0.5, 0.5], step_scores=[0.2, 0.5, 0.1])
    png = plot_curve(item)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert plot_curve(ItemResult.from_dict({**item.to_dict(), "curve": []})) is None
    assert "<img" not in render_html([item], {}, {})


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no headless browser (apt-get install chromium)")


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", head[16:24])


def test_page_in_a_headless_browser(page, tmp_path):
    """Chromium loads the page: the DOM holds the table and an annotated line; a screenshot renders."""
    path, _ = page
    browser = _chromium()
    url = path.resolve().as_uri()
    dom = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile-dom'}", "--dump-dom", url],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    assert '<table class="summary" id="summary">' in dom
    assert 'id="d-fifo-fifo-L10" class="u" data-line="10" data-status="uncovered"' in dom
    assert "end else if (DEPTH == 0) begin" in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile-shot'}", "--window-size=1280,900",
         f"--screenshot={shot}", url],
        capture_output=True, text=True, timeout=60, check=True,
    )
    assert _png_size(shot) == (1280, 900)
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
