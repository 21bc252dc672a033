#!/usr/bin/env python
"""BM25 engines compared on the same tokens: this project's BM25Index, rank-bm25, bm25s, tantivy.

Run on demand, never in CI as a timing assertion:

    .venv/bin/pip install -r benchmarks/requirements.txt      # tantivy (benchmark-only)
    .venv/bin/python benchmarks/bench.py --sizes 10k,100k --queries 1000 --json bench.json --markdown

This is the entry point (``--help`` lists the options). The benchmark itself is the package
benchmarks/bm25bench/, one module a job; its docstring describes the corpus, the queries and the
method. The names below are kept here for the scripts and tests that use ``from benchmarks import bench``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bm25bench.cli import main  # noqa: E402
from benchmarks.bm25bench.config import B, ENGINES, EPSILON, K1, SEED, TOP_K  # noqa: E402
from benchmarks.bm25bench.corpus_gen import (  # noqa: E402
    TokenCorpus,
    build_token_corpus,
    find_scifact,
    parse_size,
    real_queries,
    size_label,
    tokenize_real,
)
from benchmarks.bm25bench.e2e import E2E_ADDS  # noqa: E402
from benchmarks.bm25bench.report import render_e2e, render_tables, strip_rows  # noqa: E402
from benchmarks.bm25bench.run import run_benchmark, run_e2e  # noqa: E402

__all__ = [
    "B", "E2E_ADDS", "ENGINES", "EPSILON", "K1", "SEED", "TOP_K", "TokenCorpus", "build_token_corpus", "find_scifact",
    "main", "parse_size", "real_queries", "render_e2e", "render_tables", "run_benchmark", "run_e2e", "size_label",
    "strip_rows", "tokenize_real",
]

if __name__ == "__main__":
    sys.exit(main())
