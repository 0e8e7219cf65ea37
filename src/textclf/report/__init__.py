"""Reports: a model on labelled data as PNG plots and one offline HTML page.

``report`` (evaluate, plot, explain the most confident mistakes), ``page`` (the HTML),
``plots`` (matplotlib, an optional dependency: ``pip install 'textclf[plots]'``).
"""

from textclf.report.page import BINARY_ONLY, IMAGES
from textclf.report.report import Report, WrongDocument, most_confidently_wrong, report

__all__ = ["BINARY_ONLY", "IMAGES", "Report", "WrongDocument", "most_confidently_wrong",
           "report"]
