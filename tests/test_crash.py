"""``textclf train --checkpoint`` killed with SIGKILL at random moments: the model file is
always absent or a good model (the previous checkpoint or the new one), no temporary file
outlives the next run, and ``--resume`` then ends with exactly the θ of a run that was never
interrupted. Bounded in time: at most :data:`SECONDS` of killing."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from textclf import TextClassifier

pytestmark = pytest.mark.slow  # whole processes killed and resumed: runs in CI

SECONDS = 150
OPTIONS = ["--min-df", "1", "--epochs", "150", "--batch-size", "8", "--eta", "2",
           "--schedule", "linear", "--seed", "3", "-q"]


def corpus(path: Path, n: int = 400) -> None:
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    with open(path, "w", encoding="utf-8") as handle:
        for _ in range(n):
            chosen = rng.choice(len(words), size=12)
            label = "pos" if (chosen < 150).sum() > 6 else "neg"
            handle.write(json.dumps({"text": " ".join(words[i] for i in chosen),
                                     "label": label}) + "\n")


def train(data: Path, model: Path, *extra: str) -> subprocess.Popen:
    code = "import sys; from textclf.cli import main; sys.exit(main())"
    return subprocess.Popen([sys.executable, "-c", code, "train", str(data), "-o", str(model),
                             *OPTIONS, *extra], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("kills, extra", [(20, []), (8, ["--optimizer", "adam", "--eta", "0.05"])],
                         ids=["sgd", "adam"])
def test_killed_runs_leave_a_good_file_and_resume_to_the_uninterrupted_theta(tmp_path, kills,
                                                                             extra):
    """20 kills of plain SGD runs; 8 more with Adam, whose moving averages the checkpoint
    must carry for the resumed θ to be exact."""
    data = tmp_path / "train.jsonl"
    corpus(data)
    reference = tmp_path / "reference.textclf"
    done = train(data, reference, *extra)
    assert done.wait(timeout=300) == 0, done.stderr.read().decode()
    expected = TextClassifier.load(reference).model.theta

    model = tmp_path / "m.textclf"
    rng = random.Random(1)
    killed, finished, started = 0, 0, time.monotonic()
    while killed < kills and time.monotonic() - started < SECONDS:
        run = train(data, model, "--checkpoint", "--resume", *extra)
        time.sleep(rng.uniform(0.2, 3.0))
        if run.poll() is None:
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=30)
            killed += 1
        else:  # it finished before the kill: start the run over to kill it again
            assert run.returncode == 0, run.stderr.read().decode()
            finished += 1
            os.unlink(model)
        if model.exists():  # the previous good file or the new one, never half of one
            assert TextClassifier.load(model).model is not None
    assert killed >= kills, f"only {killed} kills in {SECONDS} s ({finished} runs finished)"

    last = train(data, model, "--checkpoint", "--resume", *extra)
    assert last.wait(timeout=300) == 0, last.stderr.read().decode()
    assert temporaries(tmp_path) == []  # the next run removed what the killed ones left
    assert np.array_equal(TextClassifier.load(model).model.theta, expected)
