#!/usr/bin/env python
"""Where BM25Index.top spends its time, and what an exact faster `top` would gain.

    .venv/bin/python benchmarks/profile_top.py --size 100k --queries 1000 [--cprofile]

Builds the same token corpus as bench.py (same seed), builds + saves + loads a BM25Index (memory-mapped,
as the bot runs it), then:
  1. cProfile of index.top over the queries (function level: numpy ops are the leaves),
  2. a phase breakdown: a line-for-line copy of BM25Index.top with a timer around each step,
  3. the one-line fix (np.unique -> sort + mask) and `FastTop`, a proposal for BM25Index.top that keeps rank-bm25's exact scores, checked to return
     bit-identical rows and scores for every query, and timed against the current top.
Nothing here changes retrieval/; FastTop is only a sketch of the change suggested for index.py.
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
from retrieval.index import BM25Index, ScoredRow  # noqa: E402

PHASES = ("lookup", "alloc", "score", "scatter", "candidates", "select", "results")


def top_phased(index: BM25Index, query_tokens, k: int, t: dict) -> list[ScoredRow]:
    """BM25Index.top (no scopes), step by step, adding each step's seconds into t."""
    c = time.perf_counter
    t0 = c()
    slices = []
    for term in query_tokens:
        tid = index.vocab.get(term)
        if tid is not None:
            slices.append((tid, int(index.indptr[tid]), int(index.indptr[tid + 1])))
    t1 = c()
    t["lookup"] += t1 - t0
    if not slices or k <= 0:
        return []
    acc = np.zeros(len(index))
    t2 = c()
    t["alloc"] += t2 - t1
    for tid, lo, hi in slices:
        ta = c()
        rows, tf = index.postings[lo:hi], index.tfs[lo:hi]
        contrib = index.idf[tid] * (tf * (index.k1 + 1) / (tf + index._norm[rows]))
        tb = c()
        acc[rows] += contrib
        tc = c()
        t["score"] += tb - ta
        t["scatter"] += tc - tb
    t3 = c()
    candidates = np.unique(np.concatenate([index.postings[lo:hi] for _, lo, hi in slices]))
    scores = acc[candidates]
    t4 = c()
    t["candidates"] += t4 - t3
    if len(candidates) > k:
        part = np.argpartition(-scores, k - 1)[:k]
    else:
        part = np.arange(len(candidates))
    order = part[np.lexsort((candidates[part], -scores[part]))]
    t5 = c()
    t["select"] += t5 - t4
    out = [ScoredRow(int(candidates[i]), float(scores[i])) for i in order]
    t["results"] += c() - t5
    return out


def top_sorted_unique(index: BM25Index, query_tokens, k: int, scopes=None) -> list[ScoredRow]:
    """The one-line fix: BM25Index.top with np.unique(concatenate(...)) replaced by sort + neighbour
    mask. numpy >= 2.3 routes np.unique of integers through a hash table that is ~50x slower than
    np.sort on these arrays (hundreds of thousands of row ids); the result is the same sorted array."""
    slices = []
    for term in query_tokens:
        tid = index.vocab.get(term)
        if tid is not None:
            slices.append((tid, int(index.indptr[tid]), int(index.indptr[tid + 1])))
    if not slices or k <= 0:
        return []
    acc = np.zeros(len(index))
    for tid, lo, hi in slices:
        rows, tf = index.postings[lo:hi], index.tfs[lo:hi]
        acc[rows] += index.idf[tid] * (tf * (index.k1 + 1) / (tf + index._norm[rows]))
    candidates = np.sort(np.concatenate([index.postings[lo:hi] for _, lo, hi in slices]))
    if len(slices) > 1:
        keep = np.empty(len(candidates), dtype=bool)
        keep[0] = True
        np.not_equal(candidates[1:], candidates[:-1], out=keep[1:])
        candidates = candidates[keep]
    if scopes is not None:
        wanted = set(scopes)
        allowed = [i for i, name in enumerate(index.scopes) if name in wanted]
        candidates = candidates[np.isin(index.scope_ids[candidates], allowed)]
    scores = acc[candidates]
    if len(candidates) > k:
        part = np.argpartition(-scores, k - 1)[:k]
    else:
        part = np.arange(len(candidates))
    order = part[np.lexsort((candidates[part], -scores[part]))]
    return [ScoredRow(int(candidates[i]), float(scores[i])) for i in order]


class FastTop:
    """An exact, leaner BM25Index.top (proposal).

    - weights[p] = idf[t] * (tf*(k1+1) / (tf + norm[row])) precomputed once per snapshot (at build, saved
      as one float64 .npy replacing tfs): the same IEEE operations in the same order as rank-bm25, so every
      per-posting contribution is bit-identical, and a query no longer gathers norm[rows] nor does 4
      arithmetic passes per posting;
    - one scratch accumulator (and a bool mark) reused across queries and cleared only where touched,
      instead of np.zeros(N) per query (8 MB of fresh zero pages per query at 1M passages);
    - candidates from the mark (np.flatnonzero) when the postings are many, np.unique when they are few:
      both give the sorted rows np.unique gave, so the final ranking is identical;
    - plain ndarray views of the memory-mapped arrays (np.memmap slicing has per-slice overhead);
    - scope filter through a bool lookup table over scope ids rather than np.isin.
    Not thread-safe as written (the scratch is shared): one per thread, or a lock, in the real thing.
    """

    def __init__(self, index: BM25Index) -> None:
        self.index = index
        self.indptr = np.asarray(index.indptr).view(np.ndarray)
        self.postings = np.asarray(index.postings).view(np.ndarray)
        tfs = np.asarray(index.tfs)
        idf_per_posting = np.repeat(np.asarray(index.idf), np.diff(self.indptr))
        self.weights = idf_per_posting * (tfs * (index.k1 + 1) / (tfs + index._norm[self.postings]))
        self.acc = np.zeros(len(index))
        self.mark = np.zeros(len(index), dtype=bool)
        self.scope_ids = np.asarray(index.scope_ids)

    def top(self, query_tokens, k: int, scopes=None) -> list[ScoredRow]:
        ix = self.index
        slices = []
        total = 0
        for term in query_tokens:
            tid = ix.vocab.get(term)
            if tid is not None:
                lo, hi = int(self.indptr[tid]), int(self.indptr[tid + 1])
                slices.append((lo, hi))
                total += hi - lo
        if not slices or k <= 0:
            return []
        acc, mark, postings, weights = self.acc, self.mark, self.postings, self.weights
        for lo, hi in slices:
            rows = postings[lo:hi]
            acc[rows] += weights[lo:hi]
        if total * 16 < len(acc):  # few postings: sorting them beats scanning N flags
            candidates = np.unique(np.concatenate([postings[lo:hi] for lo, hi in slices]))
        else:
            for lo, hi in slices:
                mark[postings[lo:hi]] = True
            candidates = np.flatnonzero(mark)
            mark[candidates] = False
        scores = acc[candidates]
        acc[candidates] = 0.0
        if scopes is not None:
            wanted = set(scopes)
            allowed = np.zeros(len(ix.scopes) + 1, dtype=bool)
            allowed[[i for i, name in enumerate(ix.scopes) if name in wanted]] = True
            keep = allowed[self.scope_ids[candidates]]
            candidates, scores = candidates[keep], scores[keep]
        if len(candidates) > k:
            part = np.argpartition(-scores, k - 1)[:k]
        else:
            part = np.arange(len(candidates))
        order = part[np.lexsort((candidates[part], -scores[part]))]
        return [ScoredRow(int(candidates[i]), float(scores[i])) for i in order]


def timed(fn, queries, k) -> tuple[np.ndarray, list]:
    lat = np.zeros(len(queries))
    out = []
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        out.append(fn(q, k))
        lat[i] = time.perf_counter() - t0
    return lat, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="100k")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--k", type=int, default=bench.TOP_K)
    ap.add_argument("--cprofile", action="store_true", help="also print a cProfile of index.top")
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
        BM25Index.build(((f"p{i}", "s", d) for i, d in enumerate(docs)), k1=bench.K1, b=bench.B,
                        epsilon=bench.EPSILON).save(tmp / "index")
        del docs
        index = BM25Index.load(tmp / "index")
        queries = [q["tokens"] for q in corpus.queries()]
        kinds = np.array([q["kind"] for q in corpus.queries()])
        k = args.k
        print(f"{bench.size_label(size)}: {meta['passages']:,} passages, {meta['tokens']:,} tokens, "
              f"{len(queries)} queries, top-{k}")
        post = np.array([sum(int(index.indptr[index.vocab[t] + 1] - index.indptr[index.vocab[t]])
                             for t in q if t in index.vocab) for q in queries])
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
        t0 = time.perf_counter()
        for q in queries:
            top_phased(index, q, k, t)
        total = time.perf_counter() - t0
        print("\nphase breakdown of BM25Index.top (sum over all queries):")
        for name in PHASES:
            print(f"  {name:<11} {t[name] * 1e3:9.1f} ms  {t[name] / total:6.1%}")
        print(f"  {'total':<11} {total * 1e3:9.1f} ms  ({total / len(queries) * 1e3:.3f} ms/query)")

        t0 = time.perf_counter()
        fast = FastTop(index)
        prep = time.perf_counter() - t0
        for q in queries[:10]:
            fast.top(q, k)
        lat_cur, out_cur = timed(index.top, queries, k)
        lat_min, out_min = timed(lambda q, k: top_sorted_unique(index, q, k), queries, k)
        lat_fast, out_fast = timed(fast.top, queries, k)

        def same(outs):
            return all([(r.row, r.score) for r in a] == [(r.row, r.score) for r in b] for a, b in zip(out_cur, outs))
        scoped_same = all(
            [(r.row, r.score) for r in index.top(q, k, bench.SCOPES[:2])]
            == [(r.row, r.score) for r in fast.top(q, k, bench.SCOPES[:2])]
            == [(r.row, r.score) for r in top_sorted_unique(index, q, k, bench.SCOPES[:2])] for q in queries[:200])
        print(f"\nidentical rows and scores to BM25Index.top on every query: sort+mask {same(out_min)}, "
              f"FastTop {same(out_fast)}; with scopes (200 queries): {scoped_same}")
        print(f"FastTop weights precomputed in {prep:.2f} s: {fast.weights.nbytes / 1e6:.0f} MB float64, replacing "
              f"tfs ({np.asarray(index.tfs).nbytes / 1e6:.0f} MB float64)")
        for name, lat in (("current top", lat_cur), ("sort+mask", lat_min), ("FastTop", lat_fast)):
            print(f"  {name:<12} p50 {np.percentile(lat, 50) * 1e3:7.3f} ms  p99 {np.percentile(lat, 99) * 1e3:7.2f} ms  "
                  f"{len(lat) / lat.sum():7.0f} qps   SciFact p50 {np.percentile(lat[kinds == 'scifact'], 50) * 1e3:.3f} ms"
                  f"  Zipf p50 {np.percentile(lat[kinds == 'zipf'], 50) * 1e3:.3f} ms"
                  f"   speed-up {lat_cur.sum() / lat.sum():5.2f}x qps, p99 "
                  f"{np.percentile(lat_cur, 99) / np.percentile(lat, 99):5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
