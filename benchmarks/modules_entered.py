"""How many of textclf's modules a command passes through: a measure of how direct its path is.

    python benchmarks/modules_entered.py train DATA -o MODEL [options]
    python benchmarks/modules_entered.py predict MODEL --text "a fine film"

Runs ``textclf ARGS`` in this process under ``sys.setprofile`` and counts the textclf modules
entered: those in which a function (a ``def`` or ``lambda``) ran as part of the command, and
apart those only imported (their module body ran, class bodies, and functions called while
a module was being imported, but no function of theirs otherwise). Prints both
counts and the modules a function ran in.
"""

from __future__ import annotations

import inspect
import sys


def is_function(frame) -> bool:
    """Whether ``frame`` runs a function of its module, not code that importing it runs: a
    class body runs as code but is no function (CO_OPTIMIZED tells), dataclasses make
    their methods by running ``__create_fn__`` in the module's name, and a comprehension
    in a module or class body is part of that body."""
    code = frame.f_code
    if not code.co_flags & inspect.CO_OPTIMIZED or code.co_name == "__create_fn__":
        return False
    if code.co_name.startswith("<") and code.co_name != "<lambda>":
        return bool(frame.f_back.f_code.co_flags & inspect.CO_OPTIMIZED)
    return True


def under_import(frame) -> bool:
    """Whether ``frame`` runs while a module is being imported (a module body is among its
    callers): a dataclass instance made as a default argument or a constant, a registry
    filled in, are part of importing, not of the command's path."""
    caller = frame.f_back
    while caller is not None and caller.f_code is not main.__code__:
        if caller.f_code.co_name == "<module>":
            return True
        caller = caller.f_back
    return False


def main(argv: list[str]) -> int:
    entered: set[str] = set()  # a function of the module ran
    imported: set[str] = set()  # its module body ran

    def profile(frame, event, arg):
        if event == "call":
            name = frame.f_globals.get("__name__", "")
            if name == "textclf" or name.startswith("textclf."):
                entering = is_function(frame) and not under_import(frame)
                (entered if entering else imported).add(name)

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
