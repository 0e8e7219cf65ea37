"""How a model is trained: each setting declared once, and the defaults of each model kind."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from textclf.core.settings import Setting, Settings
from textclf.errors import SettingsError
from textclf.models.settings import INITS

OPTIMIZERS = ("sgd", "momentum", "adam")  # the mini-batch optimisers (training.optimizers)
SCHEDULES = ("constant", "invtime", "linear")  # η over the steps (optimizers.Schedule)
BALANCED = "balanced"  # class weights n/(K·n_c) (training.sources)


def parse_class_weight(value: Any) -> str | dict[str, float]:
    """``"balanced"``, or {label: c} from a mapping or from ``"spam=5,ham=1"`` (the command
    line's form); each c a finite number ≥ 0. Labels are kept as strings."""
    if isinstance(value, str):
        text = value.strip()
        if text == BALANCED:
            return BALANCED
        pairs = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            label, equals, number = part.rpartition("=")
            if not equals or not label.strip():
                raise SettingsError(f"class_weight must be 'balanced' or LABEL=WEIGHT pairs "
                                    f"separated by commas (e.g. spam=5,ham=1), got {value!r}")
            try:
                pairs.append((label.strip(), float(number)))
            except ValueError:
                raise SettingsError(f"class_weight: the weight of {label.strip()!r} is not a "
                                    f"number: {number!r}") from None
        value = dict(pairs)
    if not isinstance(value, Mapping) or not value:
        raise SettingsError(f"class_weight must be 'balanced', a mapping {{label: weight}} or "
                            f"LABEL=WEIGHT pairs, got {value!r}")
    weights = {}
    for label, weight in value.items():
        if not isinstance(weight, numbers.Real) or isinstance(weight, bool) \
                or not math.isfinite(weight) or weight < 0:
            raise SettingsError(f"class_weight: the weight of {label!r} must be a finite "
                                f"number ≥ 0, got {weight!r}")
        weights[str(label)] = float(weight)
    return weights




MAX_EPOCHS = 10**6  # a bound on the work a setting (or a model file) can ask for


class TrainingSettings(Settings):
    """Settings of mini-batch training; stored in the model file.

    The defaults here are the lecture's plain loop: SGD at a constant η, no penalty, no
    early stopping. :data:`MODEL_DEFAULTS` holds the settings each model kind gets out of
    the box in :class:`~textclf.classifier.TextClassifier` and on the command line (chosen
    on dev data: docs/models.md).
    """

    eta = Setting(float, 10.0, "learning rate η (the first, with a schedule)", above=0.0,
                  metavar="ETA", aliases=("--lr",))
    epochs = Setting(int, 10, "passes over the data", minimum=1, maximum=MAX_EPOCHS,
                     metavar="E", aliases=("--epoch",), search=(5, 10, 20, 40))
    batch_size = Setting(int, 32, "mini-batch size m", minimum=1, metavar="M")
    init = Setting(str, "zeros", "initial θ of logistic/softmax regression", choices=INITS)
    seed = Setting(int, 0, "seed for shuffling, initialisation and dropout", minimum=0,
                   metavar="S")
    optimizer = Setting(str, "sgd", "sgd (θ ← θ − η∇), momentum, adam, or lbfgs (full-batch "
                        "L-BFGS on the mean loss + (λ/2)‖w‖²; epochs counts its iterations)",
                        choices=(*OPTIMIZERS, "lbfgs"))
    momentum = Setting(float, 0.9, "momentum μ", minimum=0.0, below=1.0, metavar="MU")
    schedule = Setting(str, "constant", "learning rate over the steps: constant, invtime "
                       "(η/(1 + decay·epochs done)) or linear (down to 0)", choices=SCHEDULES)
    decay = Setting(float, 1.0, "decay of the invtime schedule per epoch", minimum=0.0)
    l2 = Setting(float, 0.0, "L2 penalty (λ/2)‖w‖² on the weights, bias excluded (weight "
                 "decay for mlp)", minimum=0.0, aliases=("--weight-decay",), metavar="LAMBDA",
                 search=(1e-7, 1e-3))
    l1 = Setting(float, 0.0, "L1 penalty λ‖w‖₁ on the weights, bias excluded", minimum=0.0,
                 metavar="LAMBDA")
    patience = Setting(int, None, "early stopping: stop after this many epochs without a lower "
                       "dev loss and keep the best epoch (needs dev data)", minimum=1,
                       metavar="P")
    tolerance = Setting(float, 1e-6, "lbfgs stops when every |∂J/∂θⱼ| is at most this",
                        above=0.0, metavar="TOL")
    bias_rate = Setting(float, 1.0, "the bias's learning rate as a fraction of η (SGD, "
                        "momentum)", above=0.0, metavar="R")
    calibrate = Setting(bool, False, "after training, fit temperature scaling on the dev set: "
                        "one T dividing the scores, probabilities σ(z/T) or softmax(z/T), T "
                        "chosen for the lowest dev log-loss (needs dev data)")
    class_weight = Setting(dict, None, "weigh each document's loss by its class: balanced "
                           "(n/(K·n_c) for class c) or LABEL=WEIGHT,... (e.g. spam=5,ham=1; "
                           "classes not named weigh 1)", parse=parse_class_weight,
                           metavar="WEIGHTS")


# Out-of-the-box settings per model kind, chosen on dev splits only (docs/models.md).
MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "logistic": {"optimizer": "sgd", "eta": 40.0, "schedule": "linear", "epochs": 10,
                 "batch_size": 32, "bias_rate": 0.01},
    "softmax": {"optimizer": "sgd", "eta": 160.0, "schedule": "linear", "epochs": 10,
                "batch_size": 32, "bias_rate": 0.01},
    # each label's bias has to reach about ln(p/(1 − p)), −4 for a label on 2% of the
    # documents: at full rate (GoEmotions dev: micro-F1 0.491, macro 0.347; at 0.01: 0.481,
    # 0.342)
    "multilabel": {"optimizer": "sgd", "eta": 40.0, "schedule": "linear", "epochs": 10,
                   "batch_size": 32, "bias_rate": 1.0},
    "mlp": {"optimizer": "adam", "eta": 0.002, "schedule": "constant", "epochs": 5,
            "batch_size": 32},
    # naive Bayes counts θ in one pass: these settings take no steps
    "nb": {"optimizer": "sgd", "eta": 1.0, "schedule": "constant", "epochs": 1,
           "batch_size": 32},
}

# η for logistic or softmax regression when another optimizer than SGD is chosen but no η
# (dev data: docs/models.md). Momentum's velocity adds up past steps to about η/(1 − μ)
# per step, so η·(1 − μ) keeps SGD's effective step; Adam sizes each weight's step itself.
LINEAR_ADAM_ETA = 0.01
# Full-batch L-BFGS when epochs or l2 is not given: up to 100 iterations (one or two passes
# over the data each; it usually stops earlier, at the tolerance), and λ₂ = 1e-5, the best
# of 1e-4 ... 3e-6 on the dev data of movie_reviews, mr, sms_spam and IMDB (docs/models.md):
# without a penalty the full-batch optimum overfits, where SGD's few epochs do not.
LBFGS_ITERATIONS = 100
LBFGS_L2 = 1e-5


def default_settings(kind: str, overrides: Mapping[str, Any] | None = None) -> TrainingSettings:
    """The settings of model ``kind``: :data:`MODEL_DEFAULTS` with ``overrides`` on top.

    The default η belongs to the default optimizer. For logistic and softmax regression
    (plain SGD by default), choosing ``optimizer="momentum"`` without an η gives
    η_SGD·(1 − μ), and ``optimizer="adam"`` gives :data:`LINEAR_ADAM_ETA`.
    ``optimizer="lbfgs"`` without ``epochs`` runs up to :data:`LBFGS_ITERATIONS`
    iterations, and without ``l2`` penalises linear models with :data:`LBFGS_L2`.
    """
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    defaults = MODEL_DEFAULTS[kind]
    values = {**defaults, **overrides}
    if "eta" not in overrides and defaults["optimizer"] == "sgd":
        momentum = TrainingSettings.momentum.check(
            values.get("momentum", TrainingSettings.momentum.default))
        if values["optimizer"] == "momentum":
            values["eta"] = defaults["eta"] * (1.0 - momentum)
        elif values["optimizer"] == "adam":
            values["eta"] = LINEAR_ADAM_ETA
    if values["optimizer"] == "lbfgs":
        if "epochs" not in overrides:
            values["epochs"] = LBFGS_ITERATIONS
        if "l2" not in overrides and kind in ("logistic", "softmax"):
            values["l2"] = LBFGS_L2
    return TrainingSettings(**values)
