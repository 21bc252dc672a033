#!/usr/bin/env python
"""Where BM25Index.top spends its time.

    .venv/bin/python benchmarks/profile_top.py --size 100k --queries 1000 [--cprofile] [--delta 0.02]

Builds the same token corpus as bench.py (same seed), builds + saves + loads a BM25Index (memory-mapped,
as the bot runs it), then:
  1. cProfile of index.top over the queries (function level: numpy ops are the leaves),
  2. a phase breakdown: the steps of BM25Index.top's numpy path on the base segment, timed,
     over all rows as one block (top itself scores blocks of scoring.BLOCK_ROWS rows, same steps),
  3. with --delta F: the same queries after a share F of the passages was removed and re-added through
     `with_changes` (base + delta + deletions).
Each posting holds a (tf, length) pair code (retrieval/bm25/pairs.py), so a query is: scatter-add
idf x the pairs' tf parts of the query terms' postings (rank-bm25's floats), collect the touched rows,
select the k best.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks import bench  # noqa: E402
from retrieval.bm25 import BM25Index  # noqa: E402

PHASES = ("lookup", "scatter", "mark", "candidates", "gather+reset", "select")


def top_phased(index: BM25Index, query_tokens, k: int, t: dict, acc: np.ndarray, mark: np.ndarray) -> None:
    """BM25Index.top's work on a pristine base, step by step, adding each step's seconds into t."""
    c = time.perf_counter
    seg = index.base
    t0 = c()
    slices = [(tid, int(seg.indptr[tid]), int(seg.indptr[tid + 1])) for term in query_tokens
              if (tid := seg.vocab.get(term)) is not None]
    t1 = c()
    t["lookup"] += t1 - t0
    if not slices:
        return
    parts, idf = index.live.parts_base, index.live.idf_base
    for tid, lo, hi in slices:
        acc[seg.postings[lo:hi]] += idf[tid] * parts[seg.codes[lo:hi]]
    t2 = c()
    t["scatter"] += t2 - t1
    for _, lo, hi in slices:
        mark[seg.postings[lo:hi]] = True
    t3 = c()
    t["mark"] += t3 - t2
    rows = np.flatnonzero(mark)
    t4 = c()
    t["candidates"] += t4 - t3
    scores = acc[rows]
    acc[rows] = 0.0
    mark[rows] = False
    t5 = c()
    t["gather+reset"] += t5 - t4
    part = np.argpartition(-scores, k - 1)[:k] if len(rows) > k else np.arange(len(rows))
    part[np.lexsort((rows[part], -scores[part]))]
    t["select"] += c() - t5


def timed(fn, queries, k) -> np.ndarray:
    lat = np.zeros(len(queries))
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        fn(q, k)
        lat[i] = time.perf_counter() - t0
    return lat


def line(name: str, lat: np.ndarray, kinds: np.ndarray) -> str:
    return (f"  {name:<22} p50 {np.percentile(lat, 50) * 1e3:7.3f} ms  p99 {np.percentile(lat, 99) * 1e3:7.2f} ms  "
            f"{len(lat) / lat.sum():7.0f} qps   SciFact p50 {np.percentile(lat[kinds == 'scifact'], 50) * 1e3:.3f} ms"
            f"  Zipf p50 {np.percentile(lat[kinds == 'zipf'], 50) * 1e3:.3f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="100k")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--k", type=int, default=bench.TOP_K)
    ap.add_argument("--cprofile", action="store_true", help="also print a cProfile of index.top")
    ap.add_argument("--delta", type=float, default=0.0, help="share of passages to re-add through a delta")
    args = ap.parse_args()
    size = bench.parse_size(args.size)
    with tempfile.TemporaryDirectory(prefix="bm25prof-") as tmp:
        tmp = Path(tmp)
        scifact = bench.find_scifact()
        real, doc_ids, _ = bench.tokenize_real(scifact, size, progress=False)
        meta = bench.build_token_corpus(tmp / "corpus", size, real, doc_ids, bench.real_queries(scifact),
                                        args.queries, progress=False)
        del real
        corpus = bench.TokenCorpus(tmp / "corpus")
        docs = corpus.token_lists()
        t0 = time.perf_counter()
        BM25Index.build(((f"p{i}#0", "s", d) for i, d in enumerate(docs)), k1=bench.K1, b=bench.B,
                        epsilon=bench.EPSILON).save(tmp / "index")
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        index = BM25Index.load(tmp / "index")
        load_s = time.perf_counter() - t0
        queries = [q["tokens"] for q in corpus.queries()]
        kinds = np.array([q["kind"] for q in corpus.queries()])
        k = args.k
        seg = index.base
        print(f"{bench.size_label(size)}: {meta['passages']:,} passages, {meta['tokens']:,} tokens, "
              f"{len(queries)} queries, top-{k}; build+save {build_s:.2f} s, load {load_s * 1e3:.0f} ms")
        post = np.array([sum(int(seg.df[seg.vocab[t]]) for t in q if t in seg.vocab) for q in queries])
        print(f"postings touched per query: p50 {np.percentile(post, 50):,.0f}, p99 {np.percentile(post, 99):,.0f}, "
              f"max {post.max():,} (SciFact p50 {np.percentile(post[kinds == 'scifact'], 50):,.0f}, "
              f"Zipf p50 {np.percentile(post[kinds == 'zipf'], 50):,.0f})")
        for q in queries[:10]:
            index.top(q, k)
        if args.cprofile:
            pr = cProfile.Profile()
            pr.enable()
            for q in queries:
                index.top(q, k)
            pr.disable()
            s = io.StringIO()
            pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(14)
            print("\n".join(s.getvalue().splitlines()[:40]))

        t = dict.fromkeys(PHASES, 0.0)
        acc, mark = np.zeros(len(seg)), np.zeros(len(seg), dtype=bool)
        t0 = time.perf_counter()
        for q in queries:
            top_phased(index, q, k, t, acc, mark)
        total = time.perf_counter() - t0
        print("\nphase breakdown of the base segment's scoring (sum over all queries):")
        for name in PHASES:
            print(f"  {name:<13} {t[name] * 1e3:9.1f} ms  {t[name] / total:6.1%}")
        print(f"  {'total':<13} {total * 1e3:9.1f} ms  ({total / len(queries) * 1e3:.3f} ms/query)")
        print()
        print(line("BM25Index.top", timed(index.top, queries, k), kinds))
        print(line("top, 2 of 4 scopes", timed(lambda q, k: index.top(q, k, ["s", "x"]), queries, k), kinds))
        if args.delta:
            n = int(len(index) * args.delta)
            rows = list(seg.bags(range(n)))
            t0 = time.perf_counter()
            changed = index.with_changes(remove_docs=[f"p{i}" for i in range(n)], add=rows)
            print(f"\nre-added {n:,} passages through a delta in {time.perf_counter() - t0:.2f} s: {changed.stats}")
            print(line("top with a delta", timed(changed.top, queries, k), kinds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
