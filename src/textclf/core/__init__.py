"""Foundations: what every layer above may use, and which knows nothing of text or models.

``jit`` (optional compiled kernels), ``memory`` (handing freed memory back), ``parallel`` (the
ordered worker pool), ``chunking``, ``sparse`` (CSR helpers), ``hashing`` (integer mixing),
``settings`` (how a setting is declared once) and ``modelfile`` (the zip model file format).
"""
