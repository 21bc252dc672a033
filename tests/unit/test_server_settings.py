"""Per-server settings: each value a moderator types is parsed into a typed value or one clear line."""

from __future__ import annotations

import pytest

from retrieval.errors import BadSetting
from retrieval.server_settings import ServerSettingsBook, ServerSettings
from retrieval.store import Store

FORUM, OTHER = 123456789012345678, 223456789012345678


def test_channel_settings_parse_mentions_and_ids_or_refuse_in_one_line() -> None:
    assert ServerSettingsBook.parse("forum_channels", f"<#{FORUM}>, {OTHER}") == frozenset({FORUM, OTHER})
    assert ServerSettingsBook.parse("notices_channel", f"<#{FORUM}>") == FORUM
    assert ServerSettingsBook.parse("forum_replies", "Always") == "always"
    assert ServerSettingsBook.parse("notices_channel", "none") is None  # back to the default
    for name, bad in (("forum_channels", "#help"), ("notices_channel", f"{FORUM} {OTHER}"),
                      ("forum_replies", "sometimes"), ("no_such", "1")):
        with pytest.raises(BadSetting) as refused:
            ServerSettingsBook.parse(name, bad)
        assert "\n" not in str(refused.value) and name in str(refused.value)


def test_forum_and_notice_settings_are_stored_per_server(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    try:
        book = ServerSettingsBook(store, ServerSettings())
        book.change("1", "forum_channels", str(FORUM), "mod")
        book.change("1", "notices_channel", str(OTHER), "mod")
        again = ServerSettingsBook(store, ServerSettings())  # read back from the database
        assert again.get("1").forum_channels == frozenset({FORUM}) and again.get("1").notices_channel == OTHER
        assert again.get("2") == ServerSettings()
        shown = dict((name, text) for name, text, _ in again.describe("1"))
        assert shown["forum_channels"] == f"<#{FORUM}>" and shown["notices_channel"] == f"<#{OTHER}>"
    finally:
        store.close()


def test_the_gaps_summary_comes_once_a_period_with_only_that_periods_questions(tmp_path) -> None:
    from datetime import datetime, timedelta, timezone

    from retrieval import notices
    from retrieval.models import NOT_FOUND, Answer

    store = Store(tmp_path / "s.db")
    try:
        week, start = timedelta(days=7), datetime.now(timezone.utc)
        assert notices.gaps_summary_due(store, "1", week, start) is None  # first look: the period starts
        store.record_unanswered("1", "old question about tides", "tides", NOT_FOUND)
        store.record_notice("1", notices.GAPS_SUMMARY, (start - timedelta(days=8)).isoformat(timespec="seconds"))
        from retrieval import gaps
        gaps.record(store, "1", Answer("when do the ferries run?", False, None, None))
        gaps.record(store, "2", Answer("what is on the menu?", False, None, None))  # another server's
        due = notices.gaps_summary_due(store, "1", week, start)
        assert due is not None and {g.question for g in due.gaps} == {"old question about tides", "when do the ferries run?"}
        start += timedelta(seconds=2)  # posted a moment after the last question
        notices.mark_posted(store, "1", start)
        assert notices.gaps_summary_due(store, "1", week, start + timedelta(days=6)) is None  # not yet
        assert notices.gaps_summary_due(store, "1", week, start + timedelta(days=8)) is None  # nothing new asked
        assert store.last_notice("1", notices.GAPS_SUMMARY) == (start + timedelta(days=8)).isoformat(timespec="seconds")
    finally:
        store.close()
