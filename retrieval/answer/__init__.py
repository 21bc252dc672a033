"""Ranked passages -> an answer: the question's type and terms (question.py, spelling.py, thesaurus.py),
the sentences that may answer (sentences.py), typed candidates and the short answer (candidates.py,
short_answer.py), how sure it is (confidence.py), the cited snippets (snippets.py), all put together
by build.py. weights.py is the IDF view every stage scores with; matching.py the eval's answer match."""

from .build import build_answer

__all__ = ["build_answer"]
