"""How many of textclf's modules a command passes through: a measure of how direct its path is.

    python benchmarks/modules_entered.py train DATA -o MODEL [options]
    python benchmarks/modules_entered.py predict MODEL --text "a fine film"

Runs ``textclf ARGS`` in this process under ``sys.setprofile`` and counts the textclf modules
entered: those in which a function ran, and apart those only imported (their module body
ran, no function of theirs). Prints both counts and the modules a function ran in.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    entered: set[str] = set()  # a function of the module ran
    imported: set[str] = set()  # its module body ran

    def profile(frame, event, arg):
        if event == "call":
            name = frame.f_globals.get("__name__", "")
            if name == "textclf" or name.startswith("textclf."):
                (imported if frame.f_code.co_name == "<module>" else entered).add(name)

    from textclf.cli import main as textclf_main

    sys.setprofile(profile)
    try:
        status = textclf_main(argv)
    finally:
        sys.setprofile(None)
    entered.discard("textclf.cli")  # the entry point itself
    print(f"textclf {' '.join(argv[:1])}: {len(entered)} modules entered (a function ran), "
          f"{len(imported | entered)} imported (status {status})")
    for name in sorted(entered):
        print(f"  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
