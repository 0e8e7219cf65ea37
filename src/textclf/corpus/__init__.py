"""The data layer: reading labelled documents from files, folders and built-in corpora.

Every reader streams :class:`Document` objects (so a corpus larger than memory can be read
pass after pass) and names the file and line of a bad record; :func:`read_corpus` collects
one into a :class:`Corpus` when it fits in memory. ``splits`` holds the stratified splits.
"""

from textclf.corpus.builtin import builtin_split_assignment, iter_builtin
from textclf.corpus.columnar import iter_columnar
from textclf.corpus.decoding import DecodingWarning
from textclf.corpus.delimited import ReadingWarning
from textclf.corpus.documents import (
    Corpus,
    Document,
    checked_label,
    checked_label_sets,
    checked_labels,
    checked_texts,
)
from textclf.corpus.formats import (
    FASTTEXT_PREFIX,
    SPLITS,
    has_split_folders,
    iter_delimited,
    iter_fasttext,
    iter_folders,
    iter_jsonl,
)
from textclf.corpus.sources import (
    FORMATS,
    available_splits,
    detect_format,
    iter_documents,
    read_corpus,
    read_lines,
)
from textclf.corpus.splits import hold_out, stratified_folds

__all__ = [
    "FASTTEXT_PREFIX",
    "FORMATS",
    "SPLITS",
    "Corpus",
    "DecodingWarning",
    "Document",
    "ReadingWarning",
    "available_splits",
    "builtin_split_assignment",
    "checked_label",
    "checked_label_sets",
    "checked_labels",
    "checked_texts",
    "detect_format",
    "has_split_folders",
    "hold_out",
    "stratified_folds",
    "iter_builtin",
    "iter_columnar",
    "iter_delimited",
    "iter_documents",
    "iter_fasttext",
    "iter_folders",
    "iter_jsonl",
    "read_corpus",
    "read_lines",
]
