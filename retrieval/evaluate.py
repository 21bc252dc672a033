"""Measured quality: BEIR retrieval benchmarks (nDCG@10, Recall@100, MRR@10) and QA answer checks.

The corpus goes through the normal ingest path (documents -> passages -> index) and the queries
through the normal search; a document scores as its best passage.
"""

from __future__ import annotations

import csv
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
from .passages import doc_of

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
            counts = corpus.store.counts()
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
class QAReport:
    total: int = 0
    answer_right: int = 0
    snippet_right: int = 0
    top3_right: int = 0
    not_found_right: int = 0
    unanswerable: int = 0
    failures: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        answerable = self.total - self.unanswerable
        return {"total": self.total, "answer_right": self.answer_right, "snippet_right": self.snippet_right,
                "top3_right": self.top3_right, "not_found_right": self.not_found_right,
                "answerable": answerable, "unanswerable": self.unanswerable, "failures": self.failures}


def _contains(text: str | None, answers: list[str]) -> bool:
    folded = (text or "").casefold()
    return any(a.casefold() in folded for a in answers)


def run_qa(path: Path, corpus: Corpus) -> QAReport:
    """For each question: short answer right? first snippet? any of the first three? not-found when expected?"""
    if not path.is_file():
        raise BadDocument(f"{path}: no such file")
    report = QAReport()
    for item in _jsonl(path):
        report.total += 1
        question, answers = item["q"], item.get("answers") or []
        try:
            answer = corpus.ask(question)
        except BadQuestion as exc:
            report.failures.append({"q": question, "expected": answers, "got": f"error: {exc}"})
            report.unanswerable += not answers
            continue
        snippets = [c.snippet.text for c in answer.citations]
        if not answers:
            report.unanswerable += 1
            report.not_found_right += not answer.found
            if answer.found:
                report.failures.append({"q": question, "expected": "not found", "got": answer.answer})
            continue
        right = answer.found and _contains(answer.short_answer or answer.sentence, answers)
        first = answer.found and bool(snippets) and _contains(snippets[0], answers)
        top3 = answer.found and any(_contains(s, answers) for s in snippets[:3])
        report.answer_right += right
        report.snippet_right += first
        report.top3_right += top3
        if not (right and first):
            report.failures.append({"q": question, "expected": answers, "got": answer.answer,
                                    "first_snippet": snippets[0] if snippets else None})
    return report
