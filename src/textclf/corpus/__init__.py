"""The data layer: reading labelled documents from files, folders and built-in corpora.

Every reader streams :class:`Document` objects (so a corpus larger than memory can be read
pass after pass) and names the file and line of a bad record; :func:`read_corpus` collects
one into a :class:`Corpus` when it fits in memory. ``splits`` holds the stratified splits.
"""
from textclf.core.exports import lazy_exports

# (names imported when first used: a command imports only the readers it needs)
__getattr__, __dir__ = lazy_exports(__name__, {
    "builtin_split_assignment": "textclf.corpus.builtin",
    "iter_builtin": "textclf.corpus.builtin",
    "iter_columnar": "textclf.corpus.columnar",
    "DecodingWarning": "textclf.corpus.files",
    "ReadingWarning": "textclf.corpus.delimited",
    "Corpus": "textclf.corpus.documents",
    "Document": "textclf.corpus.documents",
    "checked_label": "textclf.corpus.documents",
    "checked_label_sets": "textclf.corpus.documents",
    "checked_labels": "textclf.corpus.documents",
    "checked_texts": "textclf.corpus.documents",
    "FASTTEXT_PREFIX": "textclf.corpus.formats",
    "SPLITS": "textclf.corpus.formats",
    "has_split_folders": "textclf.corpus.formats",
    "iter_delimited": "textclf.corpus.formats",
    "iter_fasttext": "textclf.corpus.formats",
    "iter_folders": "textclf.corpus.formats",
    "iter_jsonl": "textclf.corpus.formats",
    "FORMATS": "textclf.corpus.sources",
    "available_splits": "textclf.corpus.sources",
    "detect_format": "textclf.corpus.sources",
    "iter_documents": "textclf.corpus.sources",
    "read_corpus": "textclf.corpus.sources",
    "read_lines": "textclf.corpus.sources",
    "hold_out": "textclf.corpus.splits",
    "stratified_folds": "textclf.corpus.splits",
})

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
