"""Free text that every database and file format accepts, cleaned once on the way in.

PostgreSQL refuses a NUL byte in text, XML (hence XLSX) refuses most C0 control characters,
and none of them means anything in a citizen's comment. They are removed where text enters
the database: the survey's write path and the paper import. Tab and newline stay (a comment
may have paragraphs); a carriage return becomes part of a plain newline.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["clean_answers", "clean_text"]

# C0 controls but tab and newline, DEL, C1 controls, lone surrogates, and the two non-characters
# U+FFFE/U+FFFF (not allowed in XML 1.0 either).
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """The text without control characters other than tab and newline (CRLF and CR become LF)."""
    if text.isprintable():  # the common case costs one C-level scan
        return text
    return _UNWANTED.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def clean_answers(answers: Mapping[str, object]) -> dict[str, object]:
    """The answers with every free-text value cleaned (codes are left as they are).

    A text that was nothing but control characters is no answer at all.
    """
    out: dict[str, object] = {}
    for code, value in answers.items():
        if isinstance(value, str):
            value = clean_text(value)
            if not value.strip():
                continue
        out[code] = value
    return out
