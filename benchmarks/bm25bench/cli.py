"""The command line (benchmarks/bench.py): the options, then the engines or Corpus end to end, then the report."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import __doc__ as PACKAGE_DOC
from .config import ENGINES, SEED, TOP_K
from .corpus_gen import parse_size
from .machine import machine_info
from .report import render_e2e, render_tables, strip_rows
from .run import run_benchmark, run_e2e, worker_main


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=PACKAGE_DOC.split("\n")[0])
    ap.add_argument("--sizes", default="10k,100k,1m", help="comma-separated corpus sizes, e.g. 10k,100k,1m")
    ap.add_argument("--queries", type=int, default=1000, help="number of queries (half SciFact, half Zipf)")
    ap.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset of " + ",".join(ENGINES))
    ap.add_argument("--json", dest="json_out", help="write all figures to this JSON file")
    ap.add_argument("--markdown", action="store_true", help="print the tables as a Markdown block for BENCHMARKS.md")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--k", type=int, default=TOP_K)
    ap.add_argument("--budget", type=float, default=300.0,
                    help="seconds of queries an engine may take per size before it is skipped (rank-bm25 scans all)")
    ap.add_argument("--chunking", choices=("sentences", "passages"), default="sentences")
    ap.add_argument("--workdir", help="where the token corpora and indexes go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the token corpora and workdir")
    ap.add_argument("--reuse", action="store_true", help="with --e2e and --workdir: reuse the database built by "
                    "an earlier run (only the serve phase runs again)")
    ap.add_argument("--e2e", metavar="SIZE", help="instead of the engines: Corpus end to end at SIZE (a real SQLite "
                    "database via ingest_records; ask p50/p99, load, one-document add until searchable)")
    ap.add_argument("--no-progress", action="store_true")
    ap.add_argument("--no-parity", action="store_true", help="skip the rank-bm25 parity check on the smallest size")
    ap.add_argument("--no-isolate", action="store_true", help="run every phase in this process (RSS then overlaps)")
    # internal: one phase of one engine in a fresh process
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--index-dir", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker_main(args)
        return 0
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        ap.error(f"unknown engines: {', '.join(sorted(unknown))}")
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    log = (lambda *a: print(*a, file=sys.stderr, flush=True))
    if args.e2e:
        e2e = run_e2e(parse_size(args.e2e), args.queries, seed=args.seed, keep=args.keep or args.reuse,
                      isolate=not args.no_isolate, reuse=args.reuse,
                      workdir=Path(args.workdir) if args.workdir else None, progress=not args.no_progress, log=log)
        print(render_e2e(e2e, markdown=args.markdown))
        if args.json_out:
            Path(args.json_out).write_text(json.dumps({"machine": machine_info(), "e2e": e2e}, indent=1), encoding="utf-8")
        return 0
    t0 = time.perf_counter()
    results = run_benchmark(sizes, args.queries, engines, seed=args.seed, k=args.k, budget_s=args.budget,
                            isolate=not args.no_isolate, workdir=Path(args.workdir) if args.workdir else None,
                            chunking=args.chunking, keep=args.keep, progress=not args.no_progress, log=log,
                            parity=not args.no_parity)
    results["wall_s"] = time.perf_counter() - t0
    text = render_tables(results, markdown=args.markdown)
    print(text)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(strip_rows(results), indent=1), encoding="utf-8")
    return 0
