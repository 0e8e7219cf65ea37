"""``textclf gradcheck [DATA]``: backpropagation against finite differences, per block."""

from __future__ import annotations

import argparse

import numpy as np

from textclf.cli.common import add_data_options, read_data
from textclf.errors import SettingsError
from textclf.features import Featurizer
from textclf.fitting.problem import model_kind, new_model
from textclf.models import FeedForwardNetwork, Model
from textclf.models.gradcheck import TOLERANCE, BlockCheck, gradient_check, random_problem
from textclf.models.settings import ACTIVATIONS
from textclf.training.settings import TrainingSettings


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "gradcheck", help="check the gradients of a model by finite differences",
        description="Build a model of the given architecture, compute the gradient of its "
        "summed loss by backpropagation and by central finite differences "
        "(L(θ+ε) − L(θ−ε))/2ε, and print, per parameter block, the largest absolute "
        "difference and the relative error ‖a − n‖/(‖a‖ + ‖n‖). Runs on small random "
        "sparse data, or on the first documents of DATA. Exits 1 if a block's relative "
        f"error is {TOLERANCE:g} or more.",
    )
    parser.add_argument("data", metavar="DATA", nargs="?",
                        help="labelled data to take documents from (default: random data)")
    add_data_options(parser)
    parser.add_argument("--model", choices=("auto", "logistic", "softmax", "mlp"),
                        default="auto", help="auto: logistic for 2 classes, softmax for more")
    parser.add_argument("--hidden", default="8,4", help="mlp hidden sizes (default 8,4)")
    parser.add_argument("--activation", choices=ACTIVATIONS, default="tanh",
                        help="mlp hidden activation (default tanh)")
    parser.add_argument("--dropout", type=float, default=0.0,
                        help="mlp dropout, checked with the same masks in every evaluation")
    parser.add_argument("--docs", type=int, default=20, help="documents (default 20)")
    parser.add_argument("--features", type=int, default=30,
                        help="random data: number of features (default 30)")
    parser.add_argument("--classes", type=int, default=3,
                        help="random data: number of classes (default 3)")
    parser.add_argument("--epsilon", type=float, default=1e-6, help="ε (default 1e-6)")
    parser.add_argument("--max-checks", type=int, default=200,
                        help="entries checked per block at most (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.set_defaults(run=run)


def _problem(args: argparse.Namespace):
    if args.docs < 1:
        raise SettingsError(f"--docs must be at least 1, got {args.docs}")
    if args.data is None:
        if args.features < 1:
            raise SettingsError(f"--features must be at least 1, got {args.features}")
        if args.classes < 2:
            raise SettingsError(f"--classes must be at least 2, got {args.classes}")
        X, y = random_problem(args.docs, args.features, args.classes, seed=args.seed)
        return X, y, args.classes, "random sparse data"
    corpus = read_data(args, args.data, default_split="train")
    texts, labels = corpus.texts[: args.docs], corpus.labels[: args.docs]
    names = sorted(set(labels))
    if len(names) < 2:
        raise SettingsError(f"the first {len(texts)} documents of {args.data} have only one "
                            "class; take more with --docs")
    X = Featurizer(min_df=1).fit_transform(texts)
    y = np.array([names.index(label) for label in labels])
    return X, y, len(names), f"{len(texts)} documents of {args.data}"


def _model(args: argparse.Namespace, n_features: int, n_classes: int) -> Model:
    kind = model_kind(args.model, [str(k) for k in range(n_classes)], multi_label=False)
    network = {"hidden": args.hidden, "activation": args.activation, "dropout": args.dropout}
    return new_model(kind, n_features, n_classes, TrainingSettings(seed=args.seed), network)


def run(args: argparse.Namespace) -> int:
    if not args.epsilon > 0:
        raise SettingsError(f"--epsilon must be > 0, got {args.epsilon}")
    if args.max_checks < 1:
        raise SettingsError(f"--max-checks must be at least 1, got {args.max_checks}")
    X, y, n_classes, source = _problem(args)
    model = _model(args, X.shape[1], n_classes)
    # a generic point: the initial parameters plus noise (θ = 0 would hide mistakes)
    rng = np.random.default_rng(args.seed)
    for array in model.parameters().values():
        array += rng.normal(0.0, 0.5, size=array.shape)
    model.training_mode = isinstance(model, FeedForwardNetwork) and model.dropout > 0
    description = model.kind
    if isinstance(model, FeedForwardNetwork):
        sizes = [model.n_features, *model.hidden, model.n_outputs]
        description += (f" {' → '.join(map(str, sizes))} ({model.activation}"
                        + (f", dropout {model.dropout} with fixed masks" if model.training_mode
                           else "") + ")")
    print(f"gradient check of {description} on {source}: {X.shape[0]} rows, "
          f"{X.shape[1]} columns, ε = {args.epsilon:g}")
    print("a: backpropagation, n: central finite differences of the summed loss\n")
    print(BlockCheck.header())
    blocks = gradient_check(model, X, y, epsilon=args.epsilon, max_checks=args.max_checks,
                            seed=args.seed)
    for block in blocks:
        print(block.format())
    failed = [block.name for block in blocks if not block.ok]
    if failed:
        print(f"\nFAILED: relative error ≥ {TOLERANCE:g} in {', '.join(failed)}")
        return 1
    print(f"\nall {len(blocks)} blocks agree (relative error < {TOLERANCE:g})")
    return 0
