"""The keyword classifier: Vietnamese with and without diacritics, allegations first."""

from __future__ import annotations

import pytest

from survey.cases.classify import classify

MISCONDUCT = [
    "Cán bộ đòi tiền mới nhận hồ sơ",
    "can bo doi tien moi nhan ho so",
    "Phải có tiền bồi dưỡng thì mới xong",
    "cán bộ nhận hối lộ",
    "hoi lo",
    "Cán bộ gây khó dễ cho dân",
    "Can bo gay kho de cho dan",
    "bị sách nhiễu nhiều lần",
    "SACH NHIEU",
    "Cán bộ … đòi 500.000đ mới làm nhanh",
    "doi 2 trieu moi cho qua",
    "Cán bộ tận tình nhưng đòi tiền",  # praise and an allegation: the allegation wins
]


@pytest.mark.parametrize("text", MISCONDUCT)
def test_allegations_of_misconduct_are_recognised(text):
    """Bribes and harassment, typed with or without diacritics, are allegations of misconduct."""
    assert classify(text).category == "misconduct"


@pytest.mark.parametrize(
    "text, category",
    [
        ("Cần thêm ghế ngồi chờ.", "suggestion"),
        ("Nên có bảng chỉ dẫn bằng tiếng dân tộc.", "suggestion"),
        ("Cán bộ hướng dẫn nhiệt tình, cảm ơn.", "praise"),
        ("can bo huong dan nhiet tinh", "praise"),
        ("Thời gian chờ hơi lâu, thái độ khó chịu.", "complaint"),
        ("Tôi không hài lòng", "complaint"),  # not "hài lòng" (praise) inside it
        ("Xin chào", "suggestion"),  # nothing found: a suggestion
    ],
)
def test_other_comments_get_the_category_with_most_phrases(text, category):
    """Suggestions, praise and complaints by their phrases; nothing found is a suggestion."""
    assert classify(text).category == category


def test_a_word_typed_with_other_diacritics_is_not_a_match():
    """'hỏi lo' (to ask, to worry) is not 'hối lộ', though both fold to 'hoi lo'."""
    assert classify("tôi hỏi lo quá").category != "misconduct"


def test_edited_phrases_replace_the_defaults():
    """The phrases Sở Nội vụ sets are the ones used."""
    phrases = {"misconduct": ["vòi vĩnh"], "complaint": [], "praise": ["tốt"], "suggestion": []}
    assert classify("Cán bộ đòi tiền", phrases).category == "suggestion"
    result = classify("cán bộ voi vinh", phrases)
    assert (result.category, result.found) == ("misconduct", {"misconduct": ("vòi vĩnh",)})
