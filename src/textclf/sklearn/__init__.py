"""scikit-learn estimators over textclf's models, for pipelines, searches and cross-validation.

Numeric estimators take a feature matrix X (n × d, dense or sparse) *without* the dummy
feature and add it themselves, x ↦ [x | 1], so that θ has d+1 entries (rows) with the bias
last, as in the lecture; :class:`RawTextClassifier` takes the texts and holds textclf's
featuriser and a model together::

    from sklearn.model_selection import GridSearchCV
    from textclf.sklearn import RawTextClassifier

    search = GridSearchCV(RawTextClassifier(), {"ngrams": [1, 2], "l2": [0.0, 1e-5]})
    search.fit(texts, labels).best_params_

They follow scikit-learn's conventions: settings in ``__init__`` only, learned state with a
trailing underscore (``classes_``, ``model_``, ``history_``...), ``fit`` returns the
estimator, ``predict_proba`` columns in ``classes_`` order, ``sample_weight`` in ``fit``
(the objective becomes Σᵢ sᵢ L⁽ⁱ⁾: see :mod:`textclf.training.sources`).

scikit-learn is an optional dependency (``pip install 'textclf[sklearn]'``): ``import
textclf`` does not import it; ``import textclf.sklearn`` does. The imports here are
absolute, so this subpackage never stands in for scikit-learn itself.
"""

from __future__ import annotations

try:
    import sklearn  # noqa: F401
    from sklearn.utils.validation import validate_data  # noqa: F401  (scikit-learn >= 1.6)
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        "textclf.sklearn needs scikit-learn >= 1.6: pip install 'textclf[sklearn]'"
    ) from err

from textclf.sklearn.numeric import (  # noqa: E402
    LogisticRegressionClassifier,
    MLPClassifier,
    SoftmaxRegressionClassifier,
)
from textclf.sklearn.text import RawTextClassifier  # noqa: E402

__all__ = [
    "LogisticRegressionClassifier",
    "MLPClassifier",
    "RawTextClassifier",
    "SoftmaxRegressionClassifier",
]
