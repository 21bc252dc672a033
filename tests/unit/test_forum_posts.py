"""Forum posts: which question to ask for a post (title, then title with text) and when to reply."""

from __future__ import annotations

from retrieval.forum_posts import answer_post, looks_like_question, questions_for, worth_posting
from retrieval.models import NOT_FOUND, NOT_SURE, Answer


def _answer(question: str, confidence: str) -> Answer:
    return Answer(question, confidence != NOT_FOUND, "x" if confidence != NOT_FOUND else None, None,
                  confidence=confidence)


def test_a_question_title_is_asked_alone_first_a_topic_title_with_the_text() -> None:
    assert looks_like_question("How do I rotate the logs?") and looks_like_question("why no sound")
    assert not looks_like_question("Sound problems on the laptop")
    assert list(questions_for("Why is there no sound?", "Since the update.", 200)) == [
        "Why is there no sound?", "Why is there no sound. Since the update."]
    assert list(questions_for("Sound problems", "Which driver plays audio?", 200)) == [
        "Sound problems. Which driver plays audio?"]
    assert list(questions_for("Where are the logs?", "", 200)) == ["Where are the logs?"]


def test_a_long_post_is_asked_by_its_beginning_cut_between_words() -> None:
    (question,) = questions_for("Backups", "word " * 500, 100)
    assert len(question) <= 100 and question.endswith("word")


def test_the_first_confident_reading_wins_and_only_confident_answers_are_posted() -> None:
    asked: list[str] = []

    def ask(question: str) -> Answer:
        asked.append(question)
        return _answer(question, NOT_SURE if len(asked) == 1 else "answered")

    answer = answer_post("What port does it use?", "The daemon, I mean.", 200, ask)
    assert len(asked) == 2 and answer is not None and answer.question == asked[1]
    assert worth_posting(answer, "confident")
    assert not worth_posting(_answer("q", NOT_SURE), "confident") and not worth_posting(_answer("q", NOT_FOUND), "confident")
    assert worth_posting(_answer("q", NOT_FOUND), "always") and not worth_posting(None, "always")
