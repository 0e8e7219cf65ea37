"""docs/models.md: its Python examples run as written."""

import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "models.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_models_doc_python_examples_run(tmp_path: Path) -> None:
    blocks = python_blocks()
    assert len(blocks) >= 5
    outputs = {}
    for block in blocks:
        result = subprocess.run([sys.executable, "-c", block], cwd=tmp_path,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{block}\n{result.stderr}"
        outputs[block] = result.stdout
    # the XOR example shows what it says: a line cannot, one hidden layer can
    xor = next(block for block in blocks if "[1.0, 1.0]" in block)
    lines = outputs[xor].splitlines()
    assert float(lines[0].split(":")[1]) <= 0.75
    assert float(lines[1].split(":")[1]) == 1.0
