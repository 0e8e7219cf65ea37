"""Foundations: what every layer above may use, and which knows nothing of text or models.

``jit`` (optional compiled kernels), ``memory`` (handing freed memory back), ``parallel`` (the
ordered worker pool, and the chunks it is handed), ``sparse`` (CSR helpers), ``hashing``
(integer mixing), ``settings`` (how a setting is declared once), ``modelfile`` (the zip model
file format), ``output`` (writing only where asked), ``exports``, ``escape``, ``version``.
"""
