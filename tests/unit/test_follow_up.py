"""A follow-up leans on the thread's earlier question only when it is short or refers back."""

from __future__ import annotations

from retrieval.follow_up import needs_context, read_with


def test_a_short_or_referring_question_takes_the_missing_words() -> None:
    earlier = "When did the lighthouse at Skagen open?"
    assert read_with(earlier, "and when did it close?") == "and when did it close (lighthouse Skagen open)"
    assert read_with(earlier, "what about Hirtshals?") == "what about Hirtshals (lighthouse open)"  # a new name
    assert read_with(earlier, "Who designed the ferry terminal in Frederikshavn harbour?") is None  # stands alone
    assert read_with(None, "and when did it close?") is None  # no earlier question


def test_what_refers_back() -> None:
    assert needs_context("and the other one?") and needs_context("Who built it?")
    assert not needs_context("Which architect designed the Oslo opera house roof?")
