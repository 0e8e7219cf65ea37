"""Text shown where a control character would do harm: a log line, a terminal.

A request path with ``%0a`` in it is a line break once decoded, and one written raw to a log
forges a line of its own; a label holding ``ESC [ 2 J`` clears the terminal it is printed
on. :func:`escape_controls` writes such characters as Python writes them in a string
literal (``\\n``, ``\\x1b``, ``\\u202e``), and a backslash as ``\\\\``, so that what is
shown stays on one line, changes nothing on the screen, and can be read back unambiguously.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, the line and paragraph separators, and the invisible marks that
# reorder text (bidirectional overrides and isolates), and the backslash itself
UNSAFE = re.compile("[\\\\\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
NAMED = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_one(match: re.Match) -> str:
    char = match.group()
    if char in NAMED:
        return NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with control characters (and backslashes) escaped: one printable line."""
    return UNSAFE.sub(escape_one, text)
