"""Forum help posts (issue 12): a member opens a post with a title and a first message; the bot answers in
the post only when the documents answer it with confidence, unless the server asks for every reply.

Kept out of the Discord layer so the rule is testable on its own: which question to ask for a post, and
whether the answer is worth posting where a wrong or empty reply would only be noise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from .models import ANSWERED, Answer

_QUESTION_START = re.compile(r"^\s*(?:who|whom|whose|what|whats|when|where|which|why|how|is|are|can|could|"
                             r"does|do|did|should|will|would|may)\b", re.IGNORECASE)


def looks_like_question(title: str) -> bool:
    """A title that is itself the question ("How do I reset my password?"), not a topic ("Password help")."""
    return title.rstrip().endswith("?") or _QUESTION_START.match(title) is not None


def _clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary: a long post is asked by its beginning."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut or text[:limit]


def questions_for(title: str, body: str, max_chars: int) -> Iterator[str]:
    """What to ask, best first: the title alone when it is a question, then the title with the post's text."""
    title, body = _clip(title, max_chars), " ".join(body.split())
    if looks_like_question(title) or not body:
        yield title
    if body:
        yield _clip(f"{title.rstrip(' ?.!')}. {body}", max_chars)


def answer_post(title: str, body: str, max_chars: int, ask: Callable[[str], Answer]) -> Answer | None:
    """The answer for a post: the first confident one among `questions_for`, else the last tried."""
    answer = None
    for question in questions_for(title, body, max_chars):
        if not question.strip():
            continue
        answer = ask(question)
        if answer.confidence == ANSWERED:
            return answer
    return answer


def worth_posting(answer: Answer | None, replies: str) -> bool:
    """Reply in a forum post only with a confident answer, unless the server chose "always"."""
    if answer is None:
        return False
    return replies == "always" or answer.confidence == ANSWERED
