"""Case codes: what a citizen writes down to read the unit's answer later, at ``/c/<code>``.

Ten characters from an alphabet without the look-alikes 0/O, 1/I/L, shown as two groups of
five (``K7MX3-PQRTW``): easy to read aloud and to type on a phone. The code is random
(``secrets``), not derived from the response or the time, and only its SHA-256 is stored:
31¹⁰ ≈ 8·10¹⁴ codes, so with lookups rate-limited per address, guessing one of even a
million cases takes longer than the cases live.
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["ALPHABET", "LENGTH", "code_hash", "display", "new_code", "normalise"]

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10


def new_code() -> str:
    """A fresh random code (normalised form, no dash)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(typed: str) -> str | None:
    """The code as typed (any case, spaces or dashes) in normal form, or None if it cannot be one."""
    code = "".join(ch for ch in typed.upper() if ch not in " -–.\t")
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def display(code: str) -> str:
    """``ABCDEFGHJK`` → ``ABCDE-FGHJK``."""
    half = LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def code_hash(code: str) -> str:
    """What the database keeps of a code."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()
