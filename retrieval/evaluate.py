"""Measured quality: BEIR retrieval benchmarks (nDCG@10, Recall@100, MRR@10) and QA answer checks.

The corpus goes through the normal ingest path (documents -> passages -> index) and the queries
through the normal search; a document scores as its best passage.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import ir_measures
from ir_measures import MRR, R, nDCG
from tqdm import tqdm

from .config import Settings
from .corpus import Corpus
from .errors import BadDocument, BadQuestion
from .answer.matching import contains_answer
from .text.passages import doc_of

MEASURES = {"ndcg@10": nDCG @ 10, "recall@100": R @ 100, "mrr@10": MRR @ 10}


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def load_qrels(folder: Path, split: str) -> dict[str, dict[str, int]]:
    path = folder / "qrels" / f"{split}.tsv"
    if not path.is_file():
        raise BadDocument(f"{path}: no such file (a BEIR folder has corpus.jsonl, queries.jsonl, qrels/{split}.tsv)")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    return qrels


def run_beir(folder: Path, settings: Settings, split: str = "test", whole_documents: bool = False,
             show_progress: bool = True, workdir: Path | None = None) -> dict:
    """Ingest a BEIR corpus into a fresh database, search every judged query, score the run."""
    corpus_file = folder / "corpus.jsonl"
    if not corpus_file.is_file():
        raise BadDocument(f"{corpus_file}: no such file")
    qrels = load_qrels(folder, split)
    queries = {q["_id"]: q["text"] for q in _jsonl(folder / "queries.jsonl") if q["_id"] in qrels}
    if whole_documents:
        settings = settings.with_(passage_words=10**9)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        corpus = Corpus(settings.with_(db_path=Path(tmp) / "eval.db", corpus_dir=Path(tmp) / "none"), seed=False)
        try:
            total_docs = sum(1 for _ in corpus_file.open(encoding="utf-8"))
            with tqdm(total=total_docs, desc="ingest", unit="doc", disable=not show_progress) as bar:
                start = time.perf_counter()
                corpus.ingest_records(((d["_id"], d.get("title") or "", d.get("text") or d.get("title") or "")
                                       for d in _jsonl(corpus_file)), progress=bar.update)
                ingest_seconds = time.perf_counter() - start
            counts = corpus.counts()
            run: dict[str, dict[str, float]] = {}
            start = time.perf_counter()
            for qid, text in tqdm(queries.items(), desc="query", unit="q", disable=not show_progress):
                try:
                    ranked = corpus.rank(text, k=1000)
                except BadQuestion:
                    ranked = []
                docs: dict[str, float] = {}
                for passage_id, score in ranked:  # best first: a document's first passage is its best
                    docs.setdefault(doc_of(passage_id), score)
                run[qid] = dict(list(docs.items())[:100])
            query_seconds = time.perf_counter() - start
        finally:
            corpus.close()
    scores = ir_measures.calc_aggregate(list(MEASURES.values()), qrels, run)
    result = {name: round(float(scores[m]), 4) for name, m in MEASURES.items()}
    result.update({"queries": len(queries), "documents": counts["documents"], "passages": counts["passages"],
                   "qps": round(len(queries) / query_seconds, 1) if query_seconds else 0.0,
                   "ingest_seconds": round(ingest_seconds, 1), "whole_documents": whole_documents,
                   "k1": settings.k1, "b": settings.b, "passage_words": settings.passage_words})
    return result


@dataclass
class KindCounts:
    """Rates for one `kind` of question (or all of them)."""

    answerable: int = 0
    unanswerable: int = 0
    answer_right: int = 0
    snippet_right: int = 0
    answer_or_snippet_right: int = 0
    top3_right: int = 0
    not_found_right: int = 0

    def add(self, answerable: bool, right: bool, first: bool, top3: bool, not_found: bool) -> None:
        if answerable:
            self.answerable += 1
            self.answer_right += right
            self.snippet_right += first
            self.answer_or_snippet_right += right or first
            self.top3_right += top3
        else:
            self.unanswerable += 1
            self.not_found_right += not_found


@dataclass
class QAReport:
    total: int = 0
    counts: KindCounts = field(default_factory=KindCounts)
    kinds: dict[str, KindCounts] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)

    @property
    def answer_right(self) -> int:
        return self.counts.answer_right

    @property
    def not_found_right(self) -> int:
        return self.counts.not_found_right

    def as_dict(self) -> dict:
        result: dict = {"total": self.total, **dataclasses.asdict(self.counts)}
        if self.kinds:
            result["kinds"] = {k: dataclasses.asdict(v) for k, v in sorted(self.kinds.items())}
        result["failures"] = self.failures
        return result


def run_qa(path: Path, corpus: Corpus) -> QAReport:
    """For each question: short answer right? first snippet? any of the first three? not-found when expected?
    Only a confident answer counts as found; rates are kept per `kind` when the file gives one."""
    if not path.is_file():
        raise BadDocument(f"{path}: no such file")
    report = QAReport()
    for item in _jsonl(path):
        report.total += 1
        question, answers, kind = item["q"], item.get("answers") or [], item.get("kind")
        buckets = [report.counts] + ([report.kinds.setdefault(kind, KindCounts())] if kind else [])
        try:
            answer = corpus.ask(question)
        except BadQuestion as exc:
            for bucket in buckets:
                bucket.add(bool(answers), False, False, False, True)
            report.failures.append({"q": question, "kind": kind, "expected": answers or "not found",
                                    "got": f"error: {exc}"})
            continue
        snippets = [c.snippet.text for c in answer.citations]
        right = bool(answers) and answer.found and contains_answer(answer.answer, answers)
        first = bool(answers) and answer.found and bool(snippets) and contains_answer(snippets[0], answers)
        top3 = bool(answers) and answer.found and any(contains_answer(s, answers) for s in snippets[:3])
        for bucket in buckets:
            bucket.add(bool(answers), right, first, top3, not answer.found)
        if (answers and not (right and first)) or (not answers and answer.found):
            report.failures.append({
                "q": question, "kind": kind, "expected": answers or "not found",
                "got": answer.answer if answer.found else f"({answer.confidence})",
                "confidence": answer.confidence,
                "first_snippet": snippets[0] if snippets else None,
                "first_source": answer.citations[0].hit.passage_id if answer.citations else None})
    return report
