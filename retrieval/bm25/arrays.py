"""numpy helpers the engine's modules share."""

from __future__ import annotations

import numpy as np


def readonly(array: np.ndarray | None) -> np.ndarray | None:
    """A read-only view. Everything the compiled kernel reads is read-only, memory-mapped or built in
    memory alike, so numba compiles one specialization, once (warm_up), not another one on the first
    question after a document is added (a read-only array is another type to numba: 1.9 s at 1M)."""
    if array is None or not array.flags.writeable:
        return array
    view = array.view()
    view.flags.writeable = False
    return view


def cat(arrays: list[np.ndarray], dtype) -> np.ndarray:
    """Concatenated in `dtype` (an empty array of it for no arrays)."""
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype=dtype)


def ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Concatenated aranges lo[i]:hi[i], vectorized."""
    lens = (hi - lo).astype(np.int64)
    n = int(lens.sum())
    if not n:
        return np.zeros(0, dtype=np.int64)
    return np.repeat(lo - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens) + np.arange(n, dtype=np.int64)
