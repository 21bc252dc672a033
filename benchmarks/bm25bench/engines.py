"""The engine adapters, each given the same tokens: build, save, load, top (BM25Index also top_scoped).
BM25Index is queried through the Retriever protocol (retrieval/retriever.py), as the search queries it."""

from __future__ import annotations

import pickle
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .config import B, EPSILON, K1, SCOPES, TOP_K
from .corpus_gen import TokenCorpus

if TYPE_CHECKING:
    from retrieval.retriever import Retriever


def retriever_top(retriever: Retriever, q: list[str], k: int, scopes: Sequence[str] | None = None):
    """Rows and scores of a Retriever's top k."""
    hits = retriever.top(q, k, scopes)
    return [h.row for h in hits], [h.score for h in hits]


class BM25IndexEngine:
    name = "bm25index"
    load_note = "np.load(mmap_mode='r') + vocab dict"

    backend = "auto"

    def __init__(self) -> None:
        from retrieval.bm25 import BM25Index
        self.cls = BM25Index

    def build(self, corpus: TokenCorpus, docs: list[list[str]]):
        pids = [f"p{i}" for i in range(len(docs))]
        scopes = [SCOPES[s] for s in corpus.scope_ids.tolist()]
        t0 = time.perf_counter()
        index = self.cls.build(zip(pids, scopes, docs), k1=K1, b=B, epsilon=EPSILON)
        return index, time.perf_counter() - t0

    def save(self, index, folder: Path) -> None:
        index.save(folder)

    def load(self, folder: Path):
        """As the bot opens it: the compiled scorer loads in the background, numpy answers meanwhile."""
        index = self.cls.load(folder, backend=self.backend)
        self.warming = index.warm_up(background=True)
        return index

    def wait_ready(self) -> None:
        """Before the timed queries: the compiled scorer loaded."""
        if self.warming is not None:
            self.warming.join()

    def top(self, index: Retriever, q: list[str], k: int) -> tuple[list[int], list[float]]:
        return retriever_top(index, q, k)

    def top_scoped(self, index: Retriever, q: list[str], k: int):
        return index.top(q, k, scopes=SCOPES[:2])


class BM25IndexSkippingEngine(BM25IndexEngine):
    """The same index, scored by block-max MaxScore (retrieval/bm25/block_max.py): the same results."""
    name = "bm25index_skipping"
    backend = "skipping"


class RankBM25Engine:
    name = "rank_bm25"
    load_note = "pickle.load (rank-bm25 has no on-disk format)"

    def build(self, corpus: TokenCorpus, docs: list[list[str]]):
        from rank_bm25 import BM25Okapi
        t0 = time.perf_counter()
        bm = BM25Okapi(docs, k1=K1, b=B, epsilon=EPSILON)
        return bm, time.perf_counter() - t0

    def save(self, bm, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "bm25okapi.pkl", "wb") as f:
            pickle.dump(bm, f, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, folder: Path):
        with open(folder / "bm25okapi.pkl", "rb") as f:
            return pickle.load(f)

    def top(self, bm, q: list[str], k: int):
        scores = bm.get_scores(q)
        part = np.argpartition(-scores, k - 1)[:k] if len(scores) > k else np.arange(len(scores))
        part = part[np.lexsort((part, -scores[part]))]
        part = part[scores[part] > 0]
        return part.tolist(), scores[part].tolist()


class BM25SEngine:
    """bm25s with the numpy backend. method="atire" is rank-bm25's term-frequency part exactly
    (tf*(k1+1)/(tf+k1*(1-b+b*dl/avgdl))); idf_method="robertson" is log((N-df+.5)/(df+.5)) but clamped
    at 0 where rank-bm25 uses epsilon x mean idf. Scores are float32, precomputed per posting."""
    name = "bm25s"
    load_note = "bm25s.BM25.load(mmap=True)"

    def build(self, corpus: TokenCorpus, docs: list[list[str]]):
        import bm25s
        t0 = time.perf_counter()
        r = bm25s.BM25(k1=K1, b=B, method="atire", idf_method="robertson", backend="numpy")
        r.index(docs, show_progress=False)
        return r, time.perf_counter() - t0

    def save(self, r, folder: Path) -> None:
        r.save(str(folder))

    def load(self, folder: Path):
        import bm25s
        return bm25s.BM25.load(str(folder), mmap=True, show_progress=False)

    def top(self, r, q: list[str], k: int):
        docs, scores = r.retrieve([q], k=k, show_progress=False, n_threads=0, backend_selection="numpy")
        rows, sc = docs[0].tolist(), scores[0].tolist()
        keep = [i for i, s in enumerate(sc) if s > 0]
        return [rows[i] for i in keep], [sc[i] for i in keep]


class TantivyEngine:
    """tantivy with a whitespace tokenizer over the pre-joined tokens (so the terms are identical),
    freqs without positions, one indexing thread; a fast field maps hits back to passage rows.
    Its BM25 is Lucene's (idf log(1+(N-df+.5)/(df+.5)), quantized field norms)."""
    name = "tantivy"
    load_note = "tantivy.Index.open + searcher()"

    def __init__(self) -> None:
        import tantivy
        self.t = tantivy
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("body", stored=False, tokenizer_name="ws", index_option="freq")
        sb.add_unsigned_field("row", fast=True)
        self.schema = sb.build()

    def build(self, corpus: TokenCorpus, docs: list[list[str]]):
        texts = [" ".join(d) for d in docs]
        return texts, 0.0  # the real work happens in save(), which writes the index to disk

    def save(self, texts, folder: Path) -> None:
        t = self.t
        folder.mkdir(parents=True, exist_ok=True)
        index = t.Index(self.schema, path=str(folder), reuse=False)
        index.register_tokenizer("ws", t.TextAnalyzerBuilder(t.Tokenizer.whitespace()).build())
        writer = index.writer(heap_size=256_000_000, num_threads=1)
        for i, text in enumerate(texts):
            doc = t.Document()
            doc.add_text("body", text)
            doc.add_unsigned("row", i)
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()

    def load(self, folder: Path):
        index = self.t.Index.open(str(folder))
        return index, index.searcher()

    def top(self, loaded, q: list[str], k: int):
        t = self.t
        _, searcher = loaded
        query = t.Query.boolean_query(
            [(t.Occur.Should, t.Query.term_query(self.schema, "body", term, index_option="freq")) for term in q])
        hits = searcher.search(query, limit=k, count=False).hits
        rows = searcher.fast_field_values("row", [a for _, a in hits]) if hits else []
        return rows, [s for s, _ in hits]


class PisaEngine:
    """PISA through pyterrier-pisa (its C++ library, called directly per query, without pandas):
    the joined tokens indexed with no stemmer and no stopwords, block_simdbp postings, BM25 with the
    same k1 and b (PISA's own idf), block-max WAND; `pisa_maxscore` the same index with MaxScore."""
    name = "pisa"
    algorithm = "block_max_wand"
    load_note = "PisaIndex + prepare_index (block-max metadata)"

    def build(self, corpus: TokenCorpus, docs: list[list[str]]):
        return docs, 0.0  # the real work happens in save(), which writes the index to disk

    def save(self, docs, folder: Path) -> None:
        from pyterrier_pisa import PisaIndex
        index = PisaIndex(str(folder), stemmer="none", stops="none", threads=1)
        index.index({"docno": str(i), "text": " ".join(d)} for i, d in enumerate(docs))

    def load(self, folder: Path):
        from pyterrier_pisa import PisaIndex
        return PisaIndex(str(folder), stemmer="none", stops="none", threads=1).bm25(
            k1=K1, b=B, num_results=TOP_K, query_algorithm=self.algorithm)

    def top(self, retriever, q: list[str], k: int):
        from pyterrier_pisa import _pisathon
        qidx = np.empty(k, dtype=np.int32)
        docnos = np.empty(k, dtype=object)
        ranks = np.empty(k, dtype=np.int32)
        scores = np.empty(k, dtype=np.float32)
        n = _pisathon.retrieve(retriever._ctxt, retriever.query_algorithm.value, [(0, " ".join(q))], k=k, threads=1,
                               query_weighted=0, pretokenised=False, result_qidxs=qidx, result_docnos=docnos,
                               result_ranks=ranks, result_scores=scores)
        return [int(d) for d in docnos[:n]], scores[:n].tolist()


class PisaMaxScoreEngine(PisaEngine):
    name = "pisa_maxscore"
    algorithm = "maxscore"


ENGINE_CLASSES = {"bm25index": BM25IndexEngine, "bm25index_skipping": BM25IndexSkippingEngine,
                  "rank_bm25": RankBM25Engine, "bm25s": BM25SEngine, "tantivy": TantivyEngine, "pisa": PisaEngine,
                  "pisa_maxscore": PisaMaxScoreEngine}


def engine_available(name: str) -> str | None:
    """None when the engine can run here, else why not."""
    mod = {"bm25index": "retrieval.bm25", "bm25index_skipping": "retrieval.bm25", "rank_bm25": "rank_bm25",
           "bm25s": "bm25s", "tantivy": "tantivy", "pisa": "pyterrier_pisa", "pisa_maxscore": "pyterrier_pisa"}[name]
    import importlib.util
    if importlib.util.find_spec(mod) is None:
        return f"{mod} not installed (pip install -r benchmarks/requirements.txt)"
    return None
