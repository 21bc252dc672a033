"""The benchmark's fixed settings: BM25 parameters, top-k, seed, the Zipf generator, the engines and their labels."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ROOT / "benchmarks" / "bench.py"  # the command line; an isolated phase runs it again as a worker

K1, B, EPSILON = 1.5, 0.75, 0.25
TOP_K = 10
SEED = 20240605
# Zipf-Mandelbrot p(r) ~ 1/(r+Q)^S over VOCAB ranks. Q flattens the head so the most frequent term
# takes ~1.4% of tokens, as "cell" does in tokenized SciFact; S=1.1 is a usual slope for text.
ZIPF_S, ZIPF_Q, ZIPF_VOCAB = 1.1, 10.0, 300_000
ENGINES = ("bm25index", "bm25index_skipping", "rank_bm25", "bm25s", "tantivy", "pisa", "pisa_maxscore")
LABELS = {"bm25index": "BM25Index (this)", "bm25index_skipping": "BM25Index, skipping scorer",
          "rank_bm25": "rank-bm25", "bm25s": "bm25s", "tantivy": "tantivy", "pisa": "PISA (block-max WAND)",
          "pisa_maxscore": "PISA (MaxScore)"}
OURS = "bm25index"
WARMUP = 10
SCOPES = ("global", "g1", "g2", "g3")  # passages spread over a few scopes, as guilds are in the bot
