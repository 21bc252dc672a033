"""Changes without touching the base: a delta segment of the passages added since the base was built,
and a deletion set of base rows that are gone. `build` merges everything back into one segment."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import numpy as np

from ..retriever import IndexRow
from .segment import Segment


def changed_parts(base: Segment, delta: Segment | None, deleted: np.ndarray | None, *, remove_docs: Iterable[str],
                  add: Iterable[IndexRow], epsilon: float) -> tuple[Segment, np.ndarray]:
    """The next snapshot's delta and deletion set: these documents' passages gone (base rows join the
    deletion set, delta rows are dropped) and `add` appended to the delta, which is rebuilt (it is small)."""
    removed = set(remove_docs)
    dead = set(deleted.tolist()) if deleted is not None else set()
    dead.update(base.rows_of_docs(removed))
    kept: Iterable[IndexRow] = ()
    if delta is not None:
        gone = set(delta.rows_of_docs(removed))
        kept = delta.bags(r for r in range(len(delta)) if r not in gone)
    new_delta = Segment.build(itertools.chain(kept, add), epsilon=epsilon)
    return new_delta, np.fromiter(sorted(dead), dtype=np.int64, count=len(dead))


def drift(base: Segment, delta: Segment | None, deleted: np.ndarray | None) -> int:
    """Rows changed since the base was built: the delta's plus the deleted ones."""
    return (len(delta) if delta is not None else 0) + (len(deleted) if deleted is not None else 0)
