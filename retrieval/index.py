"""BM25 Okapi over passages, scored exactly as rank_bm25.BM25Okapi, touching only the query's postings.

The index is an immutable snapshot: term postings in CSR arrays (term -> passage rows, term
frequencies), passage lengths and scopes. Saved as plain .npy files plus a JSON header (format,
tokenizer version, store generation), loaded by memory-mapping; never pickle.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
_ARRAYS = ("indptr", "postings", "tfs", "doc_len", "scope_ids", "idf")


@dataclass(frozen=True)
class ScoredRow:
    row: int
    score: float


class BM25Index:
    """Read-only snapshot; build with `build`, persist with `save`, reopen with `load`."""

    def __init__(self, *, passage_ids: list[str], scopes: list[str], vocab: dict[str, int], indptr: np.ndarray,
                 postings: np.ndarray, tfs: np.ndarray, doc_len: np.ndarray, scope_ids: np.ndarray,
                 idf: np.ndarray, k1: float, b: float, epsilon: float, header: dict | None = None) -> None:
        self.passage_ids = passage_ids
        self.scopes = scopes
        self.vocab = vocab
        self.indptr, self.postings, self.tfs = indptr, postings, tfs
        self.doc_len, self.scope_ids, self.idf = doc_len, scope_ids, idf
        self.k1, self.b, self.epsilon = k1, b, epsilon
        self.header = header or {}
        n = len(passage_ids)
        self.avgdl = float(doc_len.sum()) / n if n else 0.0
        # rank-bm25's length normalisation, per passage, precomputed once per snapshot.
        self._norm = (k1 * (1 - b + b * doc_len / self.avgdl)) if n else np.zeros(0)

    def __len__(self) -> int:
        return len(self.passage_ids)

    # -- building -----------------------------------------------------------------------------------
    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, Sequence[str]]], *, k1: float = 1.5, b: float = 0.75,
              epsilon: float = 0.25, header: dict | None = None) -> "BM25Index":
        """rows: (passage_id, scope, tokens). Streams: only counts and postings are kept, not the tokens."""
        passage_ids: list[str] = []
        scope_names: dict[str, int] = {}
        scope_ids: list[int] = []
        doc_len: list[int] = []
        vocab: dict[str, int] = {}
        term_rows: list[list[int]] = []
        term_tfs: list[list[int]] = []
        for row, (pid, scope, tokens) in enumerate(rows):
            passage_ids.append(pid)
            scope_ids.append(scope_names.setdefault(scope, len(scope_names)))
            doc_len.append(len(tokens))
            counts: dict[str, int] = {}
            for t in tokens:
                counts[t] = counts.get(t, 0) + 1
            for term, tf in counts.items():
                tid = vocab.get(term)
                if tid is None:
                    tid = vocab[term] = len(term_rows)
                    term_rows.append([])
                    term_tfs.append([])
                term_rows[tid].append(row)
                term_tfs[tid].append(tf)
        df = np.fromiter((len(r) for r in term_rows), dtype=np.int64, count=len(term_rows))
        indptr = np.zeros(len(term_rows) + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        postings = np.fromiter((r for rows_ in term_rows for r in rows_), dtype=np.int32, count=int(indptr[-1]))
        tfs = np.fromiter((f for fs in term_tfs for f in fs), dtype=np.float64, count=int(indptr[-1]))
        idf = rank_bm25_idf(df, len(passage_ids), epsilon)
        return cls(passage_ids=passage_ids, scopes=list(scope_names), vocab=vocab, indptr=indptr,
                   postings=postings, tfs=tfs, doc_len=np.asarray(doc_len, dtype=np.float64),
                   scope_ids=np.asarray(scope_ids, dtype=np.int32), idf=idf, k1=k1, b=b, epsilon=epsilon,
                   header=header)

    # -- scoring ------------------------------------------------------------------------------------
    def term_idf(self, term: str) -> float | None:
        tid = self.vocab.get(term)
        return None if tid is None else float(self.idf[tid])

    def max_idf(self) -> float:
        """The IDF an unseen term would have: what a question term missing from the corpus is worth."""
        n = len(self)
        return math.log(n + 0.5) - math.log(0.5) if n else 0.0

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """Dense scores for every passage: rank_bm25.BM25Okapi.get_scores, for tests and oracles."""
        out = np.zeros(len(self))
        for term in query_tokens:
            tid = self.vocab.get(term)
            if tid is None:
                continue
            lo, hi = self.indptr[tid], self.indptr[tid + 1]
            rows, tf = self.postings[lo:hi], self.tfs[lo:hi]
            out[rows] += self.idf[tid] * (tf * (self.k1 + 1) / (tf + self._norm[rows]))
        return out

    def top(self, query_tokens: Sequence[str], k: int, scopes: Iterable[str] | None = None) -> list[ScoredRow]:
        """The k best passages containing at least one query term, optionally within some scopes."""
        slices = []
        for term in query_tokens:
            tid = self.vocab.get(term)
            if tid is not None:
                slices.append((tid, int(self.indptr[tid]), int(self.indptr[tid + 1])))
        if not slices or k <= 0:
            return []
        acc = np.zeros(len(self))
        for tid, lo, hi in slices:
            rows, tf = self.postings[lo:hi], self.tfs[lo:hi]
            acc[rows] += self.idf[tid] * (tf * (self.k1 + 1) / (tf + self._norm[rows]))
        candidates = np.unique(np.concatenate([self.postings[lo:hi] for _, lo, hi in slices]))
        if scopes is not None:
            wanted = set(scopes)
            allowed = [i for i, name in enumerate(self.scopes) if name in wanted]
            candidates = candidates[np.isin(self.scope_ids[candidates], allowed)]
        scores = acc[candidates]
        if len(candidates) > k:
            part = np.argpartition(-scores, k - 1)[:k]
        else:
            part = np.arange(len(candidates))
        order = part[np.lexsort((candidates[part], -scores[part]))]
        return [ScoredRow(int(candidates[i]), float(scores[i])) for i in order]

    # -- persistence --------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write to a sibling temp folder, then swap it in, so a crash never leaves half an index."""
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name in _ARRAYS:
            np.save(tmp / f"{name}.npy", getattr(self, name), allow_pickle=False)
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        (tmp / "terms.txt").write_text("\n".join(terms), encoding="utf-8")
        (tmp / "passages.txt").write_text("\n".join(self.passage_ids), encoding="utf-8")
        header = {**self.header, "format": FORMAT_VERSION, "k1": self.k1, "b": self.b, "epsilon": self.epsilon,
                  "scopes": self.scopes, "passages": len(self)}
        (tmp / "header.json").write_text(json.dumps(header, indent=1), encoding="utf-8")
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def read_header(folder: Path) -> dict | None:
        try:
            return json.loads((folder / "header.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    @classmethod
    def load(cls, folder: Path) -> "BM25Index":
        header = cls.read_header(folder)
        if header is None or header.get("format") != FORMAT_VERSION:
            raise FileNotFoundError(f"no usable index in {folder}")
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _ARRAYS}
        terms = (folder / "terms.txt").read_text(encoding="utf-8")
        vocab = {t: i for i, t in enumerate(terms.split("\n"))} if terms else {}
        passages = (folder / "passages.txt").read_text(encoding="utf-8")
        passage_ids = passages.split("\n") if passages else []
        if len(passage_ids) != header["passages"] or len(vocab) + 1 != len(arrays["indptr"]):
            raise FileNotFoundError(f"index in {folder} is inconsistent")
        return cls(passage_ids=passage_ids, scopes=header["scopes"], vocab=vocab, k1=header["k1"], b=header["b"],
                   epsilon=header["epsilon"], header=header, **{k: arrays[k] for k in _ARRAYS})


def rank_bm25_idf(df: np.ndarray, n: int, epsilon: float) -> np.ndarray:
    """rank_bm25.BM25Okapi._calc_idf: log((N-df+.5)/(df+.5)); negatives become epsilon x the mean IDF."""
    if not len(df):
        return np.zeros(0)
    idf = np.log(n - df + 0.5) - np.log(df + 0.5)
    average = float(idf.sum()) / len(idf)
    idf[idf < 0] = epsilon * average
    return idf
