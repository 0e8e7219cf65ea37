"""textclf tune: finds a known best setting, keeps to its budget, never reads the test split."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import textclf.tune.search as tune_module
from textclf import TextClassifier
from textclf.cli import main
from textclf.core import modelfile as persist
from textclf.errors import DataError, SettingsError
from textclf.tune import SearchSpace, hold_out, score, tune


def trigram_corpus(n: int, seed: int, noise: float = 0.0) -> tuple[list[str], list[str]]:
    """Documents whose class shows only in a word trigram: the known best setting is ngrams=3.

    "pos" documents hold "x y x" and a lone "y", "neg" documents "y x y" and a lone "x",
    among random filler words: every document has two x and two y, and the bigrams "x y"
    and "y x" occur in both classes. With ``noise``, that fraction of labels is flipped
    (so that no setting reaches a perfect score).
    """
    rng = np.random.default_rng(seed)
    filler = [f"w{i}" for i in range(8)]
    texts, labels = [], []
    for i in range(n):
        pos = i % 2 == 0
        words = list(rng.choice(filler, size=6))
        core, lone = (["x", "y", "x"], "y") if pos else (["y", "x", "y"], "x")
        texts.append(" ".join(words[:2] + core + words[2:4] + [lone] + words[4:]))
        flip = rng.random() < noise
        labels.append("pos" if pos != flip else "neg")
    return texts, labels


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


# ---------------------------------------------------------------------------------------------
# The search finds what is there


def test_finds_the_known_best_setting():
    texts, labels = trigram_corpus(200, seed=0)
    dev_texts, dev_labels = trigram_corpus(60, seed=1)
    result = tune(texts, labels, dev_texts, dev_labels, budget_seconds=60, seed=0)
    assert result.best.ngrams == 3
    assert result.best.score == 1.0
    unigrams_bigrams = [t for t in result.trials if t.ngrams < 3 and t.status == "ok"]
    assert unigrams_bigrams and max(t.score for t in unigrams_bigrams) < 0.8
    clf = result.classifier
    assert clf.featurizer.settings.ngrams == 3
    kept = [record["epoch"] for record in clf.history if record["best"]]
    assert kept == [result.best.epochs]  # the model is the best epoch's, marked as such
    test_texts, test_labels = trigram_corpus(60, seed=2)
    assert clf.evaluate(test_texts, test_labels).accuracy >= 0.95
    # a perfect dev score cannot be beaten: the search stopped there, far inside the budget
    assert result.trials[-1] is result.best


def test_searches_model_kinds_and_regularisation():
    texts, labels = trigram_corpus(120, seed=3, noise=0.15)
    dev_texts, dev_labels = trigram_corpus(60, seed=4, noise=0.15)
    space = SearchSpace(ngrams=(3,), weightings=("tfidf",), max_epochs=(5,))
    result = tune(texts, labels, dev_texts, dev_labels, budget_seconds=60, space=space,
                  seed=0, max_trials=12)
    assert {t.model for t in result.trials} == {"logistic", "mlp"}
    assert any(t.l2 > 0 for t in result.trials)
    assert len({round(t.eta, 6) for t in result.trials}) > 3  # η varies
    best = max(result.trials, key=lambda t: t.score)
    assert result.best.score == best.score
    assert result.classifier.model.kind == result.best.model


def test_three_classes_search_softmax_and_the_network():
    texts, labels = trigram_corpus(90, seed=5)
    labels = [f"{label}{i % 3 == 0}" if label == "pos" else label for i, label in
              enumerate(labels)]
    result = tune(texts, labels, texts[:30], labels[:30], budget_seconds=60, max_trials=3,
                  space=SearchSpace(ngrams=(3,), weightings=("tfidf",)))
    assert result.metadata["models"] == ["softmax", "mlp"]
    assert result.trials[0].model == "softmax"
    with pytest.raises(SettingsError, match="binary"):
        tune(texts, labels, texts, labels, 5, space=SearchSpace(models=("logistic",)))


# ---------------------------------------------------------------------------------------------
# The budget


class FakeClock:
    """Time that moves only when told to: the search's own bookkeeping costs nothing."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def timed_epochs(monkeypatch, module, clock: FakeClock, seconds: float) -> None:
    """Every training epoch of ``module.train`` takes ``seconds`` on ``clock``."""
    real_train = module.train

    def train(model, X, y, settings, on_epoch_end, guard):
        def after_epoch(epoch, record):
            clock.now += seconds
            on_epoch_end(epoch, record)
        return real_train(model, X, y, settings, after_epoch, guard)

    monkeypatch.setattr(module, "train", train)


@pytest.fixture
def slow_epochs(monkeypatch):
    """Every training epoch takes 0.25 s on a fake clock; returns the clock."""
    clock = FakeClock()
    timed_epochs(monkeypatch, tune_module, clock, 0.25)
    return clock


def test_respects_the_budget(slow_epochs):
    texts, labels = trigram_corpus(80, seed=6, noise=0.2)  # nothing reaches a perfect score
    dev_texts, dev_labels = trigram_corpus(40, seed=7, noise=0.2)
    result = tune(texts, labels, dev_texts, dev_labels, budget_seconds=3.0, clock=slow_epochs,
                  space=SearchSpace(models=("logistic",)))
    assert result.seconds <= 3.0  # the search stops before an epoch would overrun
    assert result.seconds > 3.0 - 0.25 - 1e-9  # ...and uses the time it has
    assert sum(t.epochs_run for t in result.trials) == round(result.seconds / 0.25)
    assert all(t.started < 3.0 for t in result.trials)
    assert len(result.trials) >= 2
    assert result.metadata["budget_seconds"] == 3.0
    assert result.metadata["seconds"] == result.seconds


class TickingClock:
    """Time that moves a little at every reading: ~one tick per mini-batch (each checks it)."""

    def __init__(self, tick: float) -> None:
        self.now, self.tick = 0.0, tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def test_a_trial_stops_within_a_mini_batch_of_the_deadline():
    texts, labels = trigram_corpus(200, seed=9, noise=0.2)
    dev_texts, dev_labels = trigram_corpus(40, seed=10, noise=0.2)
    clock = TickingClock(0.001)
    result = tune(texts, labels, dev_texts, dev_labels, budget_seconds=0.3, clock=clock,
                  space=SearchSpace(models=("logistic",), ngrams=(2, 3), max_epochs=(40,)))
    assert result.seconds <= 0.3 + 0.01  # a few readings after the deadline, no more
    assert any(t.status == "out of time" for t in result.trials)
    assert result.classifier.model is not None


def test_an_underestimated_trial_stops_in_the_middle_of_an_epoch(monkeypatch):
    """The network's first epoch is predicted as 20 logistic-regression epochs (20 × 7 mini-
    batches × 0.02 s = 2.8 s, within a trial's share of the budget, 10/3 s) but takes 7 ×
    2.5 s: the trial is stopped mid-epoch at its share, and the search goes on."""
    clock = FakeClock()
    real_check = tune_module.ClockGuard.__call__

    def timed_step(self, rows):  # the guard is called after every mini-batch
        clock.now += 2.5 if self.model.kind == "mlp" else 0.02
        return real_check(self, rows)

    monkeypatch.setattr(tune_module.ClockGuard, "__call__", timed_step)
    texts, labels = trigram_corpus(200, seed=11, noise=0.2)  # 7 mini-batches an epoch
    dev_texts, dev_labels = trigram_corpus(40, seed=12, noise=0.2)
    result = tune(texts, labels, dev_texts, dev_labels, budget_seconds=10.0, clock=clock,
                  space=SearchSpace(ngrams=(2,), weightings=("tfidf",), max_epochs=(3,)))
    network = [t for t in result.trials if t.model == "mlp"]
    assert network and network[0].status == "capped" and network[0].epochs_run == 0
    assert network[0].seconds <= 10.0 / 3 + 2.5  # at most one mini-batch past its share
    assert result.trials[-1].model == "logistic"  # the search went on after it
    assert result.seconds <= 10.0 + 2.5
    assert result.best.model == "logistic"


def test_no_trial_takes_more_than_a_third_of_the_budget(slow_epochs):
    texts, labels = trigram_corpus(80, seed=13, noise=0.2)
    result = tune(texts, labels, texts[:30], labels[:30], budget_seconds=3.0,
                  clock=slow_epochs, space=SearchSpace(models=("logistic",), max_epochs=(40,)))
    assert all(t.seconds <= 1.0 for t in result.trials)
    assert "capped" in {t.status for t in result.trials}


def test_a_budget_shorter_than_an_epoch_still_gives_a_model(slow_epochs):
    texts, labels = trigram_corpus(40, seed=8)
    result = tune(texts, labels, texts, labels, budget_seconds=0.1, clock=slow_epochs)
    assert len(result.trials) == 1 and result.trials[0].epochs_run == 1
    assert result.trials[0].status == "out of time"
    assert result.classifier.model is not None
    assert result.seconds == pytest.approx(0.25)  # one epoch: the only overrun allowed


# ---------------------------------------------------------------------------------------------
# The command line, and the test split


def write_tree(root: Path, splits: dict[str, tuple[list[str], list[str]]]) -> Path:
    for split, (texts, labels) in splits.items():
        for i, (text, label) in enumerate(zip(texts, labels, strict=True)):
            folder = root / split / label
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{i:04d}.txt").write_text(text, encoding="utf-8")
    return root


class FileAccess:
    """Every file opened and folder listed by this process while recording (audit hooks)."""

    installed = False
    active: list[str] | None = None

    @classmethod
    def record(cls) -> list[str]:
        if not cls.installed:
            sys.addaudithook(cls._hook)  # hooks cannot be removed: this one is idle when off
            cls.installed = True
        cls.active = []
        return cls.active

    @classmethod
    def stop(cls) -> None:
        cls.active = None

    @classmethod
    def _hook(cls, event: str, args: tuple) -> None:
        if (cls.active is not None and event in ("open", "os.listdir", "os.scandir")
                and args and isinstance(args[0], str | bytes | Path)):
            cls.active.append(str(Path(str(args[0])).resolve()))


@pytest.fixture
def access():
    """Call it to start recording (after writing the fixture files); it returns the list."""
    yield FileAccess.record
    FileAccess.stop()


def test_cli_tunes_on_the_dev_split_and_never_reads_test(tmp_path, capsys, access):
    root = write_tree(tmp_path / "data", {"train": trigram_corpus(120, 10),
                                          "dev": trigram_corpus(40, 11),
                                          "test": trigram_corpus(40, 12)})
    model = tmp_path / "model.textclf"
    touched = access()
    status, out, err = run_cli(capsys, "tune", root, "--budget", "30", "-o", model,
                               "--folds", "0")
    FileAccess.stop()
    assert status == 0, err
    test_folder = str((root / "test").resolve())
    assert not [p for p in touched if p.startswith(test_folder)]
    assert any(p.startswith(str((root / "dev").resolve())) for p in touched)  # the hook works
    assert "trial  model" in out and "*kept" in out and "split dev" in out
    assert f"model saved to {model}" in out
    loaded = TextClassifier.load(model)
    assert loaded.featurizer.settings.ngrams == 3
    tuning = loaded.tuning
    assert tuning["dev"]["source"].endswith("(split dev)") and tuning["dev"]["documents"] == 40
    assert tuning["train"]["documents"] == 120
    assert tuning["trials"][tuning["best_trial"] - 1]["score"] == tuning["best_score"] == 1.0
    meta, _ = persist.load(model)  # the search is in the model file's meta.json
    assert meta["tuning"]["budget_seconds"] == 30.0


def test_cli_holds_out_part_of_train_when_there_is_no_dev(tmp_path, capsys, access):
    root = write_tree(tmp_path / "data", {"train": trigram_corpus(150, 13),
                                          "test": trigram_corpus(40, 14)})
    model = tmp_path / "model.textclf"
    touched = access()
    status, out, err = run_cli(capsys, "tune", root, "--budget", "30", "-o", model,
                               "--dev-fraction", "0.2", "--models", "logistic", "-q",
                               "--folds", "0")
    FileAccess.stop()
    assert status == 0, err
    assert not [p for p in touched if p.startswith(str((root / "test").resolve()))]
    assert any(p.startswith(str((root / "train").resolve())) for p in touched)
    tuning = TextClassifier.load(model).tuning
    assert tuning["dev"]["documents"] == 30 and tuning["train"]["documents"] == 120
    assert "held out" in tuning["dev"]["source"]
    assert "trial  model" not in out  # --quiet: no table


def test_cli_with_a_dev_file(tmp_path, capsys):
    def jsonl(path: Path, corpus) -> Path:
        path.write_text("".join(json.dumps({"text": t, "label": label}) + "\n"
                                for t, label in zip(*corpus, strict=True)))
        return path

    train = jsonl(tmp_path / "train.jsonl", trigram_corpus(100, 15))
    dev = jsonl(tmp_path / "dev.jsonl", trigram_corpus(30, 16))
    model = tmp_path / "m.textclf"
    status, out, err = run_cli(capsys, "tune", train, "--dev", dev, "--budget", "20", "-o",
                               model, "--ngrams", "1,3", "--weightings", "tfidf,binary",
                               "--metric", "macro_f1")
    assert status == 0, err
    tuning = TextClassifier.load(model).tuning
    assert tuning["metric"] == "macro_f1" and tuning["dev"]["source"] == str(dev)
    assert {t["ngrams"] for t in tuning["trials"]} <= {1, 3}
    assert {t["weighting"] for t in tuning["trials"]} <= {"tfidf", "binary"}


@pytest.mark.parametrize(("argv", "message"), [
    (["--budget", "0"], "--budget must be a positive number"),
    (["--budget", "5", "--split", "test"], "never reads the test split"),
    (["--budget", "5", "--dev-fraction", "1.5"], "between 0 and 1"),
    (["--budget", "5", "--ngrams", "0"], "n-gram lengths must be integers >= 1"),
    (["--budget", "5", "-o", "/no/such/folder/m.textclf"], "folder /no/such/folder does not"),
])
def test_cli_bad_settings(tmp_path, capsys, argv, message):
    root = write_tree(tmp_path / "data", {"train": trigram_corpus(20, 17)})
    status, out, err = run_cli(capsys, "tune", root, "-o", tmp_path / "m.textclf", *argv)
    assert status == 1
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "m.textclf").exists()


def test_cli_bad_data(tmp_path, capsys):
    status, _, err = run_cli(capsys, "tune", tmp_path / "missing", "--budget", "5", "-o",
                             tmp_path / "m.textclf")
    assert status == 1 and "no such file or folder" in err and "Traceback" not in err
    one_class = write_tree(tmp_path / "one", {"train": (["a b", "b c", "c d"], ["x"] * 3)})
    status, _, err = run_cli(capsys, "tune", one_class, "--budget", "5", "-o",
                             tmp_path / "m.textclf")
    assert status == 1 and "only one class" in err
    with pytest.raises(SystemExit):  # argparse: unknown model kind
        main(["tune", str(one_class), "--budget", "5", "-o", "m", "--models", "forest"])
    assert "expected a comma-separated list of logistic, softmax, mlp" in capsys.readouterr().err


def test_python_api_bad_input():
    texts, labels = trigram_corpus(20, seed=18)
    with pytest.raises(DataError, match="dev set is empty"):
        tune(texts, labels, [], [], 5)
    with pytest.raises(DataError, match="no dev document has a label"):
        tune(texts, labels, ["a"], ["other"], 5)
    with pytest.raises(SettingsError, match="metric"):
        tune(texts, labels, texts, labels, 5, metric="auc")
    with pytest.raises(SettingsError, match="budget"):
        tune(texts, labels, texts, labels, -1)
    with pytest.raises(SettingsError, match="unknown model"):
        tune(texts, labels, texts, labels, 5, space=SearchSpace(models=("forest",)))


# ---------------------------------------------------------------------------------------------
# Helpers


def test_hold_out_is_stratified_seeded_and_disjoint():
    labels = ["a"] * 50 + ["b"] * 30 + ["c"] * 1
    kept, held = hold_out(labels, 0.2, seed=0)
    assert sorted(np.concatenate([kept, held]).tolist()) == list(range(81))
    held_labels = [labels[i] for i in held]
    assert held_labels.count("a") == 10 and held_labels.count("b") == 6
    assert "c" not in held_labels  # a class of one document stays in training
    again_kept, again_held = hold_out(labels, 0.2, seed=0)
    np.testing.assert_array_equal(held, again_held)
    assert set(hold_out(labels, 0.2, seed=1)[1]) != set(held)


def test_scores():
    y_true = np.array([0, 0, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0])
    assert score("accuracy", y_true, y_pred, 3) == pytest.approx(0.6)
    # F1: class 0: 2·1/(2+1+1) = 0.5; class 1: 2·2/(4+1+0) = 0.8; class 2: 0
    assert score("macro_f1", y_true, y_pred, 3) == pytest.approx((0.5 + 0.8 + 0.0) / 3)


# ---------------------------------------------------------------------------------------------
# Cross-validation


def test_stratified_folds_are_seeded_and_balanced():
    from textclf.corpus import stratified_folds
    labels = ["a"] * 23 + ["b"] * 7 + ["c"] * 2
    fold = stratified_folds(labels, 5, seed=3)
    np.testing.assert_array_equal(fold, stratified_folds(labels, 5, seed=3))
    assert not np.array_equal(fold, stratified_folds(labels, 5, seed=4))
    for label, n in (("a", 23), ("b", 7), ("c", 2)):
        per_fold = np.bincount(fold[np.array(labels) == label], minlength=5)
        assert per_fold.max() - per_fold.min() <= 1 and per_fold.sum() == n
    assert np.bincount(fold).max() - np.bincount(fold).min() <= 1
    with pytest.raises(SettingsError, match="folds must be an integer ≥ 2"):
        stratified_folds(labels, 1, 0)
    assert set(stratified_folds(labels, 5, 0)) == set(range(5))  # every document in one


def test_the_standard_error_rule():
    from textclf.tune import beats, standard_error
    assert standard_error([0.01, 0.01, 0.01]) == 0.0
    assert not beats([0.8] * 5, [0.8] * 5)  # a tie never replaces the default
    assert beats([0.82, 0.83, 0.81, 0.82, 0.84], [0.80, 0.80, 0.80, 0.81, 0.81])
    # better on average but within the noise of the fold-by-fold differences
    assert not beats([0.85, 0.78, 0.86, 0.77, 0.84], [0.80, 0.80, 0.80, 0.81, 0.81])


def test_cross_validation_keeps_the_defaults_when_every_setting_ties():
    from textclf.tune import tune_cv
    # every document is told apart by a word of its own class: every setting scores 1.0
    texts = [f"{'alpha' if i % 2 else 'omega'} filler{i % 7} words here" for i in range(60)]
    labels = ["a" if i % 2 else "b" for i in range(60)]
    result = tune_cv(texts, labels, 60, folds=3, seed=1, max_trials=6,
                     space=SearchSpace(models=("logistic",)))
    assert [t.score for t in result.trials if t.status == "ok"] == \
        [1.0] * len([t for t in result.trials if t.status == "ok"])
    assert result.best is result.trials[0]  # the defaults
    defaults = TextClassifier()
    assert result.classifier.feature_settings.weighting == defaults.feature_settings.weighting
    assert result.classifier.training_settings.eta == \
        TextClassifier(model="logistic").training_settings.eta
    assert len(result.trials[0].fold_scores) == 3
    assert result.metadata["cross_validation"]["folds"] == 3


def test_cross_validation_replaces_the_defaults_by_a_clearly_better_setting():
    from textclf.tune import tune_cv
    texts, labels = trigram_corpus(150, seed=21, noise=0.1)  # only trigrams tell the classes
    space = SearchSpace(models=("logistic",), ngrams=(1, 3), weightings=("tfidf",),
                        char_ngrams=(None,))
    result = tune_cv(texts, labels, 60, folds=5, seed=0, max_trials=4, space=space)
    assert result.trials[0].ngrams == 1  # the defaults within this space
    assert result.best.ngrams == 3 and result.best.score > result.trials[0].score
    assert result.classifier.featurizer.settings.ngrams == 3


def test_cli_cross_validates_and_never_reads_test(tmp_path, capsys, access):
    root = write_tree(tmp_path / "data", {"train": trigram_corpus(100, 30),
                                          "dev": trigram_corpus(30, 31),
                                          "test": trigram_corpus(30, 32)})
    model = tmp_path / "model.textclf"
    touched = access()
    status, out, err = run_cli(capsys, "tune", root, "--budget", "20", "-o", model,
                               "--models", "logistic", "--folds", "3")
    FileAccess.stop()
    assert status == 0, err
    assert not [p for p in touched if p.startswith(str((root / "test").resolve()))]
    assert any(p.startswith(str((root / "train").resolve())) for p in touched)
    assert "3-fold cross-validation" in out and "chosen:" in out
    tuning = TextClassifier.load(model).tuning
    assert tuning["cross_validation"]["folds"] == 3
    assert all(len(t["fold_scores"]) == 3 for t in tuning["trials"] if t["status"] == "ok")
    status, _, err = run_cli(capsys, "tune", root, "--budget", "5", "-o", model, "--folds", "1")
    assert status == 1 and "--folds must be 0" in err


def test_cross_validation_bad_input():
    from textclf.tune import tune_cv
    with pytest.raises(DataError, match="only one class"):
        tune_cv(["a b", "b c", "c d", "d e"], ["x"] * 4, 5, folds=2)
    with pytest.raises(SettingsError, match="3 folds need at least 3 documents"):
        tune_cv(["a b", "b c"], ["x", "y"], 5, folds=3)
    with pytest.raises(DataError, match="texts and of labels differ"):
        tune_cv(["a b", "b c"], ["x"], 5, folds=2)


def test_cross_validation_too_long_for_the_budget_trains_the_defaults(monkeypatch):
    """Each epoch takes 0.1 s on a fake clock: the defaults' first fold (10 epochs) takes
    1 s, so the other two folds and the final training (3.5 s) do not fit a 4 s budget."""
    import textclf.tune.crossval as crossval
    from textclf.tune import tune_cv
    clock = FakeClock()
    timed_epochs(monkeypatch, crossval, clock, 0.1)
    texts, labels = trigram_corpus(60, seed=40)
    result = tune_cv(texts, labels, 4.0, folds=3, clock=clock,
                     space=SearchSpace(models=("logistic",)))
    assert len(result.trials) == 1 and result.trials[0].status.startswith("out of time")
    assert result.trials[0].fold_scores and len(result.trials[0].fold_scores) == 1
    assert result.best is result.trials[0]
    assert result.classifier.training_settings.epochs == 10  # the defaults, trained on all
    assert result.classifier.predict(texts[:2])


def test_cross_validation_caps_every_trial_at_a_third_of_the_budget(monkeypatch):
    """A trial whose k folds would take longer than a third of the budget is stopped (a
    network's epochs are slow here: 2 s each on the clock), and the table says so; the
    table names the score it shows, and marks the kept trial."""
    import io

    from textclf.tune import crossval, tune_cv

    clock = FakeClock()
    real_train = crossval.train

    def train(model, X, y, settings, on_epoch_end, guard):  # each epoch: 2 s for mlp
        def after_epoch(epoch, record):
            clock.now += 2.0 if model.kind == "mlp" else 0.01
            on_epoch_end(epoch, record)
        return real_train(model, X, y, settings, after_epoch, guard)

    monkeypatch.setattr(crossval, "train", train)
    texts, labels = trigram_corpus(120, seed=4, noise=0.1)
    out = io.StringIO()
    space = SearchSpace(models=("logistic", "mlp"), ngrams=(1,), weightings=("tfidf",),
                        char_ngrams=(None,), optimizers=("default",))
    result = tune_cv(texts, labels, 30.0, folds=3, seed=0, space=space, clock=clock,
                     out=out, max_trials=6)
    table = out.getvalue()
    assert "cv acc" in table and "mean accuracy over 3 folds" in table
    for trial in result.trials:
        assert trial.seconds <= 30.0 / 3 + 2.0 + 1e-9  # the cap, and the epoch that crossed it
    assert any(t.model == "mlp" and t.status.startswith("capped") for t in result.trials)
    kept = [line for line in table.splitlines() if line.endswith("*kept")]
    assert len(kept) == 1 and kept[0].split()[0] == str(result.best.number)
    assert all(t.epochs == t.max_epochs for t in result.trials if t.status == "ok")
