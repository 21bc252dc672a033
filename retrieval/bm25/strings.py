"""Strings stored as one blob: a million passage ids without a million str objects."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np


class Strings(Sequence[str]):
    """UTF-8 blob + offsets; decoded on access, so loading is a memory-map, not a split."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self.blob, self.offsets = blob, offsets

    @classmethod
    def from_list(cls, items: Sequence[str]) -> "Strings":
        encoded = [s.encode("utf-8") for s in items]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return bytes(self.blob[self.offsets[i] : self.offsets[i + 1]]).decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))


class Rows(Sequence[str]):
    """Passage ids of a snapshot: the base's rows, then the delta's."""

    def __init__(self, base: Sequence[str], delta: Sequence[str]) -> None:
        self.base, self.delta, self.n_base = base, delta, len(base)

    def __len__(self) -> int:
        return self.n_base + len(self.delta)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        return self.base[i] if i < self.n_base else self.delta[i - self.n_base]
