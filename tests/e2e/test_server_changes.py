"""Changes per server (issue 10): one at a time in a server, side by side across servers, within a quota."""

from __future__ import annotations

import threading

import pytest

import retrieval.corpus as corpus_module
from retrieval.errors import CorpusBusy, QuotaExceeded


def test_a_slow_upload_in_one_server_does_not_block_another(empty_corpus, monkeypatch) -> None:
    started, release = threading.Event(), threading.Event()
    original = corpus_module.prepare_bounded

    def slow_prepare(data, name, *args, **kwargs):
        if name == "slow.txt":
            started.set()
            assert release.wait(10)
        return original(data, name, *args, **kwargs)

    monkeypatch.setattr(corpus_module, "prepare_bounded", slow_prepare)
    errors: list[BaseException] = []

    def slow_upload() -> None:
        try:
            empty_corpus.add_bytes(b"Basalt columns cool slowly.", "slow.txt", scope="server-a")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    worker = threading.Thread(target=slow_upload)
    worker.start()
    assert started.wait(10)
    try:
        # another server's change lands while server A's file is still being read
        empty_corpus.add_bytes(b"Obsidian is volcanic glass.", "glass.txt", scope="server-b")
        assert [d.id for d in empty_corpus.documents("server-b") if d.scope == "server-b"] == ["server-b/glass"]
        # a second change in server A is refused at once, with one line
        with pytest.raises(CorpusBusy):
            empty_corpus.add_bytes(b"Pumice floats.", "pumice.txt", scope="server-a")
        with pytest.raises(CorpusBusy):
            empty_corpus.check_not_busy("server-a")
        empty_corpus.check_not_busy("server-b")
    finally:
        release.set()
        worker.join(10)
    assert not errors
    assert {d.id for d in empty_corpus.documents("server-a") if d.scope} == {"server-a/slow"}
    assert empty_corpus.search("basalt obsidian", scope="server-a")[0].doc_id == "server-a/slow"


def test_quotas_count_documents_passages_and_text(empty_corpus) -> None:
    empty_corpus.settings = empty_corpus.settings.with_(server_max_documents=2, server_max_chars=200)
    empty_corpus.add_bytes(b"Granite is an igneous rock.", "granite.txt", scope="s")
    empty_corpus.add_bytes(b"Marble is a metamorphic rock.", "marble.txt", scope="s")
    with pytest.raises(QuotaExceeded, match="3 documents; the limit is 2"):
        empty_corpus.add_bytes(b"Shale is sedimentary.", "shale.txt", scope="s")
    empty_corpus.add_bytes(b"Marble is a metamorphic rock made from limestone.", "marble.txt", scope="s")  # update
    with pytest.raises(QuotaExceeded, match="characters of text"):
        empty_corpus.add_bytes(b"Marble " * 40, "marble.txt", scope="s")
    assert len([d for d in empty_corpus.documents("s") if d.scope == "s"]) == 2
    empty_corpus.add_bytes(b"Shale " * 30, "shale.txt", scope="other")  # each server has its own share
    empty_corpus.add_bytes(b"Basalt " * 100, "basalt.txt")  # the bundled corpus is the operator's: no quota
