"""The README's Python examples run as written."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_python_examples():
    assert len(python_blocks()) >= 2


def test_readme_python_examples_run(tmp_path):
    for block in python_blocks():
        result = subprocess.run(
            [sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
