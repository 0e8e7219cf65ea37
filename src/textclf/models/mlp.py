"""A feedforward neural network trained by backpropagation.

The lecture's graph, layer by layer, for hidden sizes (H₁, ..., H_L):

    x ──► Z₁ = XW₁ ──► A₁ = g(Z₁) ──► dropout ──► Z₂ = A₁W₂ + b₂ ──► ... ──► logits ──► ŷ
          (sparse:                                (dense layers)              σ (2 classes)
           embedding bag)                                                     softmax (K > 2)
                                                                              σ per label
                                                                              (multi-label)

W₁ has |F|+1 rows: its last row is the first layer's bias, through X's dummy feature 1.
Backpropagation runs the same chain backwards: the output gives ∂L/∂logits = ŷ − y, and
each layer turns ∂L/∂(its output) into ∂L/∂(its parameters) and ∂L/∂(its input).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from textclf.core.memory import physical_memory
from textclf.errors import SettingsError
from textclf.models.base import Model, check_arrays
from textclf.models.functional import sigmoid, softmax
from textclf.models.layers import (
    ACTIVATION_LAYERS,
    Dropout,
    Layer,
    Linear,
    MultiLabelCrossEntropy,
    Sigmoid,
    SigmoidCrossEntropy,
    SoftmaxCrossEntropy,
    SparseLinear,
    Tanh,
    initial_weights,
)
from textclf.models.settings import ACTIVATIONS, parse_hidden
from textclf.models.sparse_gradient import RowSparse


class FeedForwardNetwork(Model):
    """Sparse x → hidden layers (activation, dropout) → sigmoid or softmax output.

    Two classes get one output logit and a sigmoid (as logistic regression); K > 2 classes
    get K logits and a softmax; ``multi_label`` networks get one logit and one sigmoid per
    label (the output layer of multi-label logistic regression, on the hidden units).
    Weights are initialised for the activation (He for ReLU, Xavier/Glorot otherwise) from
    a seeded generator; biases start at 0.
    """

    kind = "mlp"

    def __init__(
        self,
        n_features: int | None = None,
        n_classes: int | None = None,
        *,
        hidden: int | str | Sequence[int] = (64,),
        activation: str = "relu",
        dropout: float = 0.0,
        seed: int = 0,
        multi_label: bool = False,
    ):
        self.hidden = parse_hidden(hidden)
        self.multi_label = bool(multi_label)
        if activation not in ACTIVATIONS:
            raise SettingsError(
                f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}"
            )
        if not (isinstance(dropout, int | float) and 0.0 <= dropout < 1.0):
            raise SettingsError(f"dropout must be a probability in [0, 1), got {dropout!r}")
        self.activation = activation
        self.dropout = float(dropout)
        self.seed = seed
        self.layers: list[tuple[str, Layer]] = []
        self.n_classes = 0
        if n_features is not None and n_classes is not None:
            self.reset(n_features, n_classes)

    # architecture -----------------------------------------------------------------------
    def reset(self, n_features: int, n_classes: int) -> None:
        """Build the layers with freshly initialised, seeded weights."""
        if n_classes < (1 if self.multi_label else 2):
            raise SettingsError(f"a classifier needs at least 2 classes, got {n_classes}")
        rng = np.random.default_rng(self.seed)
        self.n_classes = n_classes
        shapes = self.shapes(n_features)
        n_bytes = 8 * sum(math.prod(shape) for shape in shapes.values())
        memory = physical_memory()
        if memory is not None and 3 * n_bytes > memory:  # θ, its gradient, Adam's averages
            raise SettingsError(
                f"the network {' → '.join(map(str, self._sizes(n_features)))} needs "
                f"{n_bytes / 2**30:.1f} GiB for its weights alone (and about three times that "
                f"to train), more than this machine's {memory / 2**30:.1f} GiB: choose a "
                "smaller --hidden (or fewer features)")
        arrays = {}
        for name, shape in shapes.items():
            if name.endswith(".b"):
                arrays[name] = np.zeros(shape)
            else:  # the output layer feeds σ or softmax: Xavier/Glorot there
                activation = "sigmoid" if name.startswith("output") else self.activation
                arrays[name] = initial_weights(activation, *shape, rng)
        self.build_layers(arrays)

    def _sizes(self, n_features: int) -> list[int]:
        return [n_features, *self.hidden, self.n_outputs]

    @property
    def n_outputs(self) -> int:
        """One logit for two classes (sigmoid output), K logits for K > 2 (softmax), one per
        label for a multi-label network."""
        return 1 if self.n_classes == 2 and not self.multi_label else self.n_classes

    def _layer_name(self, i: int) -> str:
        return "output" if i == len(self.hidden) else f"hidden{i + 1}"

    def build_layers(self, arrays: dict[str, np.ndarray]) -> None:
        """Compose the graph: [linear → activation → dropout] per hidden layer → linear."""
        # dropout masks come from their own seeded stream, so training is reproducible
        self.dropout_rng = np.random.default_rng([self.seed, 1])
        layers: list[tuple[str, Layer]] = []
        for i in range(len(self.hidden) + 1):
            name = self._layer_name(i)
            W = arrays[f"{name}.W"]
            layers.append((name, SparseLinear(W) if i == 0 else Linear(W, arrays[f"{name}.b"])))
            if name != "output":
                layers.append((f"{name}.{self.activation}", ACTIVATION_LAYERS[self.activation]()))
                if self.dropout > 0:
                    layers.append((f"{name}.dropout", Dropout(self.dropout, self.dropout_rng)))
        self.layers = layers
        self.loss_layer = MultiLabelCrossEntropy() if self.multi_label \
            else SigmoidCrossEntropy() if self.n_outputs == 1 else SoftmaxCrossEntropy()

    # forward and backward ---------------------------------------------------------------
    def _forward(self, X: sp.csr_matrix, training: bool) -> np.ndarray:
        """The logits, each layer remembering what backpropagation needs (training)."""
        self._check_columns(X)
        out = X
        for _, layer in self.layers:
            out = layer.forward(out, training=training)
        return out

    def activations(self, X: sp.csr_matrix) -> list:
        """X and every layer's output at inference, the logits last; nothing is stored in
        the layers, so any number of threads may ask at once."""
        self._check_columns(X)
        values = [X]
        for _, layer in self.layers:
            values.append(layer.output(values[-1]))
        return values

    def _backward(self, G: np.ndarray) -> np.ndarray:
        """Send ∂L/∂logits back through every layer; returns ∂L/∂(first layer's output)."""
        for _, layer in reversed(self.layers[1:]):
            G = layer.backward(G)
        return G

    def loss_and_gradient_sum(
        self, X: sp.csr_matrix, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> tuple[float, dict[str, np.ndarray | RowSparse]]:
        """Forward to the loss, then backpropagation: Σᵢ sᵢL⁽ⁱ⁾ and Σᵢ sᵢ∂L⁽ⁱ⁾/∂(each
        parameter); the loss layer sends diag(s)·∂L/∂logits back.

        Dropout is active only while ``self.training_mode`` is True.
        """
        logits = self._forward(X, training=self.training_mode)
        loss = self.loss_layer.forward(logits, y, sample_weight)
        G = self._backward(self.loss_layer.backward())
        self.layers[0][1].backward(G)
        gradients = {}
        for name, layer in self.layers:
            for param, grad in layer.grads.items():
                gradients[f"{name}.{param}"] = grad
        return loss, gradients

    def decision_function(self, X: sp.csr_matrix) -> np.ndarray:
        """Logits at inference (no dropout): (n,) with a sigmoid output, (n, K) with softmax,
        (n, L) for a multi-label network."""
        logits = self.activations(X)[-1]
        return logits[:, 0] if self.n_outputs == 1 and not self.multi_label else logits

    def loss_sum(self, X: sp.csr_matrix, y: np.ndarray,
                 sample_weight: np.ndarray | None = None) -> float:
        return self.loss_layer.forward(self.activations(X)[-1], y, sample_weight)

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """σ per label (multi-label), [1 − σ(z), σ(z)] (two classes) or softmax."""
        if self.multi_label:
            return sigmoid(logits)  # each label on its own
        if self.n_outputs == 1:
            y_hat = sigmoid(logits)
            return np.column_stack([1.0 - y_hat, y_hat])
        return softmax(logits)

    def predict(self, X: sp.csr_matrix) -> np.ndarray:
        """The class index, or for a multi-label network the 0/1 matrix of labels with
        σ(z) > 0.5."""
        logits = self.decision_function(X)
        if self.multi_label or self.n_outputs == 1:
            return (logits > 0).astype(np.int64)
        return np.argmax(logits, axis=1)

    def input_gradient(self, X: sp.csr_matrix, k: int = 1) -> np.ndarray:
        """∂(logit k)/∂x by backpropagation to the input, dense (n, |F|+1).

        With a sigmoid output there is one logit and ``k`` is ignored. Computed from the
        activations of this call alone (no state in the layers): safe from many threads.
        """
        values = self.activations(X)
        G = np.zeros_like(values[-1])
        if self.n_outputs == 1 and not self.multi_label:
            G[:, 0] = 1.0
        else:
            if not 0 <= k < self.n_outputs:
                raise SettingsError(f"class index {k} out of range 0..{self.n_outputs - 1}")
            G[:, k] = 1.0
        for i in range(len(self.layers) - 1, 0, -1):  # back to the first layer's output
            G = self.layers[i][1].propagate(G, values[i], values[i + 1])
        return self.layers[0][1].input_gradient(G)

    def value_bound(self, mass: float) -> float:
        """Bounds uₕ carried through the layers, unit by unit: |Z₁ₕ| ≤ mass·maxⱼ|W₁ⱼₕ| +
        |W₁'s bias row|ₕ; ReLU keeps uₕ, tanh makes it min(uₕ, 1), σ 1; a dense layer gives
        |Zₖ| ≤ Σₕ uₕ|Wₕₖ| + |bₖ|. The largest bound of any layer."""
        W1 = np.abs(self.layers[0][1].params["W"].astype(np.float64))
        bound = mass * W1[:-1].max(axis=0, initial=0.0) + W1[-1]
        largest = 0.0
        for _, layer in self.layers[1:]:
            largest = max(largest, float(bound.max(initial=0.0)))
            if not np.all(np.isfinite(bound)):
                return math.inf
            if isinstance(layer, Linear):
                W, b = (np.abs(layer.params[k].astype(np.float64)) for k in ("W", "b"))
                bound = bound @ W + b
            elif isinstance(layer, Tanh):
                bound = np.minimum(bound, 1.0)
            elif isinstance(layer, Sigmoid):
                bound = np.ones_like(bound)
        if not np.all(np.isfinite(bound)):
            return math.inf
        return max(largest, float(bound.max(initial=0.0)))

    def random_state(self) -> dict | None:
        return self.dropout_rng.bit_generator.state

    def set_random_state(self, state: dict | None) -> None:
        if state is not None:
            self.dropout_rng.bit_generator.state = state

    # parameters -------------------------------------------------------------------------
    def parameters(self) -> dict[str, np.ndarray]:
        return {f"{name}.{param}": array for name, layer in self.layers
                for param, array in layer.params.items()}

    def regularized(self) -> dict[str, slice]:
        """Weight decay on every weight matrix; not on biases (nor W₁'s bias row)."""
        return {name: slice(0, -1) if name == "hidden1.W" else slice(None)
                for name in self.parameters() if name.endswith(".W")}

    def biases(self) -> dict[str, int | slice]:
        """W₁'s last row (the dummy feature's) and every bias vector b."""
        return {name: -1 if name == "hidden1.W" else slice(None)
                for name in self.parameters() if name == "hidden1.W" or name.endswith(".b")}

    @property
    def n_features(self) -> int:
        return int(self.layers[0][1].params["W"].shape[0]) if self.layers else 0

    def shapes(self, n_features: int) -> dict[str, tuple[int, ...]]:
        """The shape of every parameter array, from the architecture alone."""
        sizes = self._sizes(n_features)
        shapes = {}
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            name = self._layer_name(i)
            shapes[f"{name}.W"] = (fan_in, fan_out)
            if i > 0:
                shapes[f"{name}.b"] = (fan_out,)
        return shapes

    def __repr__(self) -> str:
        return "FeedForwardNetwork(\n" + "\n".join(
            f"  {name}: {layer!r}" for name, layer in self.layers) + "\n)"

    # persistence ------------------------------------------------------------------------
    def config(self) -> dict:
        return {"kind": self.kind, "n_features": self.n_features, "n_classes": self.n_classes,
                "hidden": list(self.hidden), "activation": self.activation,
                "dropout": self.dropout, "seed": self.seed,
                **({"multi_label": True} if self.multi_label else {}),
                **self.temperature_config()}

    @classmethod
    def from_config(cls, config: dict, arrays: dict[str, np.ndarray]) -> FeedForwardNetwork:
        model = cls(hidden=config["hidden"], activation=config["activation"],
                    dropout=config.get("dropout", 0.0), seed=config.get("seed", 0),
                    multi_label=config.get("multi_label", False))
        model.n_classes = int(config["n_classes"])
        if model.n_classes < (1 if model.multi_label else 2):
            raise SettingsError(f"mlp model with {model.n_classes} classes")
        shapes = model.shapes(int(config["n_features"]))
        model.build_layers(check_arrays(cls.kind, shapes, arrays))
        model.set_temperature(config)
        model.check_finite_scores()
        return model
