"""Fresh real SQLite databases in temp dirs, seeded from the bundled corpus or a tiny one."""

from __future__ import annotations

import asyncio
import gc
import sys
import json
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from retrieval.config import BUNDLED_CORPUS, Settings
from retrieval.corpus import Corpus

sys.path.insert(0, str(Path(__file__).parent))  # the shared helpers: discord_standin, pdf_maker, paths
DATA = Path(__file__).parent / "data"


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db_path=tmp_path / "db" / "corpus.db", corpus_dir=BUNDLED_CORPUS)


@pytest.fixture
def corpus(settings: Settings):
    c = Corpus(settings)
    yield c
    c.close()


@pytest.fixture
def empty_corpus(tmp_path: Path):
    c = Corpus(Settings(db_path=tmp_path / "empty" / "corpus.db", corpus_dir=tmp_path / "no-such-folder"))
    yield c
    c.close()


@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    """A small folder of documents a moderator might add."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "volcano.txt").write_text(
        "Mount Etna\n\nMount Etna is an active volcano on the east coast of Sicily. It erupted in 2021 "
        "and again in 2023. Its height is about 3,357 metres.", encoding="utf-8")
    (folder / "rivers.md").write_text(
        "# Rivers of Europe\n\nThe **Danube** flows through ten countries. It rises in the Black Forest "
        "of Germany and empties into the Black Sea.", encoding="utf-8")
    return folder


@pytest_asyncio.fixture
async def leak_check() -> AsyncIterator[None]:
    """Fail the test if an aiohttp session was left open or the event loop reported an unhandled error."""
    loop = asyncio.get_running_loop()
    reports: list[str] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, ctx: reports.append(str(ctx.get("message"))))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            yield
            gc.collect()
    finally:
        loop.set_exception_handler(previous)
    reports += [str(w.message) for w in caught if "nclosed" in str(w.message)]
    assert not reports, reports
