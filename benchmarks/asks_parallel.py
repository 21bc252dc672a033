#!/usr/bin/env python
"""Asks per second and p99 with 1, 2, 4 and 8 questions in flight (issue 15), answered in the bot's own
process (threads: the GIL serialises the Python answer layer) and by RETRIEVAL_ASK_WORKERS processes. The
questions are SciFact's; the database is SciFact's 5,183 abstracts, loaded once, or one given with --db (a
bigger one, e.g. the 1M database `bench.py --e2e 1m --keep` builds). The anchor is 1 in flight in-process,
in the same run.

    .venv/bin/python benchmarks/asks_parallel.py                     # 3 runs of 8 s per setting
    .venv/bin/python benchmarks/asks_parallel.py --db /tmp/e2e1m/e2e.db --workers 2 --runs 5

Run on demand, never in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.processes import SCIFACT, scifact_records  # noqa: E402  the same abstracts, loaded the same way


def questions() -> list[str]:
    return [json.loads(line)["text"] for line in (SCIFACT / "queries.jsonl").read_text().splitlines() if line.strip()]


def measure(corpus, asked: list[str], in_flight: int, seconds: float) -> tuple[float, float]:
    """Asks/s and p99 ms with `in_flight` threads asking back to back for `seconds`."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def asker(offset: int) -> None:
        n, mine = offset, []
        while time.perf_counter() < stop_at:
            t = time.perf_counter()
            corpus.ask(asked[n % len(asked)])
            mine.append(time.perf_counter() - t)
            n += in_flight
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=asker, args=(i,)) for i in range(in_flight)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return len(latencies) / seconds, latencies[int(0.99 * (len(latencies) - 1))] * 1000


def main() -> None:
    from retrieval.config import Settings
    from retrieval.corpus import Corpus

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="an existing database (default: SciFact's abstracts, loaded now)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--in-flight", default="1,2,4,8")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    flights = [int(n) for n in args.in_flight.split(",")]
    asked = questions()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(db_path=args.db or Path(tmp) / "scifact.db", corpus_dir=Path(tmp) / "none")
        if args.db is None:
            loader = Corpus(settings, seed=False)
            loader.ingest_records(scifact_records())
            loader.close()
        setups = {"in-process": Corpus(settings, seed=False),
                  f"{args.workers} ask workers": Corpus(settings.with_(ask_workers=args.workers), seed=False)}
        for corpus in setups.values():
            for q in asked[:50]:  # every worker has opened its index and loaded its kernel
                corpus.ask(q)
        table: dict[str, list[tuple[float, float]]] = {}
        for _ in range(args.runs):
            for name, corpus in setups.items():
                for n in flights:
                    table.setdefault(f"{name}, {n} in flight", []).append(measure(corpus, asked, n, args.seconds))
        for corpus in setups.values():
            corpus.close()
    anchor = statistics.median(q for q, _ in table[f"in-process, {flights[0]} in flight"])
    print(f"{len(asked)} SciFact questions; {args.runs} runs of {args.seconds:.0f} s; {os.cpu_count()} cores; "
          f"database {args.db or 'SciFact abstracts'}")
    for name, rows in table.items():
        qps, p99 = [q for q, _ in rows], [p for _, p in rows]
        print(f"{name:>28}: {min(qps):7.1f}-{max(qps):7.1f} asks/s  x{statistics.median(qps) / anchor:4.2f}  "
              f"p99 {min(p99):6.1f}-{max(p99):6.1f} ms")


if __name__ == "__main__":
    main()
