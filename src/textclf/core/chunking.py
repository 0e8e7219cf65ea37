"""Cutting a stream of items into lists, to bound memory and to hand work to workers."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

import numpy as np

CHUNK_CHARACTERS = 2_000_000  # characters of text per chunk: bounds the temporary memory


def batches(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of ``size`` items (the last one shorter)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def text_chunks(texts: Iterable[str], characters: int | None = None) -> Iterator[list[str]]:
    """Consecutive lists of texts holding about ``characters`` characters each
    (default :data:`CHUNK_CHARACTERS`)."""
    characters = characters or CHUNK_CHARACTERS
    if isinstance(texts, list | tuple):
        try:
            ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)) + 1)
        except TypeError:  # not all strings: the tokenizer names the bad document
            ends = np.arange(1, len(texts) + 1)
        start = 0
        while start < len(texts):
            base = ends[start - 1] if start else 0
            stop = int(np.searchsorted(ends, base + characters, side="left")) + 1
            yield list(texts[start:stop])
            start = stop
        return
    chunk: list[str] = []
    size = 0
    for text in texts:
        chunk.append(text)
        size += len(text) + 1 if isinstance(text, str) else 1
        if size >= characters:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk
