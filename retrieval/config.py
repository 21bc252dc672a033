"""One frozen settings object, read from the environment once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = PROJECT_ROOT / "corpus"


def _default_db() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "corpus-qa" / "corpus.db"


@dataclass(frozen=True)
class Settings:
    """Every tunable of the product; defaults are justified in BENCHMARKS.md."""

    db_path: Path = field(default_factory=_default_db)
    corpus_dir: Path = BUNDLED_CORPUS
    # BM25 Okapi, rank-bm25's definition. On SciFact k1=1.2 (the usual value) matches 1.5's nDCG@10 with a higher
    # Recall@100; Pyserini's k1=0.9, b=0.4 loses nDCG@10 over passages (BENCHMARKS.md, Quality).
    k1: float = 1.2
    b: float = 0.75
    epsilon: float = 0.25
    # Passages: whole sentences up to about an abstract's length (SciFact's median is 192 words), the next
    # passage restarting two sentences back, so that a claim's terms rarely fall on both sides of a cut.
    passage_words: int = 250
    passage_overlap_sentences: int = 2
    title_in_passages: bool = True
    # Answers.
    top_k: int = 3
    # A question is answered only when the matched share of its terms' IDF reaches this (see answer.py).
    min_coverage: float = 0.5
    # Unanswered questions are asked again with one phrase swapped for a WordNet synonym, at most this many
    # times ("cut off" -> "severed"); 0 turns it off. Only unanswered questions pay: a search each (BENCHMARKS.md).
    synonyms: int = 8
    max_question_chars: int = 1000
    max_file_bytes: int = 20 * 1024 * 1024
    # What one server may add (its uploads; the bundled corpus is the operator's): documents, passages and
    # characters of extracted text. 0 = no limit. A server at its limit removes documents before adding more.
    server_max_documents: int = 500
    server_max_passages: int = 50_000
    server_max_chars: int = 50_000_000
    # Uploads are read (parsed, split, tokenized) in a child process with these limits (retrieval/sandbox.py).
    upload_in_child: bool = True
    upload_cpu_seconds: int = 60
    upload_memory_mb: int = 2048
    # Servers whose administrators may change the bundled corpus (besides the bot's application owner).
    operator_guilds: frozenset[int] = frozenset()

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Read RETRIEVAL_* variables; explicit overrides win."""
        env = os.environ
        values: dict[str, object] = {}
        if env.get("RETRIEVAL_DB"):
            values["db_path"] = Path(env["RETRIEVAL_DB"]).expanduser()
        if env.get("RETRIEVAL_CORPUS_DIR"):
            values["corpus_dir"] = Path(env["RETRIEVAL_CORPUS_DIR"]).expanduser()
        if env.get("RETRIEVAL_OPERATOR_GUILDS"):
            values["operator_guilds"] = frozenset(int(g) for g in env["RETRIEVAL_OPERATOR_GUILDS"].replace(",", " ").split())
        for name, cast in (("k1", float), ("b", float), ("top_k", int), ("min_coverage", float),
                           ("synonyms", int), ("server_max_documents", int), ("server_max_passages", int),
                           ("server_max_chars", int), ("upload_cpu_seconds", int), ("upload_memory_mb", int)):
            key = f"RETRIEVAL_{name.upper()}"
            if env.get(key):
                values[name] = cast(env[key])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> "Settings":
        return replace(self, **changes)  # type: ignore[arg-type]
