"""How many of textclf's modules a command passes through: a measure of how direct its path is.

    python benchmarks/modules_entered.py train DATA -o MODEL [options]
    python benchmarks/modules_entered.py predict MODEL --text "a fine film"

Runs ``textclf ARGS`` in this process under ``sys.setprofile`` and counts the textclf modules
in which at least one function was called (a module imported but never called into does not
count). Prints the count and the modules.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    entered: set[str] = set()

    def profile(frame, event, arg):
        if event == "call":
            name = frame.f_globals.get("__name__", "")
            if name == "textclf" or name.startswith("textclf."):
                entered.add(name)

    from textclf.cli import main as textclf_main

    sys.setprofile(profile)
    try:
        status = textclf_main(argv)
    finally:
        sys.setprofile(None)
    entered.discard("textclf.cli")  # the entry point itself
    print(f"textclf {' '.join(argv[:1])}: {len(entered)} modules entered (status {status})")
    for name in sorted(entered):
        print(f"  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
