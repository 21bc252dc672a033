#!/usr/bin/env python
"""BM25 engines compared on the same tokens: this project's BM25Index, rank-bm25, bm25s, tantivy.

Run on demand, never in CI as a timing assertion:

    .venv/bin/pip install -r benchmarks/requirements.txt      # tantivy (benchmark-only)
    .venv/bin/python benchmarks/bench.py --sizes 10k,100k --queries 1000 --json bench.json --markdown

Corpus. The SciFact abstracts (title + text) are split into sentences; one sentence is one passage
("--chunking passages" uses the project's own passage splitter instead). A size larger than the real
text is topped up with passages drawn from a seeded Zipf-Mandelbrot generator over the real terms
ranked by frequency, extended with synthetic terms ("zq<rank>") for the long tail; passage lengths are
drawn from the real length distribution. The same (size, seed, data file, tokenizer version) always
gives the same corpus. Without the SciFact files everything is synthetic.

Queries. Half are SciFact queries (seeded sample) tokenized with retrieval.tokenize, half are Zipf
queries of 2-6 terms drawn from the same distribution as the corpus; queries with no token are dropped.

Method. The parent tokenizes once and writes each size's token corpus to a temp folder (int32 token
ids + int64 offsets + vocabulary), streaming, so memory stays bounded. Each engine then runs twice in
its own fresh subprocess: "build" (read the tokens, build, save to disk) and "serve" (load from disk,
answer every query single-threaded with top-k=10), so the RSS peaks are separate and the serve peak is
what a freshly started bot holds. rank-bm25 has no on-disk format: it is pickled. Score parity of
BM25Index against rank_bm25.BM25Okapi is checked on the smallest size (the 10k corpus by default).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import pickle
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

K1, B, EPSILON = 1.5, 0.75, 0.25
TOP_K = 10
SEED = 20240605
# Zipf-Mandelbrot p(r) ~ 1/(r+Q)^S over VOCAB ranks. Q flattens the head so the most frequent term
# takes ~1.4% of tokens, as "cell" does in tokenized SciFact; S=1.1 is a usual slope for text.
ZIPF_S, ZIPF_Q, ZIPF_VOCAB = 1.1, 10.0, 300_000
ENGINES = ("bm25index", "rank_bm25", "bm25s", "tantivy")
LABELS = {"bm25index": "BM25Index (this)", "rank_bm25": "rank-bm25", "bm25s": "bm25s", "tantivy": "tantivy"}
OURS = "bm25index"
WARMUP = 10
SCOPES = ("global", "g1", "g2", "g3")  # passages spread over a few scopes, as guilds are in the bot


# ------------------------------------------------------------------------------------------------
# machine and memory
# ------------------------------------------------------------------------------------------------
def _proc_status_mb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_mb() -> float:
    """Current resident set size of this process (Linux /proc; ru_maxrss elsewhere)."""
    v = _proc_status_mb("VmRSS:")
    return v if v is not None else peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak RSS of this process. VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork+exec, so a
    worker would report its parent's peak whenever that is larger."""
    v = _proc_status_mb("VmHWM:")
    if v is not None:
        return v
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {}
    for pkg in ("numpy", "rank-bm25", "bm25s", "tantivy", "PyStemmer", "scipy"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    return {"cpu": cpu, "cores": cores, "ram_gb": ram_gb, "python": platform.python_version(),
            "platform": platform.platform(), "packages": versions}


# ------------------------------------------------------------------------------------------------
# data: SciFact text, tokenization, the seeded generator
# ------------------------------------------------------------------------------------------------
def find_scifact() -> Path | None:
    candidates = [os.environ.get("BENCH_SCIFACT"), ROOT.parent / "shared/eval/data/scifact",
                  Path("/work/shared/eval/data/scifact")]
    for c in candidates:
        if c and (Path(c) / "corpus.jsonl").is_file():
            return Path(c)
    return None


def iter_real_chunks(scifact: Path, chunking: str = "sentences") -> Iterator[tuple[str, str]]:
    """(doc_id, text) of each chunk, in file order: sentences, or the project's passages."""
    from retrieval.passages import split_passages
    from retrieval.sentences import split_sentences

    with open(scifact / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            doc = json.loads(line)
            title = (doc.get("title") or "").strip()
            text = doc.get("text") or ""
            full = f"{title}. {text}" if title else text
            if chunking == "passages":
                for p in split_passages(doc["_id"], full):
                    yield doc["_id"], p.text
            else:
                for s in split_sentences(full):
                    yield doc["_id"], s


def tokenize_real(scifact: Path | None, limit: int, chunking: str = "sentences",
                  progress: bool = True) -> tuple[list[list[str]], list[str], dict]:
    """Tokenize up to `limit` real chunks (with a progress bar). Returns tokens, doc ids, rate stats."""
    from tqdm import tqdm

    from retrieval.tokenize import TOKENIZER_VERSION, tokenize

    tokens: list[list[str]] = []
    doc_ids: list[str] = []
    chars = 0
    t0 = time.perf_counter()
    if scifact is not None and limit > 0:
        bar = tqdm(total=limit, desc="tokenize SciFact", unit="chunk", disable=not progress, leave=False)
        for doc_id, text in iter_real_chunks(scifact, chunking):
            if len(tokens) >= limit:
                break
            toks = tokenize(text)
            if not toks:
                continue
            tokens.append(toks)
            doc_ids.append(doc_id)
            chars += len(text)
            bar.update()
        bar.close()
    dt = time.perf_counter() - t0
    n_tok = sum(map(len, tokens))
    stats = {"chunks": len(tokens), "tokens": n_tok, "chars": chars, "seconds": dt,
             "chunks_per_s": len(tokens) / dt if dt else None, "tokens_per_s": n_tok / dt if dt else None,
             "mb_per_s": chars / 1e6 / dt if dt else None, "tokenizer_version": TOKENIZER_VERSION,
             "chunking": chunking, "note": "split + tokenize (retrieval.tokenize) of the real text, one core"}
    return tokens, doc_ids, stats


def real_queries(scifact: Path | None) -> list[list[str]]:
    from retrieval.tokenize import tokenize

    if scifact is None or not (scifact / "queries.jsonl").is_file():
        return []
    out = []
    with open(scifact / "queries.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                toks = tokenize(json.loads(line)["text"])
                if toks:
                    out.append(toks)
    return out


def zipf_cdf(v: int, s: float = ZIPF_S, q: float = ZIPF_Q) -> np.ndarray:
    w = 1.0 / (np.arange(1, v + 1, dtype=np.float64) + q) ** s
    c = np.cumsum(w)
    return c / c[-1]


def sample_ranks(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1).astype(np.int32)


def parse_size(text: str) -> int:
    t = text.strip().lower().replace("_", "")
    mult = 1
    if t.endswith("k"):
        mult, t = 1_000, t[:-1]
    elif t.endswith("m"):
        mult, t = 1_000_000, t[:-1]
    return int(float(t) * mult)


def size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def build_token_corpus(folder: Path, size: int, real_tokens: list[list[str]], real_doc_ids: list[str],
                       real_query_tokens: list[list[str]], n_queries: int, seed: int = SEED,
                       progress: bool = True) -> dict:
    """Write a `size`-passage token corpus to `folder`: tokens.npy, offsets.npy, vocab.txt, scopes.npy,
    queries.json, meta.json. Streams the synthetic part in blocks, so memory stays bounded."""
    from tqdm import tqdm

    t0 = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    real = real_tokens[:size]
    n_real, n_synth = len(real), size - len(real)
    ss_len, ss_tok, ss_q = np.random.SeedSequence([seed, size]).spawn(3)
    rng_len, rng_tok, rng_q = (np.random.default_rng(s) for s in (ss_len, ss_tok, ss_q))

    # Real terms ranked by frequency (ties by term): rank r <-> token id r; synthetic tail after them.
    freq = Counter(t for doc in real for t in doc)
    ranking = sorted(freq, key=lambda t: (-freq[t], t))
    v = max(len(ranking), ZIPF_VOCAB) if n_synth > 0 or not ranking else len(ranking)
    vocab = ranking + [f"zq{r}" for r in range(len(ranking), v)]
    term_id = {t: i for i, t in enumerate(vocab)}
    cdf = zipf_cdf(v)

    real_lengths = np.fromiter((len(d) for d in real), dtype=np.int64, count=n_real)
    if n_synth > 0:
        synth_lengths = (rng_len.choice(real_lengths, n_synth) if n_real
                         else np.maximum(1, rng_len.poisson(15, n_synth)))
    else:
        synth_lengths = np.zeros(0, dtype=np.int64)
    lengths = np.concatenate([real_lengths, synth_lengths.astype(np.int64)])
    offsets = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    tokens = np.lib.format.open_memmap(folder / "tokens.npy", mode="w+", dtype=np.int32, shape=(int(offsets[-1]),))
    bar = tqdm(total=size, desc=f"generate {size_label(size)}", unit="passage", disable=not progress, leave=False)
    if n_real:
        tokens[: offsets[n_real]] = np.fromiter((term_id[t] for d in real for t in d), dtype=np.int32,
                                                 count=int(offsets[n_real]))
        bar.update(n_real)
    block = 50_000
    for a in range(n_real, size, block):
        b = min(size, a + block)
        lo, hi = int(offsets[a]), int(offsets[b])
        tokens[lo:hi] = sample_ranks(rng_tok, cdf, hi - lo)
        bar.update(b - a)
    bar.close()
    tokens.flush()
    del tokens
    # Scopes: real chunks follow their abstract, synthetic ones come in runs of ~10 "documents".
    doc_key = np.concatenate([np.asarray([hash_str(d) for d in real_doc_ids[:n_real]], dtype=np.int64),
                              (np.arange(n_synth, dtype=np.int64) // 10) + 7])
    scope_ids = (doc_key % len(SCOPES)).astype(np.int8)

    # Queries: half SciFact (seeded sample, cycled if too few), half Zipf (2-6 terms).
    n_sci = min(n_queries // 2, len(real_query_tokens)) if real_query_tokens else 0
    queries = []
    if n_sci:
        order = rng_q.permutation(len(real_query_tokens))[:n_sci]
        queries += [{"kind": "scifact", "tokens": real_query_tokens[i]} for i in order]
    lens = rng_q.integers(2, 7, n_queries - n_sci)
    for n in lens:
        queries.append({"kind": "zipf", "tokens": [vocab[r] for r in sample_ranks(rng_q, cdf, int(n))]})
    for q in queries:  # unseen SciFact query terms stay unseen: engines must skip them
        assert all(t and not any(c.isspace() for c in t) for t in q["tokens"])

    np.save(folder / "offsets.npy", offsets)
    np.save(folder / "scopes.npy", scope_ids)
    assert all("\n" not in t and not any(c.isspace() for c in t) for t in vocab)
    (folder / "vocab.txt").write_text("\n".join(vocab), encoding="utf-8")
    (folder / "queries.json").write_text(json.dumps(queries), encoding="utf-8")
    used = int(np.count_nonzero(np.bincount(np.load(folder / "tokens.npy", mmap_mode="r"), minlength=v)))
    meta = {"passages": size, "real_passages": n_real, "synthetic_passages": n_synth,
            "tokens": int(offsets[-1]), "mean_len": float(offsets[-1] / size) if size else 0.0,
            "vocab_used": used, "queries": len(queries), "queries_scifact": n_sci,
            "queries_zipf": len(queries) - n_sci, "seed": seed,
            "zipf": {"s": ZIPF_S, "q": ZIPF_Q, "vocab": v}, "generate_s": time.perf_counter() - t0}
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return meta


def hash_str(s: str) -> int:
    """A stable (unsalted) small hash, for assigning scopes."""
    h = 0
    for c in s.encode():
        h = (h * 131 + c) % 1_000_003
    return h


class TokenCorpus:
    """Read side of build_token_corpus, used by each engine's subprocess."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        self.offsets = np.load(folder / "offsets.npy")
        self.tokens = np.load(folder / "tokens.npy", mmap_mode="r")
        self.vocab = np.array((folder / "vocab.txt").read_text(encoding="utf-8").split("\n"), dtype=object)
        self.scope_ids = np.load(folder / "scopes.npy")

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def token_lists(self) -> list[list[str]]:
        """Every passage as a list of str (the vocabulary's own str objects, so shared, not copied)."""
        off, toks, vocab = self.offsets, self.tokens, self.vocab
        out = []
        step = 100_000
        for a in range(0, len(self), step):
            b = min(len(self), a + step)
            chunk = vocab[np.asarray(toks[off[a]:off[b]])].tolist()
            base = int(off[a])
            out.extend(chunk[int(off[i]) - base:int(off[i + 1]) - base] for i in range(a, b))
        return out

    def queries(self) -> list[dict]:
        return json.loads((self.folder / "queries.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------------
# engines: build / save / load / top, each given the same tokens
# ------------------------------------------------------------------------------------------------
def _dir_mb(folder: Path) -> float:
    if folder.is_file():
        return folder.stat().st_size / 1e6
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


class BM25IndexEngine:
    name = "bm25index"
    load_note = "np.load(mmap_mode='r') + vocab dict"

    def __init__(self) -> None:
        from retrieval.index import BM25Index
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
        return self.cls.load(folder)

    def top(self, index, q: list[str], k: int) -> tuple[list[int], list[float]]:
        hits = index.top(q, k)
        return [h.row for h in hits], [h.score for h in hits]

    def top_scoped(self, index, q: list[str], k: int):
        return index.top(q, k, scopes=SCOPES[:2])


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


ENGINE_CLASSES = {"bm25index": BM25IndexEngine, "rank_bm25": RankBM25Engine, "bm25s": BM25SEngine,
                  "tantivy": TantivyEngine}


def engine_available(name: str) -> str | None:
    """None when the engine can run here, else why not."""
    mod = {"bm25index": "retrieval.index", "rank_bm25": "rank_bm25", "bm25s": "bm25s", "tantivy": "tantivy"}[name]
    import importlib.util
    if importlib.util.find_spec(mod) is None:
        return f"{mod} not installed (pip install -r benchmarks/requirements.txt)"
    return None


# ------------------------------------------------------------------------------------------------
# phases (run in a subprocess each, or in-process for the smoke test)
# ------------------------------------------------------------------------------------------------
def phase_build(engine_name: str, corpus_dir: Path, index_dir: Path) -> dict:
    engine = ENGINE_CLASSES[engine_name]()
    rss0 = rss_mb()
    corpus = TokenCorpus(corpus_dir)
    docs = corpus.token_lists()
    gc.collect()
    rss_corpus = rss_mb()
    obj, build_s = engine.build(corpus, docs)
    t0 = time.perf_counter()
    engine.save(obj, index_dir)
    save_s = time.perf_counter() - t0
    rss_built = rss_mb()
    return {"build_s": build_s, "save_s": save_s, "build_total_s": build_s + save_s,
            "passages_per_s": len(docs) / (build_s + save_s) if build_s + save_s else None,
            "rss_start_mb": rss0, "rss_corpus_mb": rss_corpus, "rss_built_mb": rss_built,
            "peak_rss_mb": peak_rss_mb(), "disk_mb": _dir_mb(index_dir)}


def phase_serve(engine_name: str, corpus_dir: Path, index_dir: Path, k: int = TOP_K,
                budget_s: float = 300.0) -> dict:
    engine = ENGINE_CLASSES[engine_name]()
    queries = TokenCorpus(corpus_dir).queries()
    gc.collect()
    rss0 = rss_mb()
    t0 = time.perf_counter()
    obj = engine.load(index_dir)
    load_s = time.perf_counter() - t0
    rss_loaded = rss_mb()
    t0 = time.perf_counter()
    engine.top(obj, queries[0]["tokens"], k)
    first_ms = (time.perf_counter() - t0) * 1e3
    # Estimate from a few queries before committing to the whole run (rank-bm25 scans every passage).
    probe = queries[1::max(1, len(queries) // 8)][:8]  # spread over both kinds of query
    t0 = time.perf_counter()
    for q in probe:
        engine.top(obj, q["tokens"], k)
    est_s = (time.perf_counter() - t0) / max(1, len(probe)) * (len(queries) + WARMUP)
    if est_s > budget_s:
        return {"skipped": f"estimated {est_s:.0f} s for {len(queries)} queries > budget {budget_s:.0f} s",
                "estimated_query_s": est_s, "estimated_ms_per_query": est_s / (len(queries) + WARMUP) * 1e3,
                "load_s": load_s, "rss_start_mb": rss0, "rss_loaded_mb": rss_loaded, "peak_rss_mb": peak_rss_mb()}
    for q in queries[:WARMUP]:
        engine.top(obj, q["tokens"], k)
    lat = np.zeros(len(queries))
    rows_out = []
    clock = time.perf_counter
    t_all = clock()
    for i, q in enumerate(queries):
        t0 = clock()
        rows, _ = engine.top(obj, q["tokens"], k)
        lat[i] = clock() - t0
        rows_out.append([int(r) for r in rows])
    total = clock() - t_all
    kinds = np.array([q["kind"] for q in queries])
    out = {"load_s": load_s, "first_query_ms": first_ms, "queries": len(queries), "qps": len(queries) / total,
           "p50_ms": float(np.percentile(lat, 50) * 1e3), "p99_ms": float(np.percentile(lat, 99) * 1e3),
           "mean_ms": float(lat.mean() * 1e3), "max_ms": float(lat.max() * 1e3),
           "by_kind": {kind: {"n": int((kinds == kind).sum()),
                              "p50_ms": float(np.percentile(lat[kinds == kind], 50) * 1e3),
                              "p99_ms": float(np.percentile(lat[kinds == kind], 99) * 1e3)}
                       for kind in sorted(set(kinds.tolist()))},
           "rss_start_mb": rss0, "rss_loaded_mb": rss_loaded, "rss_end_mb": rss_mb(),
           "peak_rss_mb": peak_rss_mb(), "rows": rows_out}
    if hasattr(engine, "top_scoped"):
        lat_s = []
        for q in queries:
            t0 = clock()
            engine.top_scoped(obj, q["tokens"], k)
            lat_s.append(clock() - t0)
        out["scoped_p50_ms"] = float(np.percentile(lat_s, 50) * 1e3)
        out["scoped_p99_ms"] = float(np.percentile(lat_s, 99) * 1e3)
    return out


def phase_parity(corpus_dir: Path, k: int = TOP_K) -> dict:
    """BM25Index vs rank_bm25.BM25Okapi on the same tokens: dense scores and top-k scores."""
    from rank_bm25 import BM25Okapi

    from retrieval.index import BM25Index

    corpus = TokenCorpus(corpus_dir)
    docs = corpus.token_lists()
    index = BM25Index.build(((f"p{i}", "s", d) for i, d in enumerate(docs)), k1=K1, b=B, epsilon=EPSILON)
    bm = BM25Okapi(docs, k1=K1, b=B, epsilon=EPSILON)
    dense = topk = 0.0
    same_rows = 0
    queries = corpus.queries()
    for q in queries:
        ref = bm.get_scores(q["tokens"])
        dense = max(dense, float(np.max(np.abs(index.scores(q["tokens"]) - ref))))
        hits = index.top(q["tokens"], k)
        rows = np.array([h.row for h in hits], dtype=np.int64)
        ours = np.array([h.score for h in hits])
        if len(rows):
            topk = max(topk, float(np.max(np.abs(ours - ref[rows]))))
        # rank-bm25's own top-k score list (all passages with a positive score), ties aside
        ref_top = np.sort(ref[ref > 0])[::-1][:k]
        if len(ref_top) == len(ours) and np.array_equal(ref_top, np.sort(ours)[::-1]):
            same_rows += 1
        elif len(ref_top) == len(ours):
            topk = max(topk, float(np.max(np.abs(ref_top - np.sort(ours)[::-1]))))
        else:
            topk = math.inf
    return {"passages": len(docs), "queries": len(queries), "max_abs_diff_dense": dense,
            "max_abs_diff_topk": topk, "queries_identical_topk_scores": same_rows}


# ------------------------------------------------------------------------------------------------
# end to end through Corpus: a real SQLite database built with ingest_records, then ask / add / remove
# ------------------------------------------------------------------------------------------------
E2E_ADDS = 5


def _e2e_settings(db_dir: Path):
    from retrieval.config import Settings
    return Settings(db_path=db_dir / "corpus.db", corpus_dir=db_dir / "no-bundled-corpus")


def _e2e_records(corpus: TokenCorpus, block: int = 20_000) -> Iterator[tuple[str, str, str]]:
    """One record (document) per passage of the token corpus: its tokens as a sentence, no title."""
    off, toks, vocab = corpus.offsets, corpus.tokens, corpus.vocab
    for a in range(0, len(corpus), block):
        b = min(len(corpus), a + block)
        words = vocab[np.asarray(toks[off[a]:off[b]])].tolist()
        base = int(off[a])
        for i in range(a, b):
            yield f"r{i:07d}", "", " ".join(words[int(off[i]) - base:int(off[i + 1]) - base]) + "."


def phase_e2e_build(corpus_dir: Path, db_dir: Path) -> dict:
    """Ingest every passage through Corpus.ingest_records (batched transactions, one index build),
    timing the index build apart; the peak RSS shows whether ingest streams."""
    from retrieval.corpus import Corpus

    corpus = TokenCorpus(corpus_dir)
    shutil.rmtree(db_dir, ignore_errors=True)
    c = Corpus(_e2e_settings(db_dir), seed=False)
    build = {}
    original = Corpus._build_index

    def timed_build(self):
        t0 = time.perf_counter()
        out = original(self)
        build["s"] = time.perf_counter() - t0
        build["peak_rss_mb_before"] = peak_rss_mb()
        return out

    Corpus._build_index = timed_build  # type: ignore[method-assign]
    rss0 = rss_mb()
    t0 = time.perf_counter()
    report = c.ingest_records(_e2e_records(corpus), batch=2_000)
    total = time.perf_counter() - t0
    Corpus._build_index = original  # type: ignore[method-assign]
    n = len(c.searcher.index)
    c.close()
    return {"documents": len(report.added), "passages": n, "ingest_total_s": total, "index_build_s": build.get("s"),
            "ingest_s": total - build.get("s", 0.0), "passages_per_s": n / (total - build.get("s", 0.0)),
            "rss_start_mb": rss0, "peak_rss_ingest_mb": build.get("peak_rss_mb_before"),
            "peak_rss_mb": peak_rss_mb(), "db_mb": _dir_mb(db_dir / "corpus.db"),
            "index_mb": _dir_mb(db_dir / "corpus.db.index")}


def phase_e2e_serve(corpus_dir: Path, db_dir: Path, k: int = TOP_K) -> dict:
    """Open (load) the corpus as the bot starts, then `ask` every query (search + answer extraction +
    rendering to a Discord embed), then add documents one at a time, timing each until searchable."""
    from retrieval import render
    from retrieval.corpus import Corpus
    from retrieval.index import BM25Index
    from retrieval.tokenize import tokenize

    queries = [" ".join(q["tokens"]) for q in TokenCorpus(corpus_dir).queries()]
    gc.collect()
    rss0 = rss_mb()
    t0 = time.perf_counter()
    c = Corpus(_e2e_settings(db_dir), seed=False)
    load_s = time.perf_counter() - t0
    rss_loaded = rss_mb()
    for q in queries[:WARMUP]:
        render.to_embed(c.ask(q, k=k))
    lat = np.zeros(len(queries))
    found = 0
    t_all = time.perf_counter()
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        answer = c.ask(q, k=k)
        render.to_embed(answer)
        lat[i] = time.perf_counter() - t0
        found += bool(answer.found)
    total = time.perf_counter() - t_all
    search_lat = []
    for q in queries:
        t0 = time.perf_counter()
        c.search(q, k=k)
        search_lat.append(time.perf_counter() - t0)
    serve_peak = peak_rss_mb()
    adds, removes, exact = [], [], []
    run = f"{time.time_ns() % 10**9:09d}"  # unique words and names: a re-run on the same database adds anew
    for j in range(E2E_ADDS):
        word = f"zzfresh{run}x{j}"
        text = f"{word} " + " ".join(queries[j].split()[:6]) + f". A second sentence names {word} again."
        t0 = time.perf_counter()
        c.add_bytes(text.encode(), f"fresh-{run}-{j}.txt")
        hits = c.search(word, k=1)
        adds.append(time.perf_counter() - t0)
        assert hits and hits[0].doc_id == f"fresh-{run}-{j}", hits
    n = int(c.store.counts()["documents"])
    step = max(1, n // (4 * E2E_ADDS)) + 1
    victims = (f"r{(int(run) + j * step) % n:07d}" for j in range(n))
    for doc_id in victims:
        if len(removes) == E2E_ADDS:
            break
        if c.store.get_document(doc_id, with_text=False, missing_ok=True) is None:
            continue  # removed by an earlier run
        t0 = time.perf_counter()
        c.remove(doc_id)
        removes.append(time.perf_counter() - t0)
    after_changes = c.searcher.index
    # Exactness after the changes: the incremental snapshot against a full rebuild of the same store.
    rebuilt = c._new_index(c.store.iter_index_rows(), {})
    pos = {rebuilt.passage_ids[r]: r for r in range(rebuilt.n_rows)}
    live = after_changes.live_rows()
    order = np.array([pos[after_changes.passage_ids[r]] for r in live])
    for q in queries[:50]:
        terms = tokenize(q)
        exact.append(float(np.max(np.abs(after_changes.scores(terms)[live] - rebuilt.scores(terms)[order]))))
    stats = after_changes.stats
    c.close()
    assert isinstance(rebuilt, BM25Index)
    return {"passages": len(after_changes), "load_s": load_s, "rss_start_mb": rss0, "rss_loaded_mb": rss_loaded,
            "queries": len(queries), "ask_qps": len(queries) / total, "answered": found,
            "ask_p50_ms": float(np.percentile(lat, 50) * 1e3), "ask_p99_ms": float(np.percentile(lat, 99) * 1e3),
            "ask_max_ms": float(lat.max() * 1e3),
            "search_p50_ms": float(np.percentile(search_lat, 50) * 1e3),
            "search_p99_ms": float(np.percentile(search_lat, 99) * 1e3),
            "serve_peak_rss_mb": serve_peak, "add_doc_s": adds, "add_doc_median_s": float(np.median(adds)),
            "add_doc_max_s": max(adds), "remove_doc_s": removes, "remove_doc_max_s": max(removes),
            "index_after_changes": stats, "max_abs_diff_vs_rebuild": max(exact) if exact else None}


def run_e2e(size: int, n_queries: int, *, seed: int = SEED, workdir: Path | None = None, keep: bool = False,
            isolate: bool = True, progress: bool = True, reuse: bool = False, log=print) -> dict:
    """Corpus end to end at one size: build (ingest) in one process, serve in a fresh one."""
    own_tmp = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="bm25e2e-")) if own_tmp else workdir
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        scifact = find_scifact()
        cdir = workdir / f"corpus-{size_label(size)}"
        if not (reuse and (cdir / "meta.json").is_file()):
            real, doc_ids, _ = tokenize_real(scifact, size, progress=progress)
            build_token_corpus(cdir, size, real, doc_ids, real_queries(scifact), n_queries, seed, progress)
            del real, doc_ids
        ddir = workdir / f"db-{size_label(size)}"
        if reuse and (ddir / "corpus.db").is_file():
            out = {"size": size, "build": json.loads((ddir / "build.json").read_text(encoding="utf-8"))}
        else:
            out = {"size": size, "build": run_phase(OURS, "e2e-build", cdir, ddir, k=TOP_K, budget_s=0,
                                                    isolate=isolate)}
            if "error" not in out["build"]:
                (ddir / "build.json").write_text(json.dumps(out["build"]), encoding="utf-8")
        log(f"[e2e {size_label(size)}] build: {json.dumps(out['build'])}")
        if "error" not in out["build"]:
            out["serve"] = run_phase(OURS, "e2e-serve", cdir, ddir, k=TOP_K, budget_s=0, isolate=isolate)
            log(f"[e2e {size_label(size)}] serve: {json.dumps(out['serve'])}")
        return out
    finally:
        if own_tmp and not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def render_e2e(e2e: dict, markdown: bool = False) -> str:
    b, s = e2e.get("build", {}), e2e.get("serve", {})
    if "error" in b or "error" in s:
        return f"End to end ({size_label(e2e['size'])}): failed: {b.get('error') or s.get('error')}"
    rows = [["passages", f"{b['passages']:,}"],
            ["ingest_records (split + tokenize + SQLite), passages/s", f"{b['passages_per_s']:,.0f}"],
            ["index build from the store, s", _f(b.get("index_build_s"), ".1f")],
            ["ingest + build peak RSS, MB", _f(b.get("peak_rss_mb"), ".0f")],
            ["database / index on disk, MB", f"{b['db_mb']:,.0f} / {b['index_mb']:,.0f}"],
            ["Corpus open (index load by mmap), ms", _f(s.get("load_s", 0) * 1e3, ".0f")],
            ["ask p50 / p99 / max, ms", f"{s['ask_p50_ms']:.2f} / {s['ask_p99_ms']:.2f} / {s['ask_max_ms']:.1f}"],
            ["ask per second (single thread)", f"{s['ask_qps']:.0f}"],
            ["search p50 / p99, ms", f"{s['search_p50_ms']:.2f} / {s['search_p99_ms']:.2f}"],
            ["serve peak RSS (after asks), MB", _f(s.get("serve_peak_rss_mb"), ".0f")],
            ["add one document until searchable, median / max s",
             f"{s['add_doc_median_s'] * 1e3:.0f} ms / {s['add_doc_max_s'] * 1e3:.0f} ms"],
            ["remove one document, max", f"{s['remove_doc_max_s'] * 1e3:.0f} ms"],
            ["max abs score diff, incremental vs full rebuild", f"{s['max_abs_diff_vs_rebuild']:.1e}"]]
    title = f"End to end through Corpus at {size_label(e2e['size'])} ({s['queries']} queries, {s['answered']} answered)"
    return "\n".join([("### " if markdown else "== ") + title, ""] + format_table(["measure", "value"], rows, markdown))


def _worker_main(args) -> None:
    corpus_dir, index_dir = Path(args.corpus), Path(args.index_dir) if args.index_dir else None
    if args.phase == "build":
        res = phase_build(args.worker, corpus_dir, index_dir)
    elif args.phase == "serve":
        res = phase_serve(args.worker, corpus_dir, index_dir, args.k, args.budget)
    elif args.phase == "e2e-build":
        res = phase_e2e_build(corpus_dir, index_dir)
    elif args.phase == "e2e-serve":
        res = phase_e2e_serve(corpus_dir, index_dir, args.k)
    else:
        res = phase_parity(corpus_dir, args.k)
    Path(args.result).write_text(json.dumps(res), encoding="utf-8")


def run_phase(engine: str, phase: str, corpus_dir: Path, index_dir: Path | None, *, k: int, budget_s: float,
              isolate: bool) -> dict:
    """One phase, in its own python process (isolate=True) so its RSS peak is its own."""
    if not isolate:
        if phase == "e2e-build":
            return phase_e2e_build(corpus_dir, index_dir)
        if phase == "e2e-serve":
            return phase_e2e_serve(corpus_dir, index_dir, k)
        if phase == "build":
            return phase_build(engine, corpus_dir, index_dir)
        if phase == "serve":
            return phase_serve(engine, corpus_dir, index_dir, k, budget_s)
        return phase_parity(corpus_dir, k)
    fd, result = tempfile.mkstemp(suffix=".json", dir=corpus_dir)
    os.close(fd)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", engine, "--phase", phase,
           "--corpus", str(corpus_dir), "--result", result, "--k", str(k), "--budget", str(budget_s)]
    if index_dir is not None:
        cmd += ["--index-dir", str(index_dir)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "DISABLE_TQDM": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:] if proc.stderr else ''}",
                "stderr_tail": proc.stderr[-2000:], "wall_s": time.perf_counter() - t0}
    res = json.loads(Path(result).read_text(encoding="utf-8"))
    os.unlink(result)
    res["wall_s"] = time.perf_counter() - t0
    return res


# ------------------------------------------------------------------------------------------------
# the run
# ------------------------------------------------------------------------------------------------
def overlap(ref: list[list[int]], other: list[list[int]]) -> float:
    vals = [len(set(a) & set(b)) / len(a) for a, b in zip(ref, other) if a]
    return float(np.mean(vals)) if vals else float("nan")


def run_benchmark(sizes: Sequence[int], n_queries: int = 1000, engines: Sequence[str] = ENGINES, *,
                  seed: int = SEED, k: int = TOP_K, budget_s: float = 300.0, isolate: bool = True,
                  workdir: Path | None = None, chunking: str = "sentences", parity: bool = True,
                  keep: bool = False, progress: bool = True, log=print) -> dict:
    sizes = sorted(sizes)
    scifact = find_scifact()
    own_tmp = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="bm25bench-")) if own_tmp else Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": machine_info(),
                     "config": {"sizes": [size_label(s) for s in sizes], "queries": n_queries, "k": k, "seed": seed,
                                "engines": list(engines), "budget_s": budget_s, "isolated": isolate,
                                "chunking": chunking, "scifact": str(scifact) if scifact else None,
                                "bm25": {"k1": K1, "b": B, "epsilon": EPSILON}},
                     "sizes": {}}
    try:
        real_tokens, real_doc_ids, ingest = tokenize_real(scifact, max(sizes), chunking, progress)
        results["ingest"] = ingest
        log(f"tokenized {ingest['chunks']:,} real chunks: {ingest['tokens_per_s'] or 0:,.0f} tokens/s, "
            f"{ingest['chunks_per_s'] or 0:,.0f} chunks/s, {ingest['mb_per_s'] or 0:.2f} MB/s")
        rq = real_queries(scifact)
        prev: dict[str, tuple[int, dict]] = {}
        for si, size in enumerate(sizes):
            label = size_label(size)
            cdir = workdir / f"corpus-{label}"
            meta = build_token_corpus(cdir, size, real_tokens, real_doc_ids, rq, n_queries, seed, progress)
            log(f"[{label}] corpus: {meta['passages']:,} passages ({meta['real_passages']:,} real), "
                f"{meta['tokens']:,} tokens, vocab {meta['vocab_used']:,}, {meta['queries']} queries, "
                f"generated in {meta['generate_s']:.1f} s")
            entry: dict = {"corpus": meta, "engines": {}}
            results["sizes"][label] = entry
            if parity and si == 0 and engine_available("rank_bm25") is None:
                entry["parity"] = run_phase(OURS, "parity", cdir, None, k=k, budget_s=budget_s, isolate=isolate)
                p = entry["parity"]
                log(f"[{label}] parity BM25Index vs rank-bm25: max |diff| dense {p.get('max_abs_diff_dense')}, "
                    f"top-{k} {p.get('max_abs_diff_topk')}")
            for eng in engines:
                why = engine_available(eng)
                if why:
                    entry["engines"][eng] = {"skipped": why}
                    log(f"[{label}] {eng}: skipped ({why})")
                    continue
                if eng in prev:  # extrapolate linearly from the previous size before paying for this one
                    psize, pres = prev[eng]
                    ms = pres.get("serve", {}).get("mean_ms") or pres.get("serve", {}).get("estimated_ms_per_query")
                    if ms:
                        est = ms / 1e3 * size / psize * (meta["queries"] + WARMUP)
                        if est > budget_s:
                            entry["engines"][eng] = {"skipped": f"estimated {est:.0f} s for {meta['queries']} queries "
                                                                f"(from {size_label(psize)}) > budget {budget_s:.0f} s",
                                                     "estimated_query_s": est}
                            log(f"[{label}] {eng}: {entry['engines'][eng]['skipped']}")
                            continue
                idir = workdir / f"index-{label}-{eng}"
                res = {"build": run_phase(eng, "build", cdir, idir, k=k, budget_s=budget_s, isolate=isolate)}
                if "error" not in res["build"]:
                    res["serve"] = run_phase(eng, "serve", cdir, idir, k=k, budget_s=budget_s, isolate=isolate)
                if "skipped" in res.get("serve", {}):
                    res["skipped"] = res["serve"]["skipped"]
                entry["engines"][eng] = res
                prev[eng] = (size, res)
                shutil.rmtree(idir, ignore_errors=True)
                log(f"[{label}] {eng}: " + _one_line(res))
            ref = entry["engines"].get(OURS, {}).get("serve", {}).get("rows")
            for eng, res in entry["engines"].items():
                rows = res.get("serve", {}).get("rows")
                if ref is not None and rows is not None:
                    res["serve"]["overlap_at_k_vs_ours"] = overlap(ref, rows)
            if not keep:
                shutil.rmtree(cdir, ignore_errors=True)
    finally:
        if own_tmp and not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


def _one_line(res: dict) -> str:
    if "error" in res.get("build", {}):
        return "build failed: " + res["build"]["error"]
    b, s = res.get("build", {}), res.get("serve", {})
    line = f"build {b.get('build_total_s', 0):.2f} s, peak {b.get('peak_rss_mb', 0):.0f} MB"
    if "error" in s:
        return line + "; serve failed: " + s["error"]
    if "skipped" in s:
        return line + "; queries skipped: " + s["skipped"]
    return (line + f"; load {s['load_s'] * 1e3:.1f} ms, p50 {s['p50_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms, "
            f"{s['qps']:.0f} qps, serve peak {s['peak_rss_mb']:.0f} MB")


# ------------------------------------------------------------------------------------------------
# report
# ------------------------------------------------------------------------------------------------
def _f(v, fmt: str) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def _ratio(a, x) -> str:
    return "–" if a is None or not x else f"{a / x:.2f}"


def strip_rows(results: dict) -> dict:
    """The results without the per-query row lists (for JSON output)."""
    out = json.loads(json.dumps(results))
    for entry in out["sizes"].values():
        for res in entry["engines"].values():
            res.get("serve", {}).pop("rows", None)
    return out


def format_table(header: list[str], rows: list[list[str]], markdown: bool) -> list[str]:
    """A Markdown table, or the same cells aligned in plain columns for a terminal."""
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "--:" for i in range(len(header))) + "|"]
        out += ["| " + " | ".join(r + [""] * (len(header) - len(r))) + " |" for r in rows]
        return out
    # Rows cut short by a note ("skipped: ...") do not widen the columns: the note runs on past them.
    full = [r for r in rows if len(r) == len(header)]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *full)]
    for r in rows:
        widths[0] = max(widths[0], len(r[0]))

    def line(cells):
        n = len(cells) - 1 if len(cells) < len(header) else len(cells)
        text = "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells[:n], widths)))
        return (text + "  " + "  ".join(cells[n:])).rstrip()
    return [line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]


def _serve_rss(s: dict) -> str:
    """Peak RSS of the serving process, and (+) how much of it came after the imports."""
    if s.get("peak_rss_mb") is None:
        return "–"
    extra = f" (+{s['peak_rss_mb'] - s['rss_start_mb']:.0f})" if s.get("rss_start_mb") is not None else ""
    return f"{s['peak_rss_mb']:.0f}{extra}"


def engine_rows(entry: dict) -> list[list[str]]:
    rows = []
    for eng, res in entry["engines"].items():
        b, s = res.get("build", {}), res.get("serve", {})
        if "error" in b or "error" in s:
            rows.append([LABELS[eng], "failed: " + (b.get("error") or s.get("error"))[:70]])
            continue
        if not b:
            rows.append([LABELS[eng], "skipped: " + str(res.get("skipped"))])
            continue
        head = [LABELS[eng], _f(b.get("build_total_s"), ".2f"), _f(b.get("peak_rss_mb"), ".0f"),
                _f(s.get("load_s", 0) * 1e3, ".1f"), _serve_rss(s), _f(b.get("disk_mb"), ".0f")]
        if "skipped" in s:
            rows.append(head + ["queries skipped: " + s["skipped"]])
            continue
        bk = s.get("by_kind", {})
        kind = " / ".join(_f(bk.get(x, {}).get("p50_ms"), ".2f") for x in ("scifact", "zipf"))
        rows.append(head + [_f(s["p50_ms"], ".3f"), _f(s["p99_ms"], ".2f"), kind, _f(s["qps"], ".0f"),
                            _f(s.get("overlap_at_k_vs_ours"), ".3f")])
    return rows


def ratio_rows(entry: dict) -> list[list[str]]:
    ours = entry["engines"].get(OURS, {})
    ob, os_ = ours.get("build", {}), ours.get("serve", {})
    if "p50_ms" not in os_:
        return []
    rows = []
    for eng, res in entry["engines"].items():
        if eng == OURS:
            continue
        b, s = res.get("build", {}), res.get("serve", {})
        if not b or "error" in b:
            rows.append([LABELS[eng], "n/a: " + str(res.get("skipped") or b.get("error"))])
            continue
        rows.append([LABELS[eng], _ratio(os_["qps"], s.get("qps")), _ratio(os_["p50_ms"], s.get("p50_ms")),
                     _ratio(os_["p99_ms"], s.get("p99_ms")), _ratio(ob["build_total_s"], b.get("build_total_s")),
                     _ratio(os_["load_s"], s.get("load_s")), _ratio(os_["peak_rss_mb"], s.get("peak_rss_mb")),
                     _ratio(ob["peak_rss_mb"], b.get("peak_rss_mb")), _ratio(ob["disk_mb"], b.get("disk_mb"))])
    return rows


def render_tables(results: dict, markdown: bool = False) -> str:
    m, cfg = results["machine"], results["config"]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    bullet = "- " if markdown else ""
    lines = []
    if markdown:
        lines += ["## BM25 engines compared (benchmarks/bench.py)", ""]
    lines += [f"{bullet}Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}; {pk}",
              f"{bullet}Run: queries {cfg['queries']} (half SciFact, half Zipf), top-{cfg['k']}, single-threaded, "
              f"chunking {cfg['chunking']}, seed {cfg['seed']}, BM25 k1={K1} b={B} epsilon={EPSILON}"]
    ing = results.get("ingest")
    if ing and ing["chunks"]:
        lines.append(f"{bullet}Ingest (split + tokenize SciFact text, one core): {ing['chunks_per_s']:,.0f} chunks/s, "
                     f"{ing['tokens_per_s']:,.0f} tokens/s, {ing['mb_per_s']:.2f} MB/s ({ing['chunks']:,} chunks in "
                     f"{ing['seconds']:.1f} s)")
    if "wall_s" in results:
        lines.append(f"{bullet}Whole run: {results['wall_s']:.0f} s")
    lines.append("")
    header = ["engine", "build s", "build peak MB", "load ms", "serve peak MB (+after imports)", "disk MB", "p50 ms", "p99 ms",
              "p50 SciFact/Zipf ms", "qps", "overlap@10"]
    rheader = ["this ÷", "qps", "p50", "p99", "build time", "load time", "serve peak RSS", "build peak RSS", "disk"]
    for label, entry in results["sizes"].items():
        c = entry["corpus"]
        lines.append(f"{'### ' if markdown else '== '}{label}: {c['passages']:,} passages ({c['real_passages']:,} SciFact, "
                     f"{c['synthetic_passages']:,} Zipf), {c['tokens']:,} tokens, {c['vocab_used']:,} terms, "
                     f"{c['queries']} queries")
        if "parity" in entry:
            p = entry["parity"]
            lines.append(f"Parity BM25Index vs rank_bm25.BM25Okapi ({p.get('passages', 0):,} passages, "
                         f"{p.get('queries')} queries): max |score diff| dense {p.get('max_abs_diff_dense')}, "
                         f"top-k {p.get('max_abs_diff_topk')}")
        lines.append("")
        lines += format_table(header, engine_rows(entry), markdown)
        rr = ratio_rows(entry)
        if rr:
            lines += ["", "Ratios this engine ÷ other (qps > 1: this engine faster; times, RSS, disk < 1: this "
                          "engine faster/leaner):", ""]
            lines += format_table(rheader, rr, markdown)
        os_ = entry["engines"].get(OURS, {}).get("serve", {})
        if "scoped_p50_ms" in os_:
            lines += ["", f"BM25Index with a scope filter (2 of {len(SCOPES)} scopes, as the bot searches): "
                          f"p50 {os_['scoped_p50_ms']:.3f} ms, p99 {os_['scoped_p99_ms']:.2f} ms"]
        lines.append("")
    lines.append("Notes: build = build + save to disk (tantivy: indexing + commit on 1 thread; rank-bm25: pickle). "
                 "Load = open from disk at startup (BM25Index and bm25s memory-map; rank-bm25 unpickles). Peak RSS "
                 "= VmHWM of a fresh process per phase: the build peak includes the token lists handed to the "
                 "engine, the serve peak the interpreter and imports (~baseline in JSON as rss_start_mb). "
                 "overlap@10 = share of BM25Index's top-10 rows the engine also returns (bm25s and tantivy score "
                 "other BM25 variants: clamped idf, Lucene idf and quantized lengths).")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10k,100k,1m", help="comma-separated corpus sizes, e.g. 10k,100k,1m")
    ap.add_argument("--queries", type=int, default=1000, help="number of queries (half SciFact, half Zipf)")
    ap.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset of " + ",".join(ENGINES))
    ap.add_argument("--json", dest="json_out", help="write all figures to this JSON file")
    ap.add_argument("--markdown", action="store_true", help="print the tables as a Markdown block for BENCHMARKS.md")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--k", type=int, default=TOP_K)
    ap.add_argument("--budget", type=float, default=300.0,
                    help="seconds of queries an engine may take per size before it is skipped (rank-bm25 scans all)")
    ap.add_argument("--chunking", choices=("sentences", "passages"), default="sentences")
    ap.add_argument("--workdir", help="where the token corpora and indexes go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the token corpora and workdir")
    ap.add_argument("--reuse", action="store_true", help="with --e2e and --workdir: reuse the database built by "
                    "an earlier run (only the serve phase runs again)")
    ap.add_argument("--e2e", metavar="SIZE", help="instead of the engines: Corpus end to end at SIZE (a real SQLite "
                    "database via ingest_records; ask p50/p99, load, one-document add until searchable)")
    ap.add_argument("--no-progress", action="store_true")
    ap.add_argument("--no-parity", action="store_true", help="skip the rank-bm25 parity check on the smallest size")
    ap.add_argument("--no-isolate", action="store_true", help="run every phase in this process (RSS then overlaps)")
    # internal: one phase of one engine in a fresh process
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--index-dir", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        _worker_main(args)
        return 0
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        ap.error(f"unknown engines: {', '.join(sorted(unknown))}")
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    log = (lambda *a: print(*a, file=sys.stderr, flush=True))
    if args.e2e:
        e2e = run_e2e(parse_size(args.e2e), args.queries, seed=args.seed, keep=args.keep or args.reuse,
                      isolate=not args.no_isolate, reuse=args.reuse,
                      workdir=Path(args.workdir) if args.workdir else None, progress=not args.no_progress, log=log)
        print(render_e2e(e2e, markdown=args.markdown))
        if args.json_out:
            Path(args.json_out).write_text(json.dumps({"machine": machine_info(), "e2e": e2e}, indent=1), encoding="utf-8")
        return 0
    t0 = time.perf_counter()
    results = run_benchmark(sizes, args.queries, engines, seed=args.seed, k=args.k, budget_s=args.budget,
                            isolate=not args.no_isolate, workdir=Path(args.workdir) if args.workdir else None,
                            chunking=args.chunking, keep=args.keep, progress=not args.no_progress, log=log,
                            parity=not args.no_parity)
    results["wall_s"] = time.perf_counter() - t0
    text = render_tables(results, markdown=args.markdown)
    print(text)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(strip_rows(results), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
