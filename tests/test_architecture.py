"""The package's structure: layers that import only downward, no private names across
modules, modules of one job, the old module paths still answering (docs/architecture.md)."""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "textclf"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 500  # issue 21: modules under ~500 lines, never a class split to meet a count


def test_lint_imports_keeps_every_contract():
    """The import-linter contracts of pyproject.toml: layers, text ⟂ models, no cycles."""
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) \
        or shutil.which("lint-imports")
    assert command, "import-linter is in the test extra: pip install -e '.[test]'"
    result = subprocess.run([command, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def private_uses(path: Path) -> list[str]:
    """Private names (``_x``) this module takes from another: imported, or reached as an
    attribute of anything but ``self`` and ``cls``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("textclf"):
            parts = node.module.split(".") + [alias.name for alias in node.names]
            found += [f"line {node.lineno}: from {node.module} import {part}" for part in parts
                      if part.startswith("_") and not part.startswith("__")]
        elif (isinstance(node, ast.Attribute) and node.attr.startswith("_")
              and not node.attr.startswith("__")
              and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_name_crosses_a_module(path: Path):
    assert private_uses(path) == []


def test_the_private_name_check_finds_one(tmp_path: Path):
    sample = tmp_path / "sample.py"
    sample.write_text("from textclf.features import _secret\nx = clf._choose_model(3)\n")
    assert len(private_uses(sample)) == 2


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_are_of_one_job_and_short(path: Path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name}: {lines} lines; split it by job"


@pytest.mark.parametrize("old, new, name", [
    ("textclf.train", "textclf.training", "train"),
    ("textclf.inspection", "textclf.explain", "inspect_model"),
    ("textclf.gradcheck", "textclf.models.gradcheck", "gradient_check"),
])
def test_old_module_paths_still_work_and_say_where_things_moved(old: str, new: str, name: str):
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert getattr(module, name) is getattr(importlib.import_module(new), name)
    assert any(issubclass(w.category, DeprecationWarning) and new in str(w.message)
               for w in caught)


def test_old_stream_path_trains(tmp_path: Path):
    sys.modules.pop("textclf.stream", None)
    with pytest.warns(DeprecationWarning, match="fit_stream"):
        from textclf.stream import fit_stream
    from conftest import TRAIN_DOCS

    from textclf import Document, TextClassifier

    docs = [Document(text, label, str(i)) for i, (text, label) in enumerate(TRAIN_DOCS)]
    clf = fit_stream(TextClassifier(hash_bits=8, epochs=2, batch_size=4), lambda: iter(docs))
    assert clf.model is not None and clf.labels == ["neg", "pos"]
