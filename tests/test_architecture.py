"""The package's structure: layers that import only downward, no private names across
modules, modules of one job and short, the old paths gone, every module on docs/architecture.md."""

from __future__ import annotations

import ast
import importlib
import re
import shutil
import subprocess
import sys
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


@pytest.mark.parametrize("old", ["textclf.train", "textclf.inspection", "textclf.gradcheck",
                                 "textclf.stream", "textclf.classifier.settings"])
def test_module_paths_of_the_unreleased_version_are_gone(old: str):
    """Paths that existed only inside the same unreleased 0.1.0 were removed (issue 21)."""
    sys.modules.pop(old, None)
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(old)


def test_every_module_has_its_line_in_the_architecture_page():
    """docs/architecture.md names every module (``core/jit``, or ``tune/*`` for a whole
    package), and no module that is gone."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = page[page.index("## One line per module"):page.index("## The path of")]
    named = set(re.findall(r"`([a-z_]+(?:/[a-z_0-9*]+)?)`", table))
    modules = {str(path.relative_to(PACKAGE).with_suffix("")) for path in MODULES
               if path.name != "__init__.py" and "static" not in path.parts}
    missing = sorted(m for m in modules
                     if m not in named and f"{m.split('/')[0]}/*" not in named)
    assert not missing, f"modules without a line in docs/architecture.md: {missing}"
    gone = sorted(n for n in named if "/" in n and not n.endswith("*") and n not in modules)
    assert not gone, f"docs/architecture.md names modules that are gone: {gone}"


MODEL_CLASSES = {"LogisticRegression", "SoftmaxRegression", "MultiLabelLogisticRegression",
                 "FeedForwardNetwork", "NaiveBayesModels", "Ensemble", "naive_bayes"}


def test_models_are_made_in_one_place():
    """Issue 21: above the models themselves, a model is made only by
    ``fitting.problem.new_model`` (and the shape check beside it), so every route trains
    the model the same rule picks."""
    makers = []
    for path in MODULES:
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("models/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in MODEL_CLASSES:
                    makers.append(f"{relative}:{node.lineno} {name}")
    assert makers and all(m.startswith("fitting/problem.py:") for m in makers), makers


@pytest.mark.parametrize("package", sorted({"textclf", *(
    f"textclf.{path.parent.name}" for path in PACKAGE.glob("*/__init__.py"))}))
def test_every_name_a_package_exports_resolves(package: str):
    """A lazily exported name points at the module that defines it."""
    module = importlib.import_module(package)
    missing = []
    for name in getattr(module, "__all__", []):
        try:
            getattr(module, name)
        except AttributeError:
            missing.append(name)
    assert not missing, f"{package} exports {missing}, which its modules do not define"
