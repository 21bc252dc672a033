"""The token corpora: SciFact text split and tokenized, topped up by a seeded Zipf-Mandelbrot generator,
written to a folder with the queries (build_token_corpus) and read back by each engine's process (TokenCorpus)."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .config import ROOT, SCOPES, SEED, ZIPF_Q, ZIPF_S, ZIPF_VOCAB


def find_scifact() -> Path | None:
    candidates = [os.environ.get("BENCH_SCIFACT"), ROOT.parent / "shared/eval/data/scifact",
                  Path("/work/shared/eval/data/scifact")]
    for c in candidates:
        if c and (Path(c) / "corpus.jsonl").is_file():
            return Path(c)
    return None


def iter_real_chunks(scifact: Path, chunking: str = "sentences") -> Iterator[tuple[str, str]]:
    """(doc_id, text) of each chunk, in file order: sentences, or the project's passages."""
    from retrieval.text.passages import split_passages
    from retrieval.text.sentences import split_sentences

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

    from retrieval.text.tokenize import TOKENIZER_VERSION, tokenize

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
             "chunking": chunking, "note": "split + tokenize (retrieval.text.tokenize) of the real text, one core"}
    return tokens, doc_ids, stats


def real_queries(scifact: Path | None) -> list[list[str]]:
    from retrieval.text.tokenize import tokenize

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
