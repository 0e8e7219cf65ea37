"""What every model offers the trainer, the pipeline, explanations and the model file; and
the linear models' initial parameters: the lecture's zeros, or small random values."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from textclf.errors import SettingsError
from textclf.models.settings import INITS
from textclf.models.sparse_gradient import RowSparse

# The most a document's feature values add up to, Σⱼ |xⱼ| over its features (the dummy
# feature 1 aside). Counts are the largest values (tf-idf, binary and the nb values are
# at most 1 each), so this is at least its number of n-gram occurrences: 10¹² is far
# beyond any text that fits in memory.
MAX_INPUT_MASS = 1e12
# A temperature T divides the logits: a file's T must lie in this range (calibration fits
# T in [0.05, 20]: training.calibration).
TEMPERATURE_RANGE = (1e-3, 1e3)
# What a bound on the values a model computes may reach: the largest finite number of its
# dtype, with room to spare for the rounding of sums.
FINITE_MARGIN = 2.0**-10


class Model(ABC):
    """A classifier over feature rows x (CSR, dummy feature 1 last) into K classes.

    Targets are class indices 0..K−1, or for a multi-label model (``multi_label`` True) a
    0/1 matrix with a column per label. Subclasses own their parameters as named arrays that
    the optimiser updates in place. ``training_mode`` is True while the trainer runs an
    epoch (dropout is active only then); predictions and dev losses are computed with it
    False.
    """

    kind: ClassVar[str]
    training_mode: bool = False
    multi_label: bool = False  # one sigmoid output per label, several labels per document
    temperature: float = 1.0  # T of temperature scaling: probabilities of z/T (1: none)

    def random_state(self) -> dict | None:
        """The state of the model's own random numbers (a network's dropout masks), for a
        checkpoint; None when it draws none."""
        return None

    def set_random_state(self, state: dict | None) -> None:  # noqa: B027 (most draw none)
        """Go on from :meth:`random_state`."""

    @abstractmethod
    def reset(self, n_features: int, n_classes: int) -> None:
        """Fresh initial parameters for X with ``n_features`` columns and ``n_classes``."""

    @abstractmethod
    def parameters(self) -> dict[str, np.ndarray]:
        """Named parameter arrays, updated in place by the optimiser."""

    def regularized(self) -> dict[str, Any]:
        """For each penalised parameter, the index of its weights (biases are left out).

        The default penalises every parameter in full; linear models leave out θ's last
        row (the bias), networks their bias vectors.
        """
        return {name: slice(None) for name in self.parameters()}

    def biases(self) -> dict[str, Any]:
        """For each parameter holding biases, their index: -1 for θ's last row (the dummy
        feature's weights), ``slice(None)`` for a bias vector. The default: none."""
        return {}

    @abstractmethod
    def loss_and_gradient_sum(
        self, X: sp.csr_matrix, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> tuple[float, dict[str, np.ndarray | RowSparse]]:
        """Σᵢ sᵢL⁽ⁱ⁾ and Σᵢ sᵢ∇L⁽ⁱ⁾ over the rows of X (sums, not means; sᵢ = 1 without
        ``sample_weight``).

        Every model's loss is a sum over rows of a loss of the row's logits, and
        backpropagation starts from D = ∂L/∂Z, whose row i is ∂ℓ/∂zᵢ. A weight multiplies
        row i's loss and its row of D (diag(s)·D); the rest of the backward pass is
        unchanged, so ∇θ = Xᵀ diag(s) D for the linear models (docs/weights.md).

        Sums add up across shards, so a cluster can compute them per shard and a driver can
        add them; the trainer divides by m for the mini-batch mean. A gradient may be a
        :class:`RowSparse` (rows of features absent from X are zero).
        """

    @abstractmethod
    def decision_function(self, X: sp.csr_matrix) -> np.ndarray:
        """Logits: (n,) for a sigmoid output, (n, K) for a softmax output."""

    @abstractmethod
    def input_gradient(self, X: sp.csr_matrix, k: int = 1) -> np.ndarray:
        """∂(logit of class k)/∂x per row: dense (n, |F|+1); gradient × input attributions.

        For a sigmoid output there is one logit and ``k`` is ignored.
        """

    @abstractmethod
    def probabilities(self, Z: np.ndarray) -> np.ndarray:
        """The probabilities of logits Z (as :meth:`decision_function` gives them): shape
        (n, K), or (n, L) for a multi-label model."""

    def predict_proba(self, X: sp.csr_matrix) -> np.ndarray:
        """Class probabilities, shape (n, K), of the logits divided by the temperature T:
        σ(z/T) or softmax(z/T) (T = 1 unless the model was calibrated; T > 0 changes no
        arg max and no sign of z, so no prediction at the 0.5 threshold)."""
        return self.probabilities(self.decision_function(X) / self.temperature)

    def __sizeof__(self) -> int:
        """The bytes of the parameters (``sys.getsizeof``: e.g. what a Dask scheduler
        weighs when it sends the model to the data)."""
        return object.__sizeof__(self) + sum(a.nbytes for a in self.parameters().values())

    def loss_sum(self, X: sp.csr_matrix, y: np.ndarray,
                 sample_weight: np.ndarray | None = None) -> float:
        """Σᵢ sᵢL⁽ⁱ⁾ without the gradient (the default computes both)."""
        return self.loss_and_gradient_sum(X, y, sample_weight)[0]

    def predict(self, X: sp.csr_matrix) -> np.ndarray:
        """The most probable class index of each row."""
        return np.argmax(self.predict_proba(X), axis=1)

    @property
    @abstractmethod
    def n_features(self) -> int:
        """Columns of X the model expects (terms + the dummy feature)."""

    def _check_columns(self, X: sp.csr_matrix) -> None:
        if X.shape[1] != self.n_features:
            raise SettingsError(
                f"X has {X.shape[1]} columns but the {self.kind} model expects "
                f"{self.n_features} (features + bias); was it fitted on other features?"
            )

    def temperature_config(self) -> dict:
        """The temperature for :meth:`config`, where the model was calibrated."""
        return {} if self.temperature == 1.0 else {"temperature": float(self.temperature)}

    def set_temperature(self, config: dict) -> None:
        """T from a model file's configuration: a number in :data:`TEMPERATURE_RANGE`
        (1 when absent)."""
        T = config.get("temperature", 1.0)
        low, high = TEMPERATURE_RANGE
        if isinstance(T, bool) or not isinstance(T, int | float) or not math.isfinite(T) \
                or not low <= T <= high:
            raise SettingsError(f"the temperature must be a number from {low:g} to {high:g}, "
                                f"got {T!r}")
        self.temperature = float(T)

    @abstractmethod
    def value_bound(self, mass: float) -> float:
        """An upper bound on |v| for every value v the model computes on the way to its
        logits (the logits too) for a row whose features add up to Σⱼ |xⱼ| ≤ ``mass``
        (with the dummy feature 1); inf where the bound itself overflows."""

    def check_finite_scores(self) -> None:
        """Refuse parameters whose logits z (or the values on the way to them), or z/T,
        could overflow the model's dtype for a document with features of mass at most
        :data:`MAX_INPUT_MASS`: with them, every probability is finite. A model file's
        numbers are checked so (``from_config``), as its shapes and NaNs are."""
        dtype = next(iter(self.parameters().values())).dtype
        largest = float(np.finfo(dtype).max) * FINITE_MARGIN
        with np.errstate(over="ignore", invalid="ignore"):
            bound = self.value_bound(MAX_INPUT_MASS)
            bound = max(bound, bound / self.temperature)
        if not bound <= largest:
            raise SettingsError(
                f"the {self.kind} model's parameters (largest |value| "
                f"{max_magnitude(self.parameters()):.3g}, temperature {self.temperature:g}) "
                f"can make scores overflow {dtype}: not the numbers of a trained model")

    @abstractmethod
    def config(self) -> dict:
        """JSON-able architecture (kind and shapes), for the model file."""

    @classmethod
    @abstractmethod
    def from_config(cls, config: dict, arrays: dict[str, np.ndarray]) -> Model:
        """Rebuild a model from :meth:`config` and its parameter arrays."""


def max_magnitude(arrays: dict[str, np.ndarray]) -> float:
    """The largest |value| in ``arrays`` (0 for none)."""
    return max((float(np.max(np.abs(a), initial=0.0)) for a in arrays.values()), default=0.0)


def linear_bound(theta: np.ndarray, mass: float) -> float:
    """max over the outputs k of mass·maxⱼ|θⱼₖ| + |b_k|: a bound on |Σⱼ θⱼₖxⱼ + b_k| for
    Σⱼ |xⱼ| ≤ mass (θ of shape (|F|+1,) or (|F|+1, K), bias last)."""
    theta = np.abs(np.asarray(theta, dtype=np.float64)).reshape(theta.shape[0], -1)
    weights = theta[:-1].max(axis=0, initial=0.0)
    return float(np.max(mass * weights + theta[-1], initial=0.0))


def check_arrays(kind: str, expected: dict[str, tuple[int, ...]],
                 arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Refuse arrays that do not match the architecture (missing, extra, other shapes, not
    float64 or float32) or that hold NaN or infinities; writable copies of the rest."""
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise SettingsError(
            f"{kind} model arrays do not match its architecture"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unexpected: {', '.join(extra)}" if extra else "")
        )
    checked = {}
    for name, shape in expected.items():
        array = np.asarray(arrays[name])
        if array.shape != tuple(shape):
            raise SettingsError(
                f"{kind} model array {name!r} has shape {array.shape}, "
                f"the architecture says {tuple(shape)}"
            )
        if array.dtype not in (np.float64, np.float32):
            raise SettingsError(f"{kind} model array {name!r} is {array.dtype}, not float64 "
                                "or float32")
        if not np.all(np.isfinite(array)):
            raise SettingsError(f"{kind} model array {name!r} holds NaN or infinite values")
        checked[name] = np.array(array)  # a writable copy
    return checked

# init ---------------------------------------------------------------------------------
def check_init(init: str) -> str:
    if init not in INITS:
        raise SettingsError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    return init


def initial_parameters(shape: int | tuple[int, ...], init: str, seed: int,
                       scale: float = 0.01) -> np.ndarray:
    """θ of ``shape``: all zeros, or seeded values drawn from N(0, scale²).

    Cross-entropy of a linear model is convex, so zeros reach the same optimum; random
    values only change the path (they matter for networks, whose hidden units must differ).
    """
    if check_init(init) == "zeros":
        return np.zeros(shape)
    return np.random.default_rng(seed).normal(0.0, scale, size=shape)
