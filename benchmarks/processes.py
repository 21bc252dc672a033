#!/usr/bin/env python
"""Asks per second with 1, 2 and 4 processes over one PostgreSQL store (issue 14), on one machine: SciFact's
5,183 abstracts are loaded once, then N processes (each its own Corpus, index and connections, as shard
processes are) answer SciFact's questions for a fixed time, started together. The anchor, in the same run,
is one process over the embedded SQLite file.

    .venv/bin/python benchmarks/processes.py                      # 3 runs of 10 s each
    .venv/bin/python benchmarks/processes.py --runs 5 --seconds 20

Printed per setting: total asks/s (range over runs), the ratio of its median to the anchor's, and the p99
latency of one ask. The machine has 2 cores: more processes than cores share them. Run on demand, never in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
SCIFACT = ROOT.parent / "shared" / "eval" / "data" / "scifact"

ASKER = """
import json, sys, time
from pathlib import Path
from retrieval.config import Settings
from retrieval.corpus import Corpus
if __name__ == "__main__":
    target, index, start_at, seconds = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    questions = [json.loads(l)["text"] for l in Path(sys.argv[5]).read_text().splitlines() if l.strip()]
    settings = Settings(db_path=index / "x.db", corpus_dir=index / "none", index_path=index / "index")
    settings = settings.with_(db_url=target) if target.startswith("postgresql") else settings.with_(db_path=Path(target))
    corpus = Corpus(settings, seed=False)
    corpus.ask(questions[0])  # the first question loads the kernel: not timed
    while time.time() < start_at:
        time.sleep(0.005)
    latencies, n = [], 0
    while time.time() < start_at + seconds:
        t = time.perf_counter()
        corpus.ask(questions[n % len(questions)])
        latencies.append(time.perf_counter() - t)
        n += 1
    corpus.close()
    print(json.dumps({"asks": n, "latencies": latencies}))
"""


def load(target_settings, records) -> None:
    from retrieval.corpus import Corpus

    corpus = Corpus(target_settings, seed=False)
    corpus.ingest_records(records)
    corpus.close()


def scifact_records() -> list[tuple[str, str, str]]:
    rows = [json.loads(line) for line in (SCIFACT / "corpus.jsonl").read_text().splitlines() if line.strip()]
    return [(f"sf{r['_id']}", r.get("title") or r["_id"], r["text"]) for r in rows]


def measure(target: str, processes: int, seconds: float, folder: Path) -> tuple[float, float]:
    start_at = time.time() + 10 + 4 * processes  # every process loads its index first
    procs = [subprocess.Popen([sys.executable, "-c", ASKER, target, str(folder / f"p{i}"), str(start_at), str(seconds),
                               str(SCIFACT / "queries.jsonl")], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}) for i in range(processes)]
    results = [json.loads(p.communicate()[0]) for p in procs]
    asks = sum(r["asks"] for r in results)
    latencies = sorted(x for r in results for x in r["latencies"])
    return asks / seconds, latencies[int(0.99 * (len(latencies) - 1))] * 1000


def main() -> None:
    from pg_server import PostgresServer
    from retrieval.config import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--processes", default="1,2,4")
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    records = scifact_records()
    with tempfile.TemporaryDirectory() as tmp, PostgresServer() as server:
        folder = Path(tmp)
        dsn = server.create_database("bench")
        load(Settings(db_url=dsn, db_path=folder / "pg.db", corpus_dir=folder / "none"), records)
        sqlite = folder / "anchor.db"
        load(Settings(db_path=sqlite, corpus_dir=folder / "none"), records)
        table: dict[str, list[tuple[float, float]]] = {"sqlite x1 (anchor)": []}
        for n in counts:
            table[f"postgresql x{n}"] = []
        for run in range(args.runs):
            table["sqlite x1 (anchor)"].append(measure(str(sqlite), 1, args.seconds, folder / f"a{run}"))
            for n in counts:
                table[f"postgresql x{n}"].append(measure(dsn, n, args.seconds, folder / f"r{run}-{n}"))
    anchor = statistics.median(q for q, _ in table["sqlite x1 (anchor)"])
    print(f"{len(records)} SciFact abstracts; {args.runs} runs of {args.seconds:.0f} s; {os.cpu_count()} cores")
    for name, rows in table.items():
        qps = [q for q, _ in rows]
        p99 = [p for _, p in rows]
        print(f"{name:>20}: {min(qps):7.1f}-{max(qps):7.1f} asks/s  x{statistics.median(qps) / anchor:4.2f}  "
              f"p99 {min(p99):6.1f}-{max(p99):6.1f} ms")


if __name__ == "__main__":
    main()
