#!/usr/bin/env python
"""Would bit-packed postings pay? (issue 15) A measurement, not the engine: the base segment of a saved index
re-encoded as tantivy and PISA keep postings (blocks of 128: rows as gaps and pair codes, each bit-packed at
its block's width), then the exhaustive kernel's accumulation over the questions' terms, from the plain
arrays (kernels._accumulate, as served) and from the packed blocks (each block unpacked into a buffer,
then the same loop), alternately, several passes. Checks that both sum to the same floats.

    .venv/bin/python benchmarks/bench.py --e2e 1m --workdir /tmp/e2e1m --keep     # once: a 1M index
    .venv/bin/python benchmarks/packed_postings.py /tmp/e2e1m/db-1m/corpus.db.index /tmp/e2e1m/corpus-1m/queries.json

Prints the sizes and the questions per second of both. Run on demand, never in CI.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402

from retrieval.bm25 import pairs  # noqa: E402
from retrieval.bm25.kernels import _accumulate  # noqa: E402

BLOCK = 128


@njit(cache=True)
def _width(x: int) -> int:
    n = 0
    while x > 0:
        n += 1
        x >>= 1
    return n


@njit(cache=True)
def _put(words, w: int, buf, filled: int, value: int, width: int):
    buf |= np.uint64(value) << np.uint64(filled)
    filled += width
    while filled >= 32:
        words[w] = np.uint32(buf & np.uint64(0xFFFFFFFF))
        w += 1
        buf >>= np.uint64(32)
        filled -= 32
    return w, buf, filled


@njit(cache=True)
def encode(indptr, postings, codes):
    """Per block: its first row, word offset and two widths; the stream: 127 gaps - 1, then 128 codes."""
    n_terms = indptr.shape[0] - 1
    block_ptr = np.zeros(n_terms + 1, np.int64)
    for t in range(n_terms):
        block_ptr[t + 1] = block_ptr[t] + (indptr[t + 1] - indptr[t] + BLOCK - 1) // BLOCK
    n_blocks = block_ptr[-1]
    first, offset = np.empty(n_blocks, np.int32), np.empty(n_blocks + 1, np.int64)
    widths = np.empty(2 * n_blocks, np.uint8)
    words = np.zeros(postings.shape[0] + 2 * n_blocks + 16, np.uint32)
    w = 0
    for t in range(n_terms):
        bk = block_ptr[t]
        for s in range(indptr[t], indptr[t + 1], BLOCK):
            e = min(s + BLOCK, indptr[t + 1])
            top_gap, top_code = 0, 0
            for p in range(s + 1, e):
                top_gap = max(top_gap, postings[p] - postings[p - 1] - 1)
            for p in range(s, e):
                top_code = max(top_code, int(codes[p]))
            wg, wc = _width(top_gap), _width(top_code)
            first[bk], widths[2 * bk], widths[2 * bk + 1], offset[bk] = postings[s], wg, wc, w
            buf, filled = np.uint64(0), 0
            for p in range(s + 1, e):
                w, buf, filled = _put(words, w, buf, filled, postings[p] - postings[p - 1] - 1, wg)
            for p in range(s, e):
                w, buf, filled = _put(words, w, buf, filled, int(codes[p]), wc)
            if filled > 0:
                words[w] = np.uint32(buf & np.uint64(0xFFFFFFFF))
                w += 1
            bk += 1
    offset[n_blocks] = w
    return block_ptr, first, offset, widths, words[: w + 2].copy()


@njit(cache=True, inline="always")
def _unpack(words, word: int, bit: int, n: int, width: int, out) -> int:
    """n values of `width` bits from bit `bit` after word `word` into out; returns the bit after them."""
    mask = (np.uint64(1) << np.uint64(width)) - np.uint64(1)
    k = word + (bit >> 5)
    buf = np.uint64(words[k]) >> np.uint64(bit & 31)
    have = 32 - (bit & 31)
    k += 1
    for i in range(n):
        if have < width:
            buf |= np.uint64(words[k]) << np.uint64(have)
            k += 1
            have += 32
        out[i] = buf & mask
        buf >>= np.uint64(width)
        have -= width
    return bit + n * width


@njit(cache=True)
def accumulate_packed(indptr, block_ptr, first, offset, widths, words, parts, term_idf, tids, acc, touched, gaps,
                      codes) -> int:
    """kernels._accumulate over the packed blocks: the same additions in the same order."""
    n_touched = 0
    for j in range(tids.shape[0]):
        t, w = tids[j], term_idf[j]
        df = indptr[t + 1] - indptr[t]
        for bk in range(block_ptr[t], block_ptr[t + 1]):
            n = min(BLOCK, df - (bk - block_ptr[t]) * BLOCK)
            bit = _unpack(words, offset[bk], 0, n - 1, widths[2 * bk], gaps)
            _unpack(words, offset[bk], bit, n, widths[2 * bk + 1], codes)
            r = first[bk]
            for i in range(n):
                if i > 0:
                    r += gaps[i - 1] + 1
                a = acc[r]
                touched[n_touched] = r
                n_touched += a == 0.0
                acc[r] = a + w * parts[codes[i]]
    return n_touched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", type=Path, help="a saved index folder (its base segment is used)")
    parser.add_argument("queries", type=Path, help='a JSON list of {"tokens": [...]}')
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    seg = next(args.index.glob("base-*"))
    load = lambda name, **kw: np.load(seg / f"{name}.npy", **kw)  # noqa: E731
    indptr, postings, codes, idf = load("indptr"), load("postings"), load("codes"), load("idf")
    pair_tf, pair_len, doc_len = load("pair_tf"), load("pair_len"), load("doc_len")
    parts = pairs.parts(pair_tf, pair_len, 1.2, 0.75, float(doc_len.astype(np.int64).mean()))
    ranked = np.argsort(-np.bincount(codes, minlength=len(pair_tf)), kind="stable")  # frequent pairs: small codes
    rank = np.empty_like(ranked)
    rank[ranked] = np.arange(len(ranked))
    t0 = time.perf_counter()
    block_ptr, first, offset, widths, words = encode(indptr, postings, rank[codes].astype(np.uint16))
    packed = words.nbytes + first.nbytes + offset.nbytes + widths.nbytes
    print(f"{len(postings):,} postings: plain rows + codes {(postings.nbytes + codes.nbytes) / 1e6:.1f} MB; packed "
          f"{packed / 1e6:.1f} MB (stream {words.nbytes / 1e6:.1f}, block first rows, offsets and widths "
          f"{(packed - words.nbytes) / 1e6:.1f}); encoded in {time.perf_counter() - t0:.1f} s")
    vocab = {term: i for i, term in enumerate((seg / "terms.txt").read_text(encoding="utf-8").split("\n"))}
    questions = [np.array([vocab[w] for w in q["tokens"] if w in vocab], np.int64)
                 for q in json.loads(args.queries.read_text())]
    questions = [q for q in questions if len(q) and (idf[q] > 0).all()]  # _accumulate's case
    acc, touched = np.zeros(len(doc_len)), np.zeros(len(doc_len) + 1, np.int64)
    gaps, block_codes = np.zeros(BLOCK, np.uint64), np.zeros(BLOCK, np.uint64)
    ranked_parts = parts[ranked]

    def run(packed_blocks: bool) -> tuple[float, float]:
        total, t = 0.0, time.perf_counter()
        for q in questions:
            if packed_blocks:
                m = accumulate_packed(indptr, block_ptr, first, offset, widths, words, ranked_parts, idf[q], q, acc,
                                      touched, gaps, block_codes)
            else:
                m = _accumulate(indptr, postings, codes, parts, idf[q], q, acc, touched)
            total += float(acc[touched[:m]].sum())
            acc[touched[:m]] = 0.0
        return len(questions) / (time.perf_counter() - t), total

    plain_sum, packed_sum = run(False)[1], run(True)[1]
    print(f"{len(questions)} questions; the same sums: {plain_sum == packed_sum}")
    for _ in range(args.passes):
        plain, packed_qps = run(False)[0], run(True)[0]
        print(f"plain {plain:,.0f} q/s, packed {packed_qps:,.0f} q/s: {packed_qps / plain:.2f}x")


if __name__ == "__main__":
    main()
