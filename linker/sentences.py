"""Rough sentences of an article: what the linker reads context from and the compare view shows.

A module of its own, light to import: the reader needs it, the linker's heavier modules it need not load.
"""

from __future__ import annotations

import re

SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+[”\"’']?|\n|$)")


def sentences(text: str) -> list[tuple[int, int]]:
    """Rough sentence spans (character offsets)."""
    return [(m.start(), m.end()) for m in SENTENCE.finditer(text) if m.group().strip()]


def sentence_index(spans: list[tuple[int, int]], pos: int) -> int:
    lo, hi = 0, len(spans) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if spans[mid][0] <= pos:
            lo = mid
        else:
            hi = mid - 1
    return lo
