"""The vocabulary featuriser: one column per n-gram term seen in enough training documents.

``fit`` learns the vocabulary (terms in at least ``min_df`` documents, the ``max_features``
most frequent if set, sorted alphabetically), the document frequency df(t) of each term and
idf(t). It gets the same counts as the lecture's :func:`~textclf.features.tokens.
naive_count_matrix`, much faster: integer ids for tokens and n-grams
(:mod:`~textclf.features.tokens`, :mod:`~textclf.features.counting`), in chunks of bounded
size, on several workers (``jobs``); tests hold the two equal.

With ``char_ngrams`` the featuriser holds two blocks, each a vocabulary featuriser of its
own (``parts``): word n-grams (unless ``ngrams`` is 0) and character n-grams
(:mod:`~textclf.features.tokens`: the same counting with characters as tokens), side by side
in one [X | 1] (:func:`join_blocks`). Each block is weighted on its own (its own vocabulary,
df and idf, and for the nb weightings its own ratios). Where the weighting scales rows to
unit length (tfidf, nb, tfidf-nb), each of the B blocks is then scaled by 1/√B, so that the
whole row has unit length and each block weighs the same however many n-grams it has (a
document has several times more character n-grams than words).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
import scipy.sparse as sp

from textclf.core import jit
from textclf.core.memory import large_blocks_mapped, release_free_memory
from textclf.core.parallel import ordered_map, text_chunks
from textclf.core.sparse import RowFiller, add_bias_column, count_matrix, select_columns, stack_rows
from textclf.errors import SettingsError
from textclf.features.counting import (
    PIECE_CHARACTERS,
    count_chunk,
    counts_with_long_texts,
    longest,
    merge_chunks,
)
from textclf.features.featurizer import Featurizer, workers
from textclf.features.settings import FeatureSettings
from textclf.features.terms import (
    GramIndex,
    TermNames,
    alphabetical_order,
    checked_lengths,
    most_frequent,
    pack_terms,
    unpack_terms,
)
from textclf.features.tokens import (
    CharNames,
    CharSplitter,
    char_term_name,
    naive_count_matrix,
    token_ranges,
)
from textclf.features.weighting import (
    check_document_counts,
    fill_chunks,
    fill_weighted,
    inverse_document_frequency,
    weight_counts,
)
from textclf.kernels.ngrams import term_counts

UNITS = ("words", "chars")


class VocabularyFeaturizer(Featurizer):
    """Vocabulary of n-grams and their weighting; ``transform`` gives [X | 1] as CSR."""

    kind = "vocabulary"

    def __init__(self, settings: FeatureSettings | None = None, *, jobs: int | None = None,
                 dtype=np.float64, unit: str | None = None, **kwargs: Any):
        super().__init__(settings, jobs=jobs, dtype=dtype, **kwargs)
        if self.settings.hash_bits is not None:
            raise SettingsError("hashed features need HashingFeaturizer (or Featurizer(...), "
                                "which chooses it)")
        if unit not in (None, *UNITS):
            raise SettingsError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")
        # unit: what this vocabulary is made of (None: words, or both blocks with chars)
        self.unit = unit
        self.gram_length, self.min_length, self.joiner = self.settings.ngrams, 1, " "
        if unit == "chars":
            self.splitter = CharSplitter(self.settings.lowercase, self.settings.char_mode)
            self.min_length, self.gram_length = self.settings.char_ngrams
            self.joiner = ""
        self.make_parts()

    def make_parts(self) -> None:
        """The blocks, where the settings ask for character n-grams (decided: not "auto")."""
        self.parts: dict[str, VocabularyFeaturizer] = {}
        if self.unit is None and self.settings.char_ngrams not in (None, "auto"):
            units = ("words", "chars") if self.settings.word_grams else ("chars",)
            self.parts = {u: VocabularyFeaturizer(self.settings, jobs=self.jobs,
                                                  dtype=self.dtype, unit=u) for u in units}
        self.terms: Sequence[str] = []  # a TermNames after fit, a list after load
        self.document_frequency = np.zeros(0, dtype=np.int64)
        self.idf = np.zeros(0)
        self._index: GramIndex | None = None
        self._index_arrays: tuple | None = None
        self._term_columns: dict[str, int] | None = None
        self._lock = threading.Lock()  # the lookups are built once, whichever thread asks

    def __getstate__(self) -> dict:  # for worker processes: locks do not pickle
        return {k: v for k, v in vars(self).items() if k != "_lock"}

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state, _lock=threading.Lock())

    # learning -------------------------------------------------------------------------------
    def fit_transform(self, texts: Iterable[str], labels: Sequence | None = None,
                      sample_weight: np.ndarray | None = None) -> sp.csr_matrix:
        """Learn the vocabulary from ``texts`` (and nb's ratios from ``labels``) and return
        their feature matrix [X | 1]."""
        if self.settings.char_ngrams == "auto":  # decided now, for these documents
            texts = texts if isinstance(texts, Sequence) else list(texts)
            self.settings = self.settings.resolved(texts)
            self.make_parts()
        if self.parts:
            texts = texts if isinstance(texts, Sequence) else list(texts)
            blocks = [part.fit_transform(texts, labels, sample_weight)
                      for part in self.parts.values()]
            self.learned_from_parts()
            return join_blocks(blocks, self.settings.weighting, self.dtype)
        with large_blocks_mapped():  # every large temporary freed goes back to the system
            return self.learn_label_weights(self._learn(texts), labels, sample_weight)

    def learned_from_parts(self) -> None:
        """The names, df and idf of the columns of all blocks, in order."""
        parts = list(self.parts.values())
        self.terms = JoinedNames([part.column_names() for part in parts])
        self.document_frequency = np.concatenate([p.document_frequency for p in parts])
        self.idf = np.concatenate([p.idf for p in parts])
        self.n_documents = parts[0].n_documents

    def column_scale(self) -> np.ndarray:
        if not self.parts:
            return super().column_scale()
        return np.concatenate([part.column_scale() for part in self.parts.values()])

    def lone_values(self) -> np.ndarray:
        if not self.parts:
            return super().lone_values()
        values = np.concatenate([part.lone_values() for part in self.parts.values()])
        return values * block_scale(self.settings.weighting, len(self.parts))

    def column_names(self) -> Sequence[str]:
        """The names of this vocabulary's columns: its terms, bracketed for characters."""
        return CharNames(self.terms) if self.unit == "chars" else self.terms

    def _learn(self, texts: Iterable[str]) -> sp.csr_matrix:
        count = partial(count_chunk, splitter=self.splitter, ngrams=self.gram_length)
        chunks = list(ordered_map(count, text_chunks(texts), workers(self.jobs),
                                  threads=jit.enabled()))
        if not chunks:
            raise SettingsError("cannot fit the featurizer on zero documents")
        release_free_memory()  # the counting's temporaries, before the merge's
        threads = workers(self.jobs) if jit.enabled() else 1  # numpy, scipy: no GIL either
        merged = merge_chunks(chunks, threads)
        spaced = next((t for t in merged.tokens if " " in t), None) if self.joiner else None
        if spaced is not None:
            raise SettingsError(
                f"token_pattern made the token {spaced!r} with a space in it; n-gram terms "
                "are tokens joined by spaces, so tokens must not contain spaces"
            )
        F = merged.n_columns
        n_documents = sum(chunk.X.shape[0] for chunk in chunks)
        df = np.zeros(F, np.int32 if n_documents < 2**31 else np.int64)  # F can be millions
        # a chunk's document frequencies over its own columns, added where they map to
        # (a chunk's columns map to distinct global columns, so += adds each once)
        chunk_df = [np.bincount(chunk.X.indices, minlength=chunk.X.shape[1]).astype(np.int32)
                    for chunk in chunks]
        for counts, column_map in zip(chunk_df, merged.column_maps, strict=True):
            df[column_map] += counts
        candidates = np.flatnonzero(df >= self.settings.min_df)
        release_free_memory()  # the merge's temporaries
        T, length = merged.token_matrix(candidates)
        if self.min_length > 1:  # character n-grams shorter than asked for
            long_enough = length >= self.min_length
            candidates, T, length = candidates[long_enough], T[long_enough], length[long_enough]
        order = most_frequent(alphabetical_order(merged.tokens, T), df[candidates],
                              self.settings.max_features)
        kept = candidates[order]
        T, length = T[order], length[order]
        tokens = merged.tokens
        self._index, self._term_columns = None, None
        self._index_arrays = (tokens, T, length)  # GramIndex built when first needed
        merged.levels = []  # the n-gram tables are spelled out in T now
        final = np.full(F + 1, -1, np.int32)
        final[kept] = np.arange(len(kept))
        self.document_frequency = df[kept].astype(np.int64)
        self.n_documents = n_documents
        self.idf = inverse_document_frequency(self.document_frequency, self.n_documents)
        del df, candidates, order
        # [X | 1] written chunk by chunk into arrays of its final size
        kept_nnz = [int(counts[final[cmap] >= 0].sum())  # each chunk's kept entries
                    for counts, cmap in zip(chunk_df, merged.column_maps, strict=True)]
        del chunk_df
        if jit.enabled():  # each chunk's rows written in place, on all threads
            counts = [chunk.X for chunk in chunks]
            chunks.clear()  # each chunk's counts freed once its rows are written
            X = fill_chunks(counts, merged.column_maps, final, kept_nnz, len(kept),
                            self.settings, self.idf, self.dtype, threads)
        else:
            out = RowFiller(sum(kept_nnz) + self.n_documents, self.n_documents, len(kept) + 1,
                            self.dtype)

            def weighted(c: int) -> sp.csr_matrix:  # chunk c's rows of X, its counts freed
                chunk, column_map = chunks[c], merged.column_maps[c]
                chunks[c] = merged.column_maps[c] = None  # type: ignore[call-overload]
                return self._weight(select_columns(chunk.X, final[column_map], len(kept)))

            for part in ordered_map(weighted, range(len(chunks)), threads, ahead=1):
                out.append(part)
                del part
                release_free_memory()  # so the chunk's pages do not add to X's
            X = out.matrix()
        self.terms = TermNames(tokens, T, length, self.joiner)  # spelled out when asked for
        return X

    # transforming --------------------------------------------------------------------------------
    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Feature matrix [X | 1] of ``texts``; terms outside the vocabulary are dropped."""
        self.check_fitted()
        if self.parts:
            texts = texts if isinstance(texts, Sequence) else list(texts)
            return join_blocks([part.transform(texts) for part in self.parts.values()],
                               self.settings.weighting, self.dtype)
        self.index()  # built once here, not in every worker
        parts = list(ordered_map(self.transform_chunk, text_chunks(texts), workers(self.jobs),
                                 threads=jit.enabled()))
        if not parts:
            return sp.csr_matrix((0, self.n_features), dtype=self.dtype)
        return self.apply_label_weights(stack_rows(parts, self.n_features, self.dtype))

    def transform_chunk(self, texts: list[str]) -> sp.csr_matrix:
        """[X | 1] of one chunk of texts: their counts (:meth:`counts`), weighted by numpy
        or, where that pays, in place by :func:`fill_weighted`; the same matrix either
        way."""
        counts = self.counts(texts)
        if not jit.worth(counts.nnz):
            return self._weight(counts)
        out = RowFiller(counts.nnz + len(texts), len(texts), self.n_features, self.dtype)
        out.row = len(texts)
        out.at = fill_weighted(out, counts, None, self.settings, self.idf.astype(self.dtype),
                               0, 0)
        return out.matrix()

    def counts(self, texts: list[str]) -> sp.csr_matrix:
        """How often each term of the vocabulary occurs in each text (texts longer than
        :data:`~textclf.features.counting.PIECE_CHARACTERS` counted in pieces): by numpy,
        or compiled (:func:`textclf.kernels.ngrams.term_counts`) where that pays."""
        if longest(texts) > PIECE_CHARACTERS:
            return counts_with_long_texts(texts, self.whole_counts, self.context_holds,
                                          PIECE_CHARACTERS)
        return self.whole_counts(texts)

    def whole_counts(self, texts: list[str]) -> sp.csr_matrix:
        """:meth:`counts`, each text tokenised whole."""
        index = self.index()
        tok, doc = self.splitter.encode(texts, index.token_vocabulary())
        shape = (len(texts), len(self.terms))
        if not jit.worth(len(tok)):
            return count_matrix(*index.columns_of(tok, doc), shape)
        with self._lock:
            flat = index.flat_tables()
        indptr, indices, counts = term_counts(tok, doc, len(texts), len(self.terms),
                                              index.unigram_column, *flat, index.V)
        return sp.csr_matrix((counts, indices, indptr), shape=shape)

    def index(self) -> GramIndex:
        """The lookup from token ids to columns (built from the terms on first use)."""
        if self._index is None:
            with self._lock:
                if self._index is None:
                    arrays = self._index_arrays
                    self._index = GramIndex(*arrays) if arrays is not None \
                        else GramIndex.from_terms(self.terms, self.gram_length, self.joiner)
                    self._index_arrays = None
        return self._index

    def _weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        return weight_counts(counts, self.settings, self.idf, self.dtype)

    def naive_counts(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Counts of the vocabulary's terms by :func:`naive_count_matrix` (for checking)."""
        return naive_count_matrix(texts, self.tokenizer, dict(self.term_columns()), grow=False)

    # one document, readably ---------------------------------------------------------------------
    def term_columns(self) -> dict[str, int]:
        """term → its column (built on first use)."""
        if self._term_columns is None:
            with self._lock:
                if self._term_columns is None:
                    self._term_columns = {t: j for j, t in enumerate(self.terms)}
        return self._term_columns

    def ngram_columns(self, tokens: list[str]) -> list[tuple[int, int, int]]:
        if self.parts:
            words = self.parts.get("words")
            return words.ngram_columns(tokens) if words is not None else []
        if self.unit == "chars":
            return []  # character n-grams need the text: see occurrences
        columns = self.term_columns()
        found = []
        for n in range(1, self.settings.ngrams + 1):
            for i in range(len(tokens) - n + 1):
                j = columns.get(tokens[i] if n == 1 else " ".join(tokens[i : i + n]))
                if j is not None:
                    found.append((j, i, n))
        return found

    @classmethod
    def from_document_frequencies(cls, document_frequency: Mapping[str, int], n_documents: int,
                                  settings: FeatureSettings, *, jobs: int | None = None,
                                  dtype=np.float64,
                                  unit: str | None = None) -> VocabularyFeaturizer:
        """The featuriser that ``fit`` learns from N documents whose n-gram terms (tokens
        joined by spaces) occur in ``document_frequency[term]`` of them: terms in at least
        ``min_df`` documents, the ``max_features`` most frequent if set, in alphabetical
        order, and their idf. Document frequencies add up over disjoint sets of
        documents, so counts taken separately (e.g. per shard on a cluster) and added give
        exactly the vocabulary of one ``fit`` on all the documents. ``unit`` "chars": a
        block of character n-grams (their characters joined by nothing)."""
        featurizer = cls(settings, jobs=jobs, dtype=dtype, unit=unit)
        if n_documents < 1:
            raise SettingsError("cannot fit the featurizer on zero documents")
        candidates = [t for t, df in document_frequency.items() if df >= settings.min_df]
        df = np.fromiter((document_frequency[t] for t in candidates), np.int64,
                         len(candidates))
        # token by token, a shorter term first where it begins a longer one: fit's order
        # (a character n-gram's tokens are its characters: the string's own order)
        def tokens(term: str) -> list[str] | str:
            return term.split(" ") if featurizer.joiner else term

        order = np.array(sorted(range(len(candidates)), key=lambda j: tokens(candidates[j])),
                         dtype=np.int64)
        order = most_frequent(order, df, settings.max_features)
        featurizer.terms = [candidates[j] for j in order]
        featurizer.document_frequency = df[order]
        featurizer.n_documents = int(n_documents)
        featurizer.idf = inverse_document_frequency(featurizer.document_frequency, n_documents)
        return featurizer

    def named_occurrences(self, text: str) -> list[tuple[int, int, int, str]]:
        if self.parts:  # each block's, its columns shifted to where the block starts
            found, offset = [], 0
            for part in self.parts.values():
                found += [(j + offset, i, n, name)
                          for j, i, n, name in part.named_occurrences(text)]
                offset += len(part.terms)
            return found
        if self.unit != "chars":
            return super().named_occurrences(text)
        columns = self.term_columns()
        spans = self.splitter.spans(text, self.min_length, self.gram_length)
        ranges = token_ranges(self.token_spans(text)[1], spans)
        found = []
        for (gram, _, _), (first, n) in zip(spans, ranges, strict=True):
            j = columns.get(gram)
            if j is not None:
                found.append((j, first, n, char_term_name(gram)))
        return found

    # the model file -----------------------------------------------------------------------------
    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        if self.parts:  # each block's state, its arrays named "words.NAME", "chars.NAME"
            meta: dict = {"settings": self.settings.as_dict(), "n_documents": self.n_documents,
                          "parts": {}}
            arrays = {}
            for unit, part in self.parts.items():
                meta["parts"][unit], part_arrays = part.state()
                arrays |= {f"{unit}.{name}": array for name, array in part_arrays.items()}
            return meta, arrays
        meta = {"settings": self.settings.as_dict(), "n_documents": self.n_documents,
                "n_terms": len(self.terms)}
        if self.unit is not None:
            meta["unit"] = self.unit
        utf8, offsets = pack_terms(list(self.terms))
        arrays = {"document_frequency": self.document_frequency, "idf": self.idf,
                  "terms_utf8": utf8, "terms_offsets": offsets, **self.label_weight_arrays()}
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: dict[str, np.ndarray]) -> VocabularyFeaturizer:
        """The featuriser :meth:`state` describes (version-1 files kept the terms in meta);
        a :class:`SettingsError` if the parts do not fit together."""
        settings = FeatureSettings.from_dict(meta["settings"])
        if "parts" in meta:
            featurizer = cls(settings)
            if not isinstance(meta["parts"], dict) \
                    or set(meta["parts"]) != set(featurizer.parts):
                raise SettingsError(f"the blocks {sorted(meta['parts'])} do not fit the "
                                    f"settings (expected {sorted(featurizer.parts)})")
            for unit in featurizer.parts:
                prefix = unit + "."
                featurizer.parts[unit] = cls.from_state(  # each block on the settings
                    {**meta["parts"][unit], "settings": meta["settings"], "unit": unit},
                    {k.removeprefix(prefix): v for k, v in arrays.items()
                     if k.startswith(prefix)})
            featurizer.learned_from_parts()
            return featurizer
        featurizer = cls(settings, unit=meta.get("unit"))
        if featurizer.parts or settings.char_ngrams == "auto":
            raise SettingsError("the settings ask for character n-grams (decided at training) "
                                "but the featuriser holds no blocks of them")
        if "terms_utf8" in arrays:
            try:
                terms = unpack_terms(arrays["terms_utf8"], arrays["terms_offsets"])
            except (KeyError, ValueError) as err:
                raise SettingsError(f"the vocabulary's terms cannot be read ({err})") from err
        else:
            terms = list(meta["terms"])
        df, idf = arrays["document_frequency"], arrays["idf"]
        if not (len(df) == len(idf) == len(terms)) or df.ndim != 1 or idf.ndim != 1:
            raise SettingsError(f"{len(terms)} terms but {len(df)} document frequencies and "
                                f"{len(idf)} idf values")
        n_documents = check_document_counts(meta["n_documents"], df, idf)
        if len(set(terms)) != len(terms):
            raise SettingsError("a term appears twice in the vocabulary")
        checked_lengths(terms, featurizer.gram_length, featurizer.joiner)  # the settings' n
        featurizer.terms = terms
        featurizer.n_documents = n_documents
        featurizer.document_frequency = df.astype(np.int64, copy=False)
        featurizer.idf = idf.astype(np.float64, copy=False)
        featurizer.restore_label_weights(arrays)
        return featurizer

# blocks -------------------------------------------------------------------------------
NORMALIZED_WEIGHTINGS = ("tfidf", "nb", "tfidf-nb")


def block_scale(weighting: str, n_blocks: int) -> float:
    """What each block's values are multiplied by: 1/√B where rows are of unit length."""
    return 1.0 / math.sqrt(n_blocks) if weighting in NORMALIZED_WEIGHTINGS else 1.0


def join_blocks(blocks: Sequence[sp.csr_matrix], weighting: str, dtype) -> sp.csr_matrix:
    """[X₁ | X₂ | … | 1] from the blocks' [Xᵦ | 1] (each one's bias column dropped)."""
    terms = [B.tocsr()[:, :-1] for B in blocks]
    X = sp.hstack(terms, format="csr", dtype=dtype) if len(terms) > 1 else terms[0]
    scale = block_scale(weighting, len(terms))
    if scale != 1.0:
        X.data *= np.asarray(scale, dtype=X.dtype)
    return add_bias_column(X)


class JoinedNames(Sequence):
    """The column names of several blocks, one after the other (made when asked for)."""

    def __init__(self, parts: Sequence[Sequence[str]]):
        self.parts = list(parts)
        self.starts = np.cumsum([0, *map(len, self.parts)])

    def __len__(self) -> int:
        return int(self.starts[-1])

    def __getitem__(self, j):
        if isinstance(j, slice):
            return [self[i] for i in range(*j.indices(len(self)))]
        if not -len(self) <= j < len(self):
            raise IndexError(j)
        j %= len(self)
        part = int(np.searchsorted(self.starts, j, side="right")) - 1
        return self.parts[part][j - int(self.starts[part])]
