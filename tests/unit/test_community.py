"""Per-server rules without Discord: scopes, uploads, removal rights, more sources, feedback."""

from __future__ import annotations

import pytest

from cogs import embeds
from retrieval.community import (VOTE_DOWN, VOTE_UP, add_upload, check_upload, more_sources, own_documents,
                                 record_feedback, recent_feedback, remove_own, scope_of)
from retrieval.errors import BadDocument, NotAllowed, UnknownDocument

ETNA = b"Mount Etna\n\nMount Etna is an active volcano on the east coast of Sicily. It erupted in 2021."


def test_scope_of_servers_and_direct_messages() -> None:
    assert scope_of(None) == "" and scope_of(123) == "123" and scope_of("9") == "9"


@pytest.mark.parametrize("name,size,message", [("a.exe", 10, "unsupported"), ("a", 10, "unsupported"),
                                               ("a.txt", 0, "empty"), ("a.pdf", 10**9, "too big")])
def test_uploads_are_checked_before_download(settings, name: str, size: int, message: str) -> None:
    with pytest.raises(BadDocument, match=message):
        check_upload(name, size, settings)


def test_a_server_sees_and_removes_only_its_own_uploads(corpus) -> None:
    add_upload(corpus, ETNA, "etna.txt", scope="A")
    assert [d.title for d in own_documents(corpus, "A", "etn")] == ["Mount Etna"]
    assert own_documents(corpus, "B") == [] and own_documents(corpus, "") == []
    assert any("Etna" in h.text for h in corpus.search("Etna volcano", scope="A"))
    assert not any("Etna" in h.text for h in corpus.search("Etna volcano Cuba", scope="B"))
    with pytest.raises(UnknownDocument):
        remove_own(corpus, "Mount Etna", "B")
    bundled = corpus.documents("")[0]
    with pytest.raises(NotAllowed, match="bundled corpus"):
        remove_own(corpus, bundled.id, "A")
    assert remove_own(corpus, "mount etna", "A").title == "Mount Etna"
    assert corpus.documents("A") == corpus.documents("")


def test_more_sources_skips_what_was_cited(corpus) -> None:
    first = corpus.search("Cuba South Korea diplomatic relations", k=3, scope="A")
    more = more_sources(corpus, "Cuba South Korea diplomatic relations", "A", {h.passage_id for h in first}, n=3)
    assert more and not {h.passage_id for h in more} & {h.passage_id for h in first}
    assert [h.score for h in more] == sorted((h.score for h in more), reverse=True)


def test_feedback_is_per_server_with_downvotes_first(corpus) -> None:
    record_feedback(corpus, "A", 1, "q1", "a1", ["d#0"], VOTE_UP)
    record_feedback(corpus, "A", 2, "q2", "a2", ["d#1"], VOTE_DOWN)
    record_feedback(corpus, "B", 3, "q3", "a3", [], VOTE_DOWN)
    assert [r["question"] for r in recent_feedback(corpus, "A")] == ["q2", "q1"]
    assert [r["question"] for r in recent_feedback(corpus, "B")] == ["q3"]
    with pytest.raises(ValueError):
        record_feedback(corpus, "A", 1, "q", "a", [], 5)


def test_one_vote_per_user_and_answer_survives_a_restart(settings) -> None:
    from retrieval.corpus import Corpus

    first = Corpus(settings)
    assert record_feedback(first, "A", 1, "q", "a", ["d#0"], VOTE_DOWN, message_id=77)
    assert not record_feedback(first, "A", 1, "q", "a", ["d#0"], VOTE_DOWN, message_id=77)
    first.close()
    again = Corpus(settings)
    assert not record_feedback(again, "A", 1, "q", "a", ["d#0"], VOTE_DOWN, message_id=77)
    assert record_feedback(again, "A", 1, "q", "a", ["d#0"], VOTE_UP, message_id=77)  # changed mind: replaced
    assert record_feedback(again, "A", 2, "q", "a", ["d#0"], VOTE_DOWN, message_id=77)  # another user
    assert [(r["user_id"], r["vote"]) for r in recent_feedback(again, "A")] == [("2", -1), ("1", 1)]
    again.close()


def test_answer_embed_round_trips_question_and_passage_ids(corpus) -> None:
    answer = corpus.ask("when did Cuba recognize South Korea?")
    embed = embeds.to_embed(answer)
    assert embeds.question_of(embed) == "when did Cuba recognize South Korea?"
    assert embeds.passage_ids_of(embed) == [c.hit.passage_id for c in answer.citations]


def test_embeds_stay_within_discord_limits(corpus) -> None:
    hits = corpus.search("Cuba Korea relations embassy president", k=10)
    huge = hits[0].__class__(**{**hits[0].__dict__, "text": "word " * 3000, "title": "T" * 400})
    for embed in (embeds.hits_embed("q" * 500, [huge] * 30), embeds.documents_embed("x", corpus.documents() * 300, ""),
                  embeds.context_embed("p" * 5000, "b" * 3000, "a" * 3000, "t", "s", "d#0")[0]):
        assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096 and len(embed["fields"]) <= 25
        assert all(len(f["value"]) <= 1024 and len(f["name"]) <= 256 for f in embed["fields"])
        assert embeds._embed_size(embed) <= 6000


def test_a_passage_longer_than_an_embed_is_paged_whole_without_splitting_words() -> None:
    text = " ".join(f"Sentence {i} says *something* about fjords_{i}." for i in range(400))  # ~17k characters
    pages = embeds.passage_pages(text)
    assert len(pages) > 4 and " ".join(pages) == text  # nothing lost, nothing repeated
    assert all(len(embeds._escape_markdown(p)) <= embeds.PASSAGE_PAGE for p in pages)
    assert all(p.endswith(".") for p in pages)  # cut at sentence ends
    first, count = embeds.context_embed(text, "before", "after", "Fjords", "src", "d#0", page=0)
    last, _ = embeds.context_embed(text, "before", "after", "Fjords", "src", "d#0", page=count - 1)
    assert count == len(pages) and "page 1 of" in first["title"] and f"page {count} of {count}" in last["title"]
    assert "before" in first["description"] and "after" not in first["description"]
    assert "after" in last["description"] and "Sentence 399" in last["description"]
    assert embeds.context_embed("short", "", "", "t", "s", "d#0") == (embeds.context_embed("short", "", "", "t", "s",
                                                                                           "d#0", 5)[0], 1)


def test_mentions_are_defused_in_every_embed() -> None:
    embed = embeds.hits_embed("@everyone <@123> <@&4>", [])
    assert "@everyone" not in embed["title"] and "<@123>" not in embed["title"] and "<@&4>" not in embed["title"]


def test_a_database_from_before_vote_ids_gets_the_column(tmp_path) -> None:
    import sqlite3

    from retrieval.store import Store

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table feedback (id integer primary key, scope text, user_id text, question text, "
                     "answer text, passage_ids text, vote integer, created_at text)")
        conn.execute("insert into feedback (scope, user_id, question, answer, passage_ids, vote, created_at) "
                     "values ('A', '1', 'old q', 'a', '', -1, '2026-01-01')")
    store = Store(path)
    assert store.add_feedback("A", "1", "new q", "a", [], 1, message_id="5")
    assert [r["question"] for r in store.feedback("A")] == ["new q", "old q"]
    store.close()


def test_sources_are_paged_after_the_cited_ones(corpus) -> None:
    from retrieval.community import sources_page

    cited = {h.passage_id for h in corpus.search("Cuba", k=2, scope="A")}
    page1, more1 = sources_page(corpus, "Cuba", "A", cited, 0, n=2)
    page2, _ = sources_page(corpus, "Cuba", "A", cited, 2, n=2)
    assert len(page1) == 2 and more1 and not {h.passage_id for h in page1} & cited
    assert not {h.passage_id for h in page1} & {h.passage_id for h in page2}
    last, more = sources_page(corpus, "Cuba", "A", cited, 100, n=2)  # past the end: the last page, no Next
    assert not more


def test_a_web_report_pings_nobody_previews_nothing_and_fits_a_message() -> None:
    from cogs.embeds import web_report

    text = web_report("#1 http://h.org/a_b.html: 1 added @everyone **x**\n- skipped http://h.org/x: robots.txt")
    assert text.startswith("#1 <http://h.org/a_b.html>: 1 added @\u200beveryone \\*\\*x\\*\\*")
    assert "- skipped <http://h.org/x>: robots.txt" in text
    long = web_report("".join(f"- added: https://docs.example.org/page{n}.html\n" for n in range(200)))
    assert len(long) <= 1900 and long.endswith("\n…") and long.count("<https://") == long.count(">")
