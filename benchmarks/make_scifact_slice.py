"""Build the small SciFact slice that CI scores (tests/quality/test_eval.py), deterministically.

A seeded sample of the test queries, every document judged relevant to them, and seeded random
distractors from the rest of the corpus, written in BEIR format (corpus.jsonl, queries.jsonl,
qrels/test.tsv). Same source + same arguments -> byte-identical files, so the slice can be rebuilt and
checked against the copy in git:

    .venv/bin/python benchmarks/make_scifact_slice.py [--source /work/shared/eval/data/scifact]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "eval" / "data" / "scifact"
DEFAULT_OUT = ROOT / "tests" / "data" / "scifact_slice"


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def build_slice(source: Path, out: Path, n_queries: int = 50, n_distractors: int = 300, seed: int = 4,
                split: str = "test") -> dict[str, int]:
    """Write the slice into `out`; returns its counts."""
    qrels: dict[str, dict[str, int]] = {}
    with (source / "qrels" / f"{split}.tsv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    rng = random.Random(seed)
    query_ids = sorted(rng.sample(sorted(qrels, key=int), n_queries), key=int)
    relevant = {doc for q in query_ids for doc in qrels[q]}
    corpus = _read_jsonl(source / "corpus.jsonl")
    others = sorted(d["_id"] for d in corpus if d["_id"] not in relevant)
    chosen = relevant | set(rng.sample(others, n_distractors))
    docs = [d for d in corpus if d["_id"] in chosen]  # source order
    wanted = set(query_ids)
    queries = [q for q in _read_jsonl(source / "queries.jsonl") if q["_id"] in wanted]

    (out / "qrels").mkdir(parents=True, exist_ok=True)
    _write_jsonl(out / "corpus.jsonl", docs)
    _write_jsonl(out / "queries.jsonl", queries)
    with (out / "qrels" / f"{split}.tsv").open("w", encoding="utf-8", newline="\n") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for q in query_ids:
            for doc in sorted(qrels[q], key=int):
                f.write(f"{q}\t{doc}\t{qrels[q][doc]}\n")
    return {"queries": len(queries), "documents": len(docs), "relevant": len(relevant),
            "judgements": sum(len(qrels[q]) for q in query_ids)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the full SciFact BEIR folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--queries", type=int, default=50, help="test queries sampled")
    parser.add_argument("--distractors", type=int, default=300, help="random unjudged documents added")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args(argv)
    counts = build_slice(args.source, args.out, args.queries, args.distractors, args.seed)
    print(json.dumps({"out": str(args.out), **counts}))


if __name__ == "__main__":
    main()
