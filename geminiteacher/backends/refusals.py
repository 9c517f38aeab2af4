"""Parameters a model may refuse: finding the one a 400 names, and the note that says so.

Each provider keeps a table of the parameters it may leave out (name -> (pattern of the
server's words, words for a person)); a refused one is left out for that model from then on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

Refusable = Mapping[str, tuple[str, str]]


def refused_parameter(message: str, sent: frozenset[str], table: Refusable) -> str | None:
    """The parameter of `table` that a 400's `message` names, if the request carried it."""
    for name, (pattern, _) in table.items():
        if name in sent and re.search(pattern, message, re.I):
            return name
    return None


def refusal_note(model: str, words: str, reason: str, instead: str = "retried without it") -> str:
    """`model X rejected <words> (<reason>); <instead>`, one line for the course's notes."""
    return f"model {model} rejected {words} ({reason}); {instead}"
