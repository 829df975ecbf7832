"""Personal data out of free text, before any row holds it (Law 91/2025 on personal data).

A citizen is asked not to write a name or a phone number, and many do anyway: "gọi tôi
0912 345 678, CCCD 012345678901". Every free text a citizen sends is masked at write time,
so the raw text is never stored and no official, export or backup ever sees it. What goes:

* e-mail addresses → ``[email]``;
* Vietnamese phone numbers in every usual writing (``0912345678``, ``0912 345 678``,
  ``0912.345.678``, ``+84 912 345 678``, ``84912345678``, ``(+84) 912…``, landlines such as
  ``0213 3876 543``, old 11-digit mobiles ``016…``) → ``[SĐT]``; a 7–10 digit number right after
  a word such as "SĐT", "gọi", "Zalo" (a landline without its area code) too;
* identity card numbers: CCCD (12 digits) and CMND (9 digits), grouped or not →
  ``[CCCD/CMND]``;
* any other run of 9 or more digits, separators included (a bank account, a card, a tax
  number), and any number after "STK"/"số tài khoản" → ``[dãy số]``.

Ordinary numbers stay readable: amounts ("500.000đ", "1.500.000.000 đồng"), dates
("12/12/2026", "12.12.2026"), times, counter and dossier counts. The one exception is a
9+ digit number written without thousands separators ("1500000000đ"): it is masked, because
the guarantee is simple and tested on random text — **the masked text never contains a run of
nine digits**. Names and street addresses cannot be found reliably by pattern and are not
masked; the survey asks people not to write them.

Pure Python (``re`` and ``unicodedata``): no Flask, so the migration that masks older
comments can use it too.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["EMAIL", "ID_NUMBER", "LONG_NUMBER", "PHONE", "mask_text"]

EMAIL = "[email]"
PHONE = "[SĐT]"
ID_NUMBER = "[CCCD/CMND]"
LONG_NUMBER = "[dãy số]"

_EMAIL = re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}", re.UNICODE)

# One optional separator between digits: a space, a dot, a dash (or en dash).
_SEP = r"[ \t.\-–]?"
# A Vietnamese number: +84 / 84 / (+84) / 0, then 9 (mobile) or 10 (landline, old mobile)
# digits, each optionally preceded by one separator; never inside a longer digit run.
_PHONE_SEP = r"[ \t.\-–()]{0,2}"  # "(0213) 3876 543": a bracket and a space
_PHONE = re.compile(rf"(?<![\w+(])(?:\(\+?84\)|\+84|84|\(?0)(?:{_PHONE_SEP}\d){{9,10}}(?!\d)")
# CMND (9 digits) and CCCD (12 digits), written whole or in groups of 3 or 4.
_ID = re.compile(r"(?<![\d])(?:\d{12}|\d{9}|\d{3}(?:[ .\-]\d{3}){2,3}|\d{4}(?:[ .\-]\d{4}){2})(?![\d])")
# Any digits joined by single separators: the last net, for 9+ digits however written.
_DIGITS = re.compile(rf"\d(?:{_SEP}\d)*")
# "500.000", "1.500.000.000": thousands groups, kept when a currency follows.
_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+")
_CURRENCY = re.compile(r"\s?(?:đ|₫|đồng|dong|vnđ|vnd|k|nghìn|ngàn|triệu|trieu|tỷ|tỉ|ty)\b", re.IGNORECASE)
# Words after which a shorter number is a phone or an account all the same.
_PHONE_WORDS = (
    r"s[đd]t|đt|dt|điện thoại|dien thoai|đthoại|gọi|goi|zalo|liên hệ|lien he|số máy|so may|nhắn tin|nhan tin"
)
_AFTER_PHONE_WORD = re.compile(
    rf"(?<!\w)(?P<lead>(?:{_PHONE_WORDS})\W{{0,3}}(?:(?:là|la|số|so|cho tôi|cho toi)\W{{0,3}})?)"
    rf"(?P<number>\d(?:{_SEP}\d){{6,9}})(?!\d)",
    re.IGNORECASE,
)
_ACCOUNT_WORDS = r"stk|số tài khoản|so tai khoan|tài khoản|tai khoan|số tk|so tk|thẻ|the atm"
_AFTER_ACCOUNT_WORD = re.compile(
    rf"(?<!\w)(?P<lead>(?:{_ACCOUNT_WORDS})\W{{0,3}}(?:(?:là|la|số|so)\W{{0,3}})?)(?P<number>\d(?:{_SEP}\d){{5,}})",
    re.IGNORECASE,
)


def _digit_count(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _amount(match: re.Match[str]) -> bool:
    """Whether the number is written in thousands ("1.500.000.000") and a currency follows."""
    return bool(_THOUSANDS.fullmatch(match.group()) and _CURRENCY.match(match.string, match.end()))


def _id_or_long(match: re.Match[str]) -> str:
    if _amount(match):
        return match.group()
    return ID_NUMBER if _digit_count(match.group()) in (9, 12) else LONG_NUMBER


def _long_runs(text: str) -> str:
    """Mask every number of 9+ digits, separators included, unless it is an amount with a currency."""
    out: list[str] = []
    last = 0
    for match in _DIGITS.finditer(text):
        number = match.group()
        if _digit_count(number) < 9:
            continue
        if _amount(match):
            continue
        out.append(text[last : match.start()])
        out.append(LONG_NUMBER)
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def mask_text(text: str) -> str:
    """The text with e-mails, phone numbers, ID numbers and other long digit runs replaced.

    >>> mask_text("Gọi tôi 0912 345 678, CCCD 012345678901, phí 500.000đ")
    'Gọi tôi [SĐT], CCCD [CCCD/CMND], phí 500.000đ'
    """
    text = unicodedata.normalize("NFC", text)
    text = _EMAIL.sub(EMAIL, text)
    text = _AFTER_ACCOUNT_WORD.sub(lambda m: m.group("lead") + LONG_NUMBER, text)
    text = _PHONE.sub(PHONE, text)
    text = _AFTER_PHONE_WORD.sub(lambda m: m.group("lead") + PHONE, text)
    text = _ID.sub(_id_or_long, text)
    return _long_runs(text)
