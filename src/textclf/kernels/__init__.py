"""Compiled inner loops (numba, through :mod:`textclf.core.jit`), each beside its numpy twin.

``pieces``: numbering the pieces of a text batch; ``ngrams``: n-gram ids and counts;
``rows``: filling [X | 1] from counts; ``sgd``: mini-batch SGD epochs of logistic and
softmax regression. Each kernel is plain loops over arrays; the numpy code in the layer that
uses it is the reference it is tested against.
"""
