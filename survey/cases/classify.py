"""Which kind of case a comment is: a keyword classifier Sở Nội vụ can edit.

Four categories: ``suggestion`` (góp ý, kiến nghị), ``complaint`` (phản ánh), ``praise``
(khen) and ``misconduct`` (tố cáo tiêu cực: bribes, harassment). A comment naming any
misconduct phrase is an allegation, whatever else it says: it is escalated to Sở Nội vụ and
never shown to the unit it accuses. A wrong escalation costs Sở Nội vụ a click; a missed one
shows an accusation to the accused, so the list errs towards escalating ("không hề đòi tiền"
is escalated too, and Sở Nội vụ returns it). Otherwise the category with most phrases found
wins, ties going to the more actionable one (complaint, then suggestion, then praise); a
comment with no phrase at all is a suggestion.

People type Vietnamese with and without diacritics ("hối lộ", "hoi lo"). A phrase matches a
comment's words when both are equal without diacritics and, where the comment was typed
with diacritics and the phrase has them too, equal with them: "hoi lo" and "hối lộ" match the
phrase "hối lộ", "hỏi lo" does not. A one-word phrase typed without diacritics is too
ambiguous ("can": cán, cần, cân) and matches only with them, unless the phrase itself is
written plain. Longer phrases are matched first and consume their words,
so "không hài lòng" (complaint) is not also "hài lòng" (praise). A ``#`` in a phrase stands
for an amount or number: "đòi #" matches "đòi 500.000đ" and "doi 2 trieu".

Pure Python; the phrases live in ``case_setting`` (survey/cases/settings.py), these are the
defaults.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["CATEGORIES", "DEFAULT_KEYWORDS", "Classification", "classify", "fold"]

CATEGORIES = ("suggestion", "complaint", "praise", "misconduct")
# Ties between categories go to the first of this order.
_TIE_ORDER = ("complaint", "suggestion", "praise")

DEFAULT_KEYWORDS: dict[str, tuple[str, ...]] = {
    "misconduct": (
        "hối lộ",
        "đòi tiền",
        "vòi tiền",
        "xin tiền",
        "đưa tiền",
        "bồi dưỡng",
        "tiền bồi dưỡng",
        "lót tay",
        "tiền lót tay",
        "phong bì",
        "tiền cà phê",
        "chung chi",
        "ăn tiền",
        "làm luật",
        "tiêu cực",
        "tham nhũng",
        "nhũng nhiễu",
        "sách nhiễu",
        "hạch sách",
        "gây khó dễ",
        "gây khó khăn",
        "vòi vĩnh",
        "bắt chẹt",
        "cò mồi",
        "ngâm hồ sơ",
        "quấy rối",
        "đe dọa",
        "đe doạ",
        "ép buộc",
        "chi phí ngoài",
        "tiền ngoài",
        "phải đưa",
        "phải chi",
        "chi thêm",
        "mới làm nhanh",
        "đòi #",
        "đưa #",
        "mất #",
    ),
    "complaint": (
        "không hài lòng",
        "chưa hài lòng",
        "bức xúc",
        "phàn nàn",
        "chậm",
        "quá hạn",
        "trễ hẹn",
        "hẹn lại",
        "chờ lâu",
        "lâu quá",
        "lâu",
        "đi lại nhiều lần",
        "thái độ",
        "quát",
        "cáu gắt",
        "khó chịu",
        "thờ ơ",
        "không hướng dẫn",
        "hướng dẫn không rõ",
        "không nhiệt tình",
        "không tốt",
        "chưa tốt",
        "kém",
        "tệ",
        "sai",
        "thiếu",
        "mất hồ sơ",
        "hỏng",
        "không hoạt động",
        "không nghe máy",
        "vắng mặt",
        "không có người",
        "nóng",
        "chật",
    ),
    "praise": (
        "cảm ơn",
        "cám ơn",
        "hài lòng",
        "tốt",
        "rất tốt",
        "nhiệt tình",
        "tận tình",
        "chu đáo",
        "nhanh chóng",
        "vui vẻ",
        "lịch sự",
        "niềm nở",
        "tuyệt vời",
        "khen",
        "chuyên nghiệp",
    ),
    "suggestion": (
        "nên",
        "đề nghị",
        "kiến nghị",
        "đề xuất",
        "góp ý",
        "mong",
        "cần",
        "thêm",
        "bổ sung",
        "cải thiện",
        "sửa",
        "lắp",
        "bố trí",
    ),
}


@dataclass(frozen=True)
class Classification:
    """The category and, per category, the phrases found (for the official's page)."""

    category: str
    found: Mapping[str, tuple[str, ...]]


def _plain(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0]
    low = base.lower()
    return low if len(low) == 1 else base


def fold(text: str) -> str:
    """Lower case without diacritics, one character for one: positions stay comparable."""
    return "".join(_plain(ch) for ch in text)


def _prepare(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def _lower(text: str) -> str:
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def _matches(phrase: str, span: str) -> bool:
    """Equal without diacritics (known); equal with them unless one side was typed without.

    A one-word phrase with diacritics needs them in the text too: typed plain, one syllable is
    too many words ("can" is cán, cần, cân …), while "nhiet tinh" can only be "nhiệt tình".
    """
    span, phrase = _lower(span), _lower(phrase)
    if span == phrase or phrase == fold(phrase):
        return True
    return span == fold(span) and " " in phrase


# What "#" stands for, in folded text: a number, perhaps with thousands and a currency.
_NUMBER = r"\d[\d.,]*(?: ?(?:k|d|dong|vnd|nghin|ngan|trieu|ty|ti)(?!\w))?"


def _pattern(key: str) -> str:
    return r"(?<!\w)" + _NUMBER.join(re.escape(part) for part in key.split("#")) + r"(?!\w)"


def _phrases(keywords: Mapping[str, Iterable[str]]) -> list[tuple[str, str, str]]:
    """(category, phrase, folded phrase), longest first."""
    rows = [(cat, _prepare(p), fold(_prepare(p))) for cat, ps in keywords.items() for p in ps if p.strip()]
    return sorted(rows, key=lambda r: (-len(r[2]), r[2]))


def classify(text: str, keywords: Mapping[str, Iterable[str]] | None = None) -> Classification:
    """The category of a comment (see the module docstring for the rule).

    >>> classify("Cán bộ đòi tiền bồi dưỡng mới làm").category
    'misconduct'
    >>> classify("Can bo gay kho de").category
    'misconduct'
    """
    work = _prepare(text)
    folded = fold(work)
    used = [False] * len(work)
    found: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    for category, phrase, key in _phrases(keywords if keywords is not None else DEFAULT_KEYWORDS):
        for m in re.finditer(_pattern(key), folded):
            start, end = m.span()
            if any(used[start:end]) or ("#" not in phrase and not _matches(phrase, work[start:end])):
                continue
            used[start:end] = [True] * (end - start)
            if phrase not in found[category]:
                found[category].append(phrase)
    return Classification(_decide(found), {c: tuple(v) for c, v in found.items() if v})


def _decide(found: Mapping[str, list[str]]) -> str:
    if found.get("misconduct"):
        return "misconduct"
    best = max(_TIE_ORDER, key=lambda c: (len(found.get(c, ())), -_TIE_ORDER.index(c)))
    return best if found.get(best) else "suggestion"
