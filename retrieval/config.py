"""One frozen settings object, read from the environment once, validated; and the readers of environment
variables that the bot's settings (bot.py) use too, so every bad value is the same kind of one line.

Not pydantic-settings: its import (pydantic and its core) would cost a console question about a third of
its 0.25 s (BENCHMARKS.md, Console start), for a dozen numbers and paths checked here in a few lines.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from .errors import BadSetting

SCORERS = ("auto", "numpy", "compiled", "skipping")  # how BM25 scores; retrieval/bm25/compiled.py: BACKENDS

T = TypeVar("T", int, float)


def env_text(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def env_path(name: str) -> Path | None:
    value = env_text(name)
    return Path(value).expanduser() if value else None


def env_number(name: str, cast: Callable[[str], T]) -> T | None:
    value = env_text(name)
    if value is None:
        return None
    try:
        return cast(value)
    except ValueError:
        kind = "a whole number" if cast is int else "a number"
        raise BadSetting(f"{name} must be {kind}, not {value!r}") from None


def env_flag(name: str, default: bool) -> bool:
    value = env_text(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise BadSetting(f"{name} must be 1 or 0 (true or false), not {value!r}")


def env_ids(name: str) -> frozenset[int] | None:
    """Discord ids, comma or space separated."""
    value = env_text(name)
    if value is None:
        return None
    try:
        return frozenset(int(v) for v in value.replace(",", " ").split())
    except ValueError:
        raise BadSetting(f"{name} must be server ids (numbers) separated by commas, not {value!r}") from None

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(target: object) -> bool:
    """A PostgreSQL address (RETRIEVAL_DB, copy-db's target), as opposed to an SQLite file's path."""
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = PROJECT_ROOT / "corpus"


def _default_db() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "corpus-qa" / "corpus.db"


@dataclass(frozen=True)
class Settings:
    """Every tunable of the product; defaults are justified in BENCHMARKS.md."""

    db_path: Path = field(default_factory=_default_db)
    # A PostgreSQL address (RETRIEVAL_DB=postgresql://...) instead of the SQLite file: the store several processes
    # share. Each process keeps its index in index_path (RETRIEVAL_INDEX_DIR; default: beside the SQLite file, or
    # in the data folder under the PostgreSQL database's name).
    db_url: str | None = None
    index_path: Path | None = None
    # Where heavy changes run: "inline" in the process that received them, or "worker": queued in the PostgreSQL
    # store for `python -m retrieval worker` (retrieval/jobs.py).
    jobs: str = "inline"
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
    # Web sources (retrieval/web/): a source's bounds (a moderator may ask for less), one request's limits, the
    # pause between two requests to one host, and the inside networks the bot may fetch from (none by default).
    web_max_pages: int = 200
    web_max_depth: int = 3
    web_max_total_bytes: int = 100 * 1024 * 1024
    web_max_seconds: float = 600.0
    web_timeout_seconds: float = 20.0
    web_request_interval: float = 0.5
    web_allow_networks: tuple = ()
    # Servers whose administrators may change the bundled corpus (besides the bot's application owner).
    operator_guilds: frozenset[int] = frozenset()
    # The engine that ranks passages: "bm25" (retrieval/bm25/), or a module of your own (retrieval/engines.py).
    engine: str = "bm25"
    # How BM25 scores: "auto" compiles (numba) segments of 20,000+ passages, "numpy" never, "compiled" always,
    # "skipping" always and skips postings by block-max MaxScore in every segment (auto and compiled skip from
    # 2M passages on, where it is faster; exact either way: BENCHMARKS.md).
    scorer: str = "auto"
    # Questions answered in this many worker processes (retrieval/ask_pool.py), 0 = in the bot's own process.
    # The answer layer is Python, holding the GIL: threads do not add throughput, processes do (one per core).
    ask_workers: int = 0

    def __post_init__(self) -> None:
        """Values that cannot work are refused here, with one line naming the setting."""
        checks = [("k1", self.k1 >= 0, "a number >= 0"), ("b", 0 <= self.b <= 1, "a number from 0 to 1"),
                  ("epsilon", self.epsilon >= 0, "a number >= 0"), ("top_k", 1 <= self.top_k <= 10, "1 to 10"),
                  ("min_coverage", 0 <= self.min_coverage <= 1, "a number from 0 to 1"),
                  ("max_question_chars", self.max_question_chars >= 1, "1 or more"),
                  ("passage_words", self.passage_words >= 1, "1 or more"),
                  ("upload_cpu_seconds", self.upload_cpu_seconds >= 1, "1 or more"),
                  ("upload_memory_mb", self.upload_memory_mb >= 64, "64 or more"),
                  ("scorer", self.scorer in SCORERS, "auto, numpy, compiled or skipping"),
                  ("ask_workers", 0 <= self.ask_workers <= 64 and (not self.ask_workers or (
                      self.engine == "bm25" and (bool(self.db_url) or str(self.db_path) != ":memory:"))),
                   "0 (none) to 64, with the bm25 engine and a database file or server (workers share it)"),
                  ("engine", bool(self.engine.strip()), "bm25 or a module name"),
                  ("jobs", self.jobs in ("inline", "worker") and (self.jobs == "inline" or bool(self.db_url)),
                   "inline, or worker with a postgresql:// RETRIEVAL_DB")]
        checks += [(name, getattr(self, name) >= 1, "1 or more")
                   for name in ("web_max_pages", "web_max_total_bytes", "web_max_seconds", "web_timeout_seconds")]
        checks += [("web_max_depth", 0 <= self.web_max_depth <= 20, "0 to 20"),
                   ("web_request_interval", 0 <= self.web_request_interval <= 60, "0 to 60 seconds")]
        checks += [(name, getattr(self, name) >= 0, "0 (no limit) or more")
                   for name in ("server_max_documents", "server_max_passages", "server_max_chars")]
        for name, ok, wanted in checks:
            if not ok:
                raise BadSetting(f"RETRIEVAL_{name.upper()} must be {wanted}, not {getattr(self, name)!r}")

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Read RETRIEVAL_* variables; explicit overrides win. A bad value is one BadSetting line."""
        values: dict[str, object] = {}
        if (db := env_text("RETRIEVAL_DB")) is not None:
            if is_postgres_url(db):
                values["db_url"] = db
            else:
                values["db_path"] = Path(db).expanduser()
        if (index := env_path("RETRIEVAL_INDEX_DIR")) is not None:
            values["index_path"] = index
        if (folder := env_path("RETRIEVAL_CORPUS_DIR")) is not None:
            values["corpus_dir"] = folder
        if (guilds := env_ids("RETRIEVAL_OPERATOR_GUILDS")) is not None:
            values["operator_guilds"] = guilds
        if (networks := env_text("RETRIEVAL_WEB_ALLOW_NETWORKS")) is not None:
            from .web.address_guard import parse_networks

            values["web_allow_networks"] = parse_networks(networks)
        for name in ("engine", "scorer", "jobs"):
            if (text := env_text(f"RETRIEVAL_{name.upper()}")) is not None:
                values[name] = text
        for name, cast in (("k1", float), ("b", float), ("top_k", int), ("min_coverage", float),
                           ("synonyms", int), ("server_max_documents", int), ("server_max_passages", int),
                           ("server_max_chars", int), ("upload_cpu_seconds", int), ("upload_memory_mb", int),
                           ("web_max_pages", int), ("web_max_depth", int), ("web_max_total_bytes", int),
                           ("web_max_seconds", float), ("web_timeout_seconds", float),
                           ("web_request_interval", float), ("ask_workers", int)):
            if (value := env_number(f"RETRIEVAL_{name.upper()}", cast)) is not None:
                values[name] = value
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    @property
    def database(self) -> "Path | str":
        """What the store opens: the PostgreSQL address when there is one, else the SQLite file."""
        return self.db_url or self.db_path

    def with_(self, **changes: object) -> "Settings":
        return replace(self, **changes)  # type: ignore[arg-type]
