#!/usr/bin/env python
"""The skipping kernel against the exhaustive one, in one process (issue 15): the bench's token corpus at a
size (built once into --workdir), BM25Index loaded as the bot loads it, then the 1,000 questions through
`top()` with the skipping scorer and with the exhaustive kernel, alternately, several passes each. Checks
first that every top-10 is identical (rows and floats).

    .venv/bin/python benchmarks/skipping.py --size 1m --passes 3
    .venv/bin/python benchmarks/skipping.py --size 10m --workdir /tmp/skip10m     # builds ~5 min, 10 GB peak

Prints qps, p50 and p99 per pass, and the ratio of the medians. Run on demand, never in CI.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks import bench  # noqa: E402
from retrieval.bm25 import BM25Index, compiled  # noqa: E402


def prepare(size: int, workdir: Path) -> Path:
    """The token corpus and its saved index, built unless already there."""
    if not (workdir / "index").exists():
        workdir.mkdir(parents=True, exist_ok=True)
        scifact = bench.find_scifact()
        real, doc_ids, _ = bench.tokenize_real(scifact, size, progress=False)
        bench.build_token_corpus(workdir / "corpus", size, real, doc_ids, bench.real_queries(scifact), 1000,
                                 progress=False)
        rows = ((f"p{i}#0", "s", d) for i, d in enumerate(bench.TokenCorpus(workdir / "corpus").token_lists()))
        BM25Index.build(rows, k1=bench.K1, b=bench.B, epsilon=bench.EPSILON).save(workdir / "index")
    return workdir


def timed(index: BM25Index, queries: list[list[str]], skipping: bool) -> tuple[float, float, float]:
    """qps, p50 ms, p99 ms of one pass. The exhaustive pass lifts the size from which `compiled` skips."""
    everywhere = compiled.SKIPPING_MIN_ROWS
    compiled.SKIPPING_MIN_ROWS = everywhere if skipping else 1 << 62
    try:
        lat = []
        for q in queries:
            t = time.perf_counter()
            index.top(q, bench.TOP_K)
            lat.append(time.perf_counter() - t)
    finally:
        compiled.SKIPPING_MIN_ROWS = everywhere
    ms = np.array(lat) * 1e3
    return len(ms) / ms.sum() * 1e3, float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1m")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="where the corpus and index are kept (default /tmp/skip-SIZE)")
    args = parser.parse_args()
    folder = prepare(bench.parse_size(args.size), args.workdir or Path(f"/tmp/skip-{args.size}"))
    queries = [q["tokens"] for q in bench.TokenCorpus(folder / "corpus").queries()]
    skipping = BM25Index.load(folder / "index", backend="skipping")
    exhaustive = skipping.using("compiled")
    skipping.warm_up()
    exhaustive.warm_up()
    compiled.SKIPPING_MIN_ROWS, everywhere = 1 << 62, compiled.SKIPPING_MIN_ROWS
    reference = [exhaustive.top(q, bench.TOP_K) for q in queries]
    compiled.SKIPPING_MIN_ROWS = everywhere
    differ = sum(skipping.top(q, bench.TOP_K) != ref for q, ref in zip(queries, reference))
    print(f"{args.size}: {len(skipping):,} passages, {len(queries)} questions, top-{bench.TOP_K}; "
          f"top-10s that differ: {differ}")
    runs: dict[str, list[tuple[float, float, float]]] = {"exhaustive": [], "skipping": []}
    for _ in range(args.passes):
        runs["exhaustive"].append(timed(exhaustive, queries, skipping=False))
        runs["skipping"].append(timed(skipping, queries, skipping=True))
    for name, rows in runs.items():
        print(f"{name:>10}: " + " | ".join(f"{q:,.0f} qps, p50 {p50:.3f} ms, p99 {p99:.2f} ms"
                                          for q, p50, p99 in rows))
    ratio = (statistics.median(q for q, _, _ in runs["skipping"])
             / statistics.median(q for q, _, _ in runs["exhaustive"]))
    print(f"skipping ÷ exhaustive (median qps): {ratio:.2f}")


if __name__ == "__main__":
    main()
