"""Errors that textclf reports to its user.

A ``TextclfError`` carries a message meant for a person: it names the file, line or field
that was wrong. The command line prints it without a traceback and exits non-zero.
"""


class TextclfError(Exception):
    """A problem with the user's input or settings, explained in the message."""


class DataError(TextclfError, ValueError):
    """A corpus cannot be read: missing file, bad record, unknown format."""


class ModelFileError(TextclfError):
    """A model file is missing, damaged, or of a format this version cannot read."""


class SettingsError(TextclfError, ValueError):
    """A training or featurisation setting is out of its valid range."""


class NotFittedError(TextclfError, ValueError):
    """A classifier or featuriser is used before it was trained (fit) or loaded."""


class TrainingError(TextclfError):
    """Training cannot go on (the loss became NaN or infinite); the message says what to
    change. No model is written for the epoch that failed."""


class ClusterError(TextclfError):
    """A Dask cluster cannot be reached, or was lost during training."""
