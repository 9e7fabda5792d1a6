"""report.html: one self-contained page with the summary, annotated RTL, toggles, curves and testbenches.

Reads each item's ``coverage.json`` (written by the worker that ran it, see artifacts.py), so the page
is the same whether the run used xdist or not. The coverage-over-steps plot is drawn with matplotlib's
Agg canvas (imported only here, only when a report is written), saved beside the item's artifacts and
embedded as base64; no file outside the page is referenced.
"""

from __future__ import annotations

import base64
import datetime
import html
import io
import os
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from pytest_llm4cov import __version__
from pytest_llm4cov.artifacts import item_dir, points_from_data, write_atomic
from pytest_llm4cov.closure import ItemResult
from pytest_llm4cov.coverage import CoveragePoint, sort_metrics

CURVE_PNG = "coverage_curve.png"
STATUS_WORDS = {"c": "covered", "u": "uncovered", "p": "partially covered", "w": "waived"}

Rows = list[tuple[CoveragePoint, "str | None"]]


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _key(item: ItemResult) -> tuple[str, str, str | None]:
    return (item.design, item.top, item.configuration)


def _label(item: ItemResult) -> str:
    return f"{item.top}[{item.configuration}]" if item.configuration else item.top


def _anchor(item: ItemResult) -> str:
    return "d-" + re.sub(r"[^A-Za-z0-9_-]", "-", f"{item.design}-{_label(item)}")


def _display_path(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def _pct_class(ratio: float) -> str:
    return "c" if ratio >= 1.0 - 1e-9 else ("u" if ratio <= 0.0 else "p")


def _status(rows: Rows) -> str:
    """c, u, p or w for the points claiming a line or cell ('' when none)."""
    live = [p for p, waived in rows if waived is None]
    if not live:
        return "w" if rows else ""
    hit = sum(1 for p in live if p.covered)
    return "c" if hit == len(live) else ("u" if hit == 0 else "p")


# -- the coverage-over-steps plot ----------------------------------------------------------------


def plot_curve(item: ItemResult) -> bytes | None:
    """The PNG of the best score after each step (with each step's own score and the target)."""
    if not item.curve:
        return None
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator, PercentFormatter
    except ImportError:
        return None
    fig = Figure(figsize=(5.2, 2.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    steps = list(range(1, len(item.curve) + 1))
    ax.axhline(item.target * 100, color="#cf222e", lw=1, ls="--", label=f"target {item.target:.0%}")
    if item.step_scores:
        ax.plot(steps[: len(item.step_scores)], [s * 100 for s in item.step_scores], "o", color="#8c959f",
                ms=4, label="step score")
    ax.step(steps, [c * 100 for c in item.curve], where="post", color="#0969da", lw=2, label="best so far")
    ax.plot(steps, [c * 100 for c in item.curve], "o", color="#0969da", ms=3)
    ax.set_ylim(0, 105)
    ax.set_xlim(0.5, max(len(steps), 1) + 0.5)
    ax.yaxis.set_major_formatter(PercentFormatter())
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("agent step")
    ax.set_ylabel("coverage")
    ax.set_title(f"{item.design}::{_label(item)}", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


# -- pieces of the page ---------------------------------------------------------------------------


def _summary_table(items: Sequence[ItemResult], metrics: list[str]) -> str:
    head = "".join(f'<th class="num">{_e(m)}</th>' for m in metrics)
    rows = []
    for i in items:
        cells = "".join(
            f'<td class="num pct {_pct_class(i.metrics[m]["ratio"])}">{i.metrics[m]["ratio"]:.1%}</td>'
            if m in i.metrics else '<td class="num">-</td>'
            for m in metrics
        )
        badge = '<span class="badge pass">PASS</span>' if i.passed else '<span class="badge fail">FAIL</span>'
        rows.append(
            f'<tr data-design="{_e(i.design)}"><td><a href="#{_anchor(i)}">{_e(i.design)}</a></td>'
            f"<td>{_e(_label(i))}</td><td class=\"num\">{i.steps}</td>{cells}"
            f'<td class="num pct {_pct_class(i.score)}"><b>{i.score:.1%}</b></td>'
            f'<td class="num">{i.target:.0%}</td><td>{badge}</td>'
            f'<td class="num">{len(i.waived) or ""}</td><td class="num">{len(i.suspects) or ""}</td></tr>'
        )
    return (
        '<table class="summary" id="summary"><thead><tr><th>design</th><th>top</th><th class="num">steps</th>'
        f'{head}<th class="num">score</th><th class="num">target</th><th>result</th>'
        '<th class="num">waived</th><th class="num">review</th></tr></thead><tbody>'
        + "".join(rows) + "</tbody></table>"
    )


def _metrics_table(item: ItemResult, rows: Rows) -> str:
    waived: dict[str, int] = {}
    for p, reason in rows:
        if reason is not None:
            waived[p.metric] = waived.get(p.metric, 0) + 1
    out = ['<table class="metrics"><tr><th>metric</th><th class="num">covered</th><th class="num">total</th>'
           '<th class="num">coverage</th><th class="num">waived</th></tr>']
    for m in sort_metrics([*item.metrics, *waived]):
        s = item.metrics.get(m, {"covered": 0, "total": 0, "ratio": 1.0})
        out.append(
            f'<tr><td>{_e(m)}</td><td class="num">{s["covered"]}</td><td class="num">{s["total"]}</td>'
            f'<td class="num pct {_pct_class(s["ratio"])}">{s["ratio"]:.1%}</td>'
            f'<td class="num">{waived.get(m, "")}</td></tr>'
        )
    out.append("</table>")
    return "".join(out)


def _point_title(p: CoveragePoint, reason: str | None) -> str:
    what = f"{p.metric} {p.comment}".strip()
    where = f" @{p.hierarchy}" if p.hierarchy else ""
    text = f"{what}{where}: {p.count} hit{'s' if p.count != 1 else ''}"
    return text + (f" (waived: {reason})" if reason is not None else "")


def _annotated_file(file: str, text: str, rows: Rows, metrics: list[str], flags: Mapping[int, str], anchor: str) -> str:
    """The source of one file, a row per line, a cell per metric: hits, or covered/total points."""
    cells: dict[tuple[int, str], Rows] = {}
    for p, reason in rows:
        cells.setdefault((p.line, p.metric), []).append((p, reason))
        if p.metric in ("line", "branch") and p.span:
            # A block stands for every line of its span (lcov's DA rule): the line column shows them all.
            for n in range(p.span[0], p.span[1] + 1):
                if (n, p.metric) != (p.line, "line"):
                    cells.setdefault((n, "line"), []).append((p, reason))
    src_lines = text.splitlines() or [""]
    max_line = max([len(src_lines), *(n for n, _ in cells)])
    head = "".join(f'<th title="{_e(m)}">{_e(m[:6])}</th>' for m in metrics)
    out = [f'<table class="src" data-file="{_e(file)}"><thead><tr><th>#</th>{head}<th></th>'
           '<th style="text-align:left">source</th></tr></thead><tbody>']
    for n in range(1, max_line + 1):
        line_rows: Rows = []
        tds = []
        for m in metrics:
            here = cells.get((n, m), [])
            line_rows += here
            if not here:
                tds.append('<td class="m"></td>')
                continue
            st = _status(here)
            live = [p for p, r in here if r is None]
            if st == "w":
                label = "waived"
            elif m == "line":
                label = str(min(p.count for p in live))
            else:
                label = f"{sum(p.covered for p in live)}/{len(live)}"
            title = "&#10;".join(_e(_point_title(p, r)) for p, r in here)
            tds.append(f'<td class="m {st}" title="{title}">{label}</td>')
        st = _status(line_rows)
        flag = flags.get(n)
        flag_td = f'<td class="flag" title="{_e(flag)}">?</td>' if flag else "<td></td>"
        code = src_lines[n - 1] if n <= len(src_lines) else ""
        status_attr = f' data-status="{STATUS_WORDS[st]}"' if st else ""
        out.append(
            f'<tr id="{anchor}-L{n}" class="{st}" data-line="{n}"{status_attr}><td class="n">{n}</td>'
            f'{"".join(tds)}{flag_td}<td class="code">{_e(code)}</td></tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)


_TOGGLE = re.compile(r"^(?P<signal>[^\[:]+)(?P<bit>\[[^\]]*\])?:(?P<edge>.*)$")


def _toggle_table(rows: Rows) -> str:
    """Toggle coverage per signal: transitions seen / possible, and which bit edges never happened."""
    signals: dict[tuple[str, str], list[tuple[CoveragePoint, str | None, str]]] = {}
    order: dict[tuple[str, str], tuple[str, int]] = {}
    for p, reason in rows:
        if p.metric != "toggle":
            continue
        m = _TOGGLE.match(p.comment)
        name, bit = (m.group("signal"), (m.group("bit") or "") + " " + m.group("edge")) if m else (p.comment, "")
        key = (p.hierarchy, name)
        signals.setdefault(key, []).append((p, reason, bit.strip()))
        order.setdefault(key, (p.file, p.line))
    if not signals:
        return ""
    out = ['<table class="list toggles"><tr><th>signal</th><th>instance</th><th class="num">transitions</th>'
           '<th class="num">coverage</th><th>never seen</th></tr>']
    for key in sorted(signals, key=lambda k: (order[k], k)):
        pts = signals[key]
        live = [(p, b) for p, r, b in pts if r is None]
        hit = sum(p.covered for p, _ in live)
        missing = [b for p, b in live if not p.covered]
        ratio = hit / len(live) if live else 1.0
        cls = "w" if not live else _pct_class(ratio)
        shown = ", ".join(missing[:12]) + (f" ... ({len(missing) - 12} more)" if len(missing) > 12 else "")
        cov = "waived" if not live else f"{ratio:.0%}"
        out.append(
            f'<tr><td><code>{_e(key[1])}</code></td><td>{_e(key[0])}</td><td class="num">{hit}/{len(live)}</td>'
            f'<td class="num pct {cls}">{cov}</td><td><code>{_e(shown)}</code></td></tr>'
        )
    out.append("</table>")
    return "".join(out)


def _point_list(title: str, entries: Sequence[Mapping[str, Any]], extra: str | None = None, open_: bool = False) -> str:
    if not entries:
        return ""
    head = "<th>where</th><th>type</th><th>detail</th><th>source</th>" + (f"<th>{_e(extra)}</th>" if extra else "")
    rows = []
    for e in entries:
        rows.append(
            f'<tr><td><code>{_e(_display_path(str(e.get("file", ""))))}:{_e(e.get("line", ""))}</code></td>'
            f'<td>{_e(e.get("type", ""))}</td><td><code>{_e(e.get("detail", ""))}</code></td>'
            f'<td><code>{_e(e.get("source", ""))}</code></td>'
            + (f"<td>{_e(e.get(extra, ''))}</td>" if extra else "") + "</tr>"
        )
    return (
        f"<details{' open' if open_ else ''}><summary>{_e(title)} ({len(entries)})</summary>"
        f'<table class="list">{head}{"".join(rows)}</table></details>'
    )


def _functional_section(functional: Mapping[str, Any] | None) -> str:
    """cocotb-coverage points of the best run: bins hit per point, each bin with its hits."""
    if not functional or not functional.get("points"):
        return ""
    rows = []
    for name, p in functional["points"].items():
        bins = " ".join(
            f'<span class="bin {"c" if hits else "u"}" title="{_e(hits)} hits">{_e(value)}</span>'
            for value, hits in p.get("bins", [])
        )
        rows.append(f"<tr><td><code>{_e(name)}</code></td><td class=\"num\">{p['hit']}/{p['total']}</td>"
                    f"<td>{bins}</td></tr>")
    return (f"<h3>Functional coverage {functional['ratio']:.1%}</h3><details open><summary>bins per point "
            f"({functional['covered']}/{functional['total']} hit)</summary><table class=\"list\"><th>point</th>"
            f"<th>hit</th><th>bins (green: hit, red: never)</th>{''.join(rows)}</table></details>")


def _mutation_section(mutation: Mapping[str, Any] | None) -> str:
    """Mutation score of the kept testbench and its surviving mutants with their diffs."""
    if not mutation:
        return ""
    if mutation.get("error"):
        return f'<p class="note">Mutation testing not done: {_e(mutation["error"])}</p>'
    kinds = ", ".join(f"{_e(k)} {v['killed']}/{v['run']}" for k, v in sorted(mutation.get("by_kind", {}).items()))
    head = (f"<h3>Mutation score {mutation['score']:.1%}</h3><p class=\"facts\">{mutation['killed']} of "
            f"{mutation['run']} mutants killed ({mutation['mutants']} generated, one build"
            + (f"; {mutation['unbuilt']} in generate branches not built, left out" if mutation.get("unbuilt") else "")
            + f"); by kind: {kinds}</p>")
    rows = []
    for s in mutation.get("survivors", []):
        reached = {None: "", True: "reached", False: "never reached"}[s.get("reached")]
        rows.append(f'<tr><td><code>{_e(_display_path(s["file"]))}:{s["line"]}</code></td><td>{_e(s["kind"])}</td>'
                    f'<td>{reached}</td><td><pre>{_e(s["diff"])}</pre></td></tr>')
    table = ""
    if rows:
        table = (f'<details><summary>surviving mutants ({len(rows)})</summary><table class="list"><th>where</th>'
                 f'<th>kind</th><th>line</th><th>diff</th>{"".join(rows)}</table></details>')
    return head + table


def _design_section(item: ItemResult, data: dict[str, Any] | None, png: bytes | None) -> str:
    anchor = _anchor(item)
    badge = '<span class="badge pass">PASS</span>' if item.passed else '<span class="badge fail">FAIL</span>'
    parts = [f'<section id="{anchor}" class="design"><h2>{_e(item.design)}::{_e(_label(item))} {badge}</h2>']
    facts = [f"score <b>{item.score:.1%}</b> (target {item.target:.0%})", f"{item.steps} steps, {item.stopped}",
             f"best testbench: {item.outcome}", f"policy {item.policy}", f"seed {item.seed}"]
    if item.raw_score is not None and abs(item.raw_score - item.score) > 1e-9:
        facts.insert(1, f"raw {item.raw_score:.1%} (proven-unreachable points kept)")
    if item.configuration:
        facts.insert(1, "parameters " + ", ".join(f"{k} = {v}" for k, v in item.parameters.items()))
    parts.append(f'<p class="facts">{" &middot; ".join(facts)}</p>')
    if item.error:
        parts.append(f'<p class="note">{_e(item.error)}</p>')
    if item.note:
        parts.append(f'<p class="note">{_e(item.note)}</p>')
    rows = points_from_data(data) if data else []
    img = (f'<img alt="coverage over the agent\'s steps" src="data:image/png;base64,'
           f'{base64.b64encode(png).decode()}">') if png else ""
    parts.append(f'<div class="design-head"><div>{_metrics_table(item, rows)}</div>{img}</div>')
    if data is None:
        parts.append('<p class="note">No per-point coverage was kept for this item (no testbench was written); '
                     "the uncovered points below come from report.json.</p>")
        parts.append(_point_list("uncovered points", item.uncovered, open_=True))
    else:
        sources: Mapping[str, str] = data.get("sources", {})
        metrics = sort_metrics(p.metric for p, _ in rows)
        if any(p.metric == "branch" and p.span for p, _ in rows) and "line" not in metrics:
            metrics.insert(0, "line")
        suspects = data.get("suspects", item.suspects)
        parts.append(
            '<p class="legend"><span class="c">covered</span><span class="p">partially covered</span>'
            '<span class="u">uncovered</span><span class="w">waived</span>'
            '<b style="color:#8250df">?</b> possibly unreachable (review) &middot; '
            "line: hits; other metrics: points covered/total (hover for each point)</p>"
        )
        for file in sorted({p.file for p, _ in rows}):
            frows = [(p, r) for p, r in rows if p.file == file]
            flags = {int(s["line"]): s.get("why", "") for s in suspects if s.get("file") == file}
            parts.append(f"<h3>{_e(_display_path(file))}</h3>")
            parts.append(_annotated_file(file, sources.get(file, ""), frows, metrics, flags, anchor))
        toggles = _toggle_table(rows)
        if toggles:
            parts.append("<h3>Toggle coverage per signal</h3>" + toggles)
        parts.append(_point_list("uncovered points", item.uncovered))
        parts.append(_point_list("possibly unreachable, for review (not waived)", suspects, "why", open_=True))
    parts.append(_point_list("waived points", item.waived, "reason"))
    parts.append(_functional_section(item.functional))
    parts.append(_mutation_section(item.mutation))
    if item.unused_waivers:
        listed = ", ".join(f"{_e(w.get('file') or w.get('hierarchy'))} ({_e(w.get('reason', ''))})"
                           for w in item.unused_waivers)
        parts.append(f'<p class="note">Waivers that matched no point: {listed}</p>')
    if item.testbench:
        try:
            tb = Path(item.testbench).read_text(errors="replace")
        except OSError:
            tb = None
        if tb is not None:
            parts.append(f"<details class=\"testbench\"><summary>final testbench: {_e(_display_path(item.testbench))}"
                         f'</summary><pre class="tb">{_e(tb)}</pre></details>')
    parts.append("</section>")
    return "".join(parts)


def _configurations_section(item: ItemResult) -> str:
    """A design's parameter sets: one row per configuration and the merged row (covered by any of them)."""
    merged = item.merged
    metrics = sort_metrics([*(m for c in item.configurations for m in c["metrics"]),
                            *(merged or {}).get("metrics", {})])

    def row(label: str, params: str, figures: Mapping[str, Any], score: float, raw: float | None, result: str) -> str:
        cells = "".join(
            f'<td class="num pct {_pct_class(figures[m]["ratio"])}">{figures[m]["ratio"]:.1%}</td>'
            if m in figures else '<td class="num">-</td>' for m in metrics
        )
        raw_text = f"{raw:.1%}" if raw is not None else ""
        return (f"<tr><td>{label}</td><td><code>{_e(params)}</code></td>{cells}"
                f'<td class="num pct {_pct_class(score)}"><b>{score:.1%}</b></td><td class="num">{raw_text}</td>'
                f"<td>{result}</td></tr>")

    rows = []
    for c in item.configurations:
        params = ", ".join(f"{k} = {v}" for k, v in c["parameters"].items())
        badge = '<span class="badge pass">PASS</span>' if c["passed"] else '<span class="badge fail">FAIL</span>'
        rows.append(row(_e(c["name"]), params, c["metrics"], c["score"], c.get("raw_score"), badge))
    if merged is not None:
        verdict = "meets" if merged["met_target"] else "below"
        rows.append(row("<b>merged</b>", f"covered by any of {', '.join(merged['from'])}", merged["metrics"],
                        merged["score"], merged["raw_score"], f"{verdict} target {merged['target']:.0%}"))
    head = "".join(f'<th class="num">{_e(m)}</th>' for m in metrics)
    parts = [
        f'<section class="configurations" id="c-{re.sub(r"[^A-Za-z0-9_-]", "-", f"{item.design}-{item.top}")}"><h2>{_e(item.design)}::{_e(item.top)}: '
        f"{len(item.configurations)} parameter sets</h2>",
        f'<table class="summary configurations"><thead><tr><th>configuration</th><th>parameters</th>{head}'
        '<th class="num">score</th><th class="num">raw</th><th>result</th></tr></thead><tbody>'
        + "".join(rows) + "</tbody></table>",
    ]
    if merged is not None:
        parts.append(_point_list("covered by no configuration", merged["uncovered"]))
        parts.append(_point_list("covered by no configuration and reading only parameters (review)",
                                 merged["suspects"], "why", open_=True))
    parts.append("</section>")
    return "".join(parts)


def render_html(
    items: Sequence[ItemResult],
    datas: Mapping[tuple[str, str, str | None], dict[str, Any] | None],
    plots: Mapping[tuple[str, str, str | None], bytes | None],
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The page's text; ``datas`` and ``plots`` are keyed by (design, top, configuration or None)."""
    from pytest_llm4cov.report import totals

    items = sorted(items, key=lambda i: (i.design, i.top, i.configuration or ""))
    extra = extra or {}
    t = totals(items)
    metrics = sort_metrics(m for i in items for m in i.metrics)
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    meta = [f"generated {when}", f"pytest-llm4cov {__version__}"]
    meta += [f"{k} {extra[k]}" for k in ("policy", "seed") if extra.get(k) is not None]
    passed = sum(i.passed for i in items)
    body = [
        "<h1>Coverage closure report</h1>",
        f'<p class="meta">{" &middot; ".join(_e(m) for m in meta)}</p>',
        '<div class="totals">'
        f"<div>designs<b>{t['designs']}</b></div>"
        f"<div>pass rate<b>{t['pass_rate']:.1%}</b>{passed}/{len(items)} met target</div>"
        f"<div>average coverage<b>{t['average_coverage']:.1%}</b></div>"
        f"<div>waived points<b>{sum(len(i.waived) for i in items)}</b></div>"
        f"<div>for review<b>{sum(len(i.suspects) for i in items)}</b></div>{_mutation_total(items)}</div>",
        _summary_table(items, metrics),
    ]
    for n, i in enumerate(items):
        if i.configurations and (n == 0 or (items[n - 1].design, items[n - 1].top) != (i.design, i.top)):
            body.append(_configurations_section(i))
        body.append(_design_section(i, datas.get(_key(i)), plots.get(_key(i))))
    template = Template(resources.files("pytest_llm4cov").joinpath("templates/report.html").read_text())
    return template.substitute(title="llm4cov coverage report", version=_e(__version__), body="\n".join(body))


def _mutation_total(items: Sequence[ItemResult]) -> str:
    from pytest_llm4cov.mutation import mutation_totals

    t = mutation_totals([i.mutation for i in items])
    return "" if t is None else f"<div>mutation score<b>{t['score']:.1%}</b>{t['killed']}/{t['run']} killed</div>"


def write_html(
    out: Path,
    items: Sequence[ItemResult],
    datas: Mapping[tuple[str, str, str | None], dict[str, Any] | None],
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Draw the curves (saved beside each item's artifacts) and write ``out/report.html``."""
    plots: dict[tuple[str, str, str | None], bytes | None] = {}
    for i in items:
        png = plot_curve(i)
        plots[_key(i)] = png
        folder = item_dir(out, i.design, i.top, i.configuration)
        if png is not None and folder.is_dir():
            tmp = folder / f".{CURVE_PNG}.tmp"
            tmp.write_bytes(png)
            tmp.replace(folder / CURVE_PNG)
    path = out / "report.html"
    write_atomic(path, render_html(items, datas, plots, extra))
    return path
