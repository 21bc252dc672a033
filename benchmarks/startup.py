#!/usr/bin/env python
"""How long a console question takes from a fresh process: `python -m retrieval --db DB ask "..."`.

Run on demand, never in CI as a timing assertion:

    .venv/bin/python benchmarks/startup.py                      # 10 runs, the bundled corpus, a temp database
    .venv/bin/python benchmarks/startup.py --runs 20 --json startup.json

Method. One warm-up `ask` creates and seeds the database from the bundled corpus (not counted; the
anchors get one warm-up run too). Then, round after round, three fresh processes of this interpreter in a
rotating order: the `ask` itself and two anchors, `python -c "pass"` (the interpreter's own start) and
`python -c "import sqlite3"` (start plus a C-extension import), so a ratio against an anchor measured
in the same round holds when the shared machine's speed drifts. Each process is timed by wall clock,
and by the kernel's accounting of the finished child (os.wait4: user + sys CPU, peak RSS). Last, a few
more `ask` runs with `-X importtime` (not timed: it slows the imports down) give the imports with the
largest cumulative time, median over those runs.

Python's bytecode cache: with PYTHONDONTWRITEBYTECODE set (as in the Dockerfile), the project's own
modules, installed editable, are compiled from source on every start (a few tens of ms at most). The
header says which case was measured; --bytecode on|off forces one for the measured processes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "when did Cuba recognize South Korea?"
ANCHORS = {"python -c pass": ["-c", "pass"], "python -c 'import sqlite3'": ["-c", "import sqlite3"]}
ASK = "ask"
# Imports an `ask` on a small corpus should not need: numba is for big segments only, bm25s and scipy for
# benchmarks, the rest for other commands (ingest, eval) or file types. (rich prints the answer.)
WATCHED = ("numba", "llvmlite", "scipy", "bm25s", "tqdm", "ir_measures", "bs4", "soupsieve", "pypdf", "markdown_it",
           "charset_normalizer")


def _environ(bytecode: str) -> dict[str, str]:
    env = dict(os.environ)
    if bytecode == "on":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    elif bytecode == "off":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_once(argv: Sequence[str], env: dict[str, str]) -> dict:
    """One fresh process: wall seconds, user + sys CPU seconds and peak RSS (MiB) of the finished child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {err.read().decode(errors='replace')[-2000:]}")
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mib": peak, "stderr": stderr}


def _spread(values: Sequence[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def parse_importtime(stderr: str) -> list[tuple[str, int, int, int]]:
    """`-X importtime` lines -> (module, depth, self µs, cumulative µs), in the order Python printed them."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:"):].split("|", 2)
        module = name.rstrip()
        depth = (len(module) - len(module.lstrip(" ")) - 1) // 2  # one space, then two a nesting level
        rows.append((module.strip(), depth, int(self_us), int(cumulative_us)))
    return rows


def measure(runs: int = 10, question: str = QUESTION, db: Path | None = None, importtime_runs: int = 3,
            bytecode: str = "env", python: str = sys.executable,
            log: Callable[[str], None] = lambda message: print(message, file=sys.stderr)) -> dict:
    """Time `ask` and the anchors in fresh processes; the figures as a dict (see render)."""
    env = _environ(bytecode)
    workdir = None
    if db is None:
        workdir = Path(tempfile.mkdtemp(prefix="startup-bench-"))
        db = workdir / "corpus.db"
    commands = {ASK: [python, "-m", "retrieval", "--db", str(db), "ask", question]}
    commands.update({label: [python, *args] for label, args in ANCHORS.items()})
    try:
        log(f"warm-up: seeding {db} from the bundled corpus")
        started = time.perf_counter()
        run_once(commands[ASK], env)
        seed_s = time.perf_counter() - started
        for label in ANCHORS:
            run_once(commands[label], env)
        samples: dict[str, list[dict]] = {label: [] for label in commands}
        order = list(commands)
        for i in range(runs):
            log(f"round {i + 1}/{runs}")
            for label in order[i % len(order):] + order[: i % len(order)]:  # rotate who goes first
                samples[label].append(run_once(commands[label], env))
        imports: dict[str, list[int]] = {}
        depths: dict[str, int] = {}
        for _ in range(importtime_runs):
            result = run_once([python, "-X", "importtime", *commands[ASK][1:]], env)
            for module, depth, _self_us, cumulative_us in parse_importtime(result["stderr"]):
                imports.setdefault(module, []).append(cumulative_us)
                depths.setdefault(module, depth)
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)

    figures = {label: {key: _spread([s[key] for s in rows]) for key in ("wall_s", "cpu_s", "peak_mib")}
               for label, rows in samples.items()}
    ratios = {label: {key: _spread([a[key] / b[key] for a, b in zip(samples[ASK], samples[label])])
                      for key in ("wall_s", "cpu_s")} for label in ANCHORS}
    cumulative = {module: statistics.median(values) / 1e6 for module, values in imports.items()}
    top = sorted(cumulative.items(), key=lambda item: -item[1])
    return {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                    "bytecode_cache": "not written (PYTHONDONTWRITEBYTECODE)" if env.get("PYTHONDONTWRITEBYTECODE")
                    else "written and used"},
        "question": question, "runs": runs, "importtime_runs": importtime_runs, "seed_s": seed_s,
        "figures": figures, "ratios": ratios,
        "imports": [{"module": module, "depth": depths[module], "cumulative_s": seconds} for module, seconds in top],
        "watched_imported": sorted({module.split(".")[0] for module in cumulative} & set(WATCHED)),
    }


def render(result: dict, top: int = 20) -> str:
    m = result["machine"]
    lines = [f"Python {m['python']}, {m['platform']}, {m['cpus']} CPUs; bytecode cache {m['bytecode_cache']}",
             f"ask {result['question']!r}: {result['runs']} runs in fresh processes after one warm-up "
             f"(seeding took {result['seed_s']:.2f} s), interleaved with the anchors",
             "", f"{'':42}{'min':>9}{'median':>9}{'max':>9}"]
    for label, figures in result["figures"].items():
        for key, unit in (("wall_s", "wall s"), ("cpu_s", "cpu s"), ("peak_mib", "peak MiB")):
            f = figures[key]
            lines.append(f"{label + ' ' + unit:42}{f['min']:9.3f}{f['median']:9.3f}{f['max']:9.3f}")
    lines.append("")
    for label, ratios in result["ratios"].items():
        for key, unit in (("wall_s", "wall"), ("cpu_s", "cpu")):
            f = ratios[key]
            lines.append(f"{'ask / ' + label + ' ' + unit:42}{f['min']:9.1f}{f['median']:9.1f}{f['max']:9.1f}")
    lines += ["", f"Imports of `ask` by cumulative time (-X importtime, median of {result['importtime_runs']} runs; "
              "nested ones are counted in their parents too):"]
    for row in result["imports"][:top]:
        lines.append(f"  {row['cumulative_s'] * 1000:8.1f} ms  {'  ' * row['depth']}{row['module']}")
    watched = result["watched_imported"]
    lines.append(f"Imported although `ask` should not need them: {', '.join(watched) if watched else 'none'} "
                 f"(watched: {', '.join(WATCHED)})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each command (default 10)")
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--db", type=Path, help="database to use (created and seeded if missing); default: a temp one")
    parser.add_argument("--importtime-runs", type=int, default=3, help="runs under -X importtime (default 3)")
    parser.add_argument("--top", type=int, default=20, help="imports listed (default 20)")
    parser.add_argument("--bytecode", choices=("env", "on", "off"), default="env",
                        help="write/use .pyc files as the environment says (default), always, or never")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.importtime_runs < 1:
        parser.error("--runs and --importtime-runs must be at least 1")
    result = measure(args.runs, args.question, args.db, args.importtime_runs, args.bytecode)
    print(render(result, args.top))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
