"""Personal data is masked out of free text in every usual Vietnamese writing; ordinary numbers stay."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey.cases.masking import EMAIL, ID_NUMBER, LONG_NUMBER, PHONE, mask_text

PHONES = [
    "0912345678",
    "0912 345 678",
    "0912.345.678",
    "0912-345-678",
    "091 234 5678",
    "+84 912 345 678",
    "+84912345678",
    "+84-912-345-678",
    "84912345678",
    "(+84) 912 345 678",
    "0213 3876 543",  # Lai Châu landline: 0213 + 7 digits
    "(0213) 3876 543",
    "024 3825 1234",  # Hà Nội landline: 024 + 8 digits
    "02133876543",
    "01662345678",  # an old 11-digit mobile number
]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_numbers_are_masked_in_every_writing(phone):
    """A phone number in a sentence becomes [SĐT] and the words around it stay."""
    assert mask_text(f"Gọi tôi {phone} nhé") == f"Gọi tôi {PHONE} nhé"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("CCCD 012345678901 của tôi", f"CCCD {ID_NUMBER} của tôi"),
        ("căn cước 0123 4567 8901", f"căn cước {ID_NUMBER}"),
        ("số CCCD: 012 345 678 901", f"số CCCD: {ID_NUMBER}"),
        ("CMND 123456789", f"CMND {ID_NUMBER}"),
        ("cmnd 012.345.678", f"cmnd {ID_NUMBER}"),
    ],
)
def test_identity_card_numbers_are_masked(text, expected):
    """CCCD (12 digits) and CMND (9 digits), grouped or not, become [CCCD/CMND]."""
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("email nguyen.van.a@gmail.com nhé", f"email {EMAIL} nhé"),
        ("gửi về hoa_le+snv@laichau.gov.vn.", f"gửi về {EMAIL}."),
    ],
)
def test_email_addresses_are_masked(text, expected):
    """An e-mail address becomes [email]."""
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("STK 1903555512 Techcombank", f"STK {LONG_NUMBER} Techcombank"),
        ("số tài khoản: 0071 0001 23456", f"số tài khoản: {LONG_NUMBER}"),
        ("thẻ 9704 0512 3456 7890", f"thẻ {LONG_NUMBER}"),
        ("mã số 123456789012345", f"mã số {LONG_NUMBER}"),
    ],
)
def test_accounts_and_other_long_digit_runs_are_masked(text, expected):
    """Bank accounts, card numbers and any other run of 9+ digits become [dãy số]."""
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("SĐT: 3876543", f"SĐT: {PHONE}"),
        ("zalo 876 5432", f"zalo {PHONE}"),
        ("gọi số 3876 543", f"gọi số {PHONE}"),
    ],
)
def test_short_numbers_after_a_phone_word_are_masked(text, expected):
    """A landline without its area code is masked when a word says it is a phone number."""
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Cán bộ đòi 500.000đ mới làm nhanh",
        "phí 1.500.000.000 đồng cho dự án",
        "nộp 2.000.000 VND lệ phí",
        "hẹn ngày 12/12/2026 lúc 8h30, quầy số 3",
        "ngày 12.12.2026 chờ 45 phút",
        "năm 2026 tôi đi 3 lần, 2 tiếng mỗi lần",
        "biển số 25A-123.45",
    ],
)
def test_ordinary_numbers_stay_readable(text):
    """Amounts, dates, times, counts and plate numbers are not touched."""
    assert mask_text(text) == text


def test_the_issue_example_keeps_the_amount_and_loses_phone_and_id():
    """The comment that started it all: the bribe amount stays, the phone and CCCD go."""
    text = "Cán bộ … đòi 500.000đ mới làm nhanh. Gọi tôi 0912345678, CCCD 012345678901"
    assert mask_text(text) == f"Cán bộ … đòi 500.000đ mới làm nhanh. Gọi tôi {PHONE}, CCCD {ID_NUMBER}"


DIGIT_RUN = re.compile(r"\d{9,}")
digits = st.text(alphabet="0123456789", min_size=1, max_size=14)
separators = st.sampled_from(["", " ", ".", "-", "  ", "/", ",", "đ", " đồng", "+", "(", ")"])
pieces = st.one_of(digits, separators, st.text(max_size=6))


@settings(max_examples=400, deadline=None)
@given(st.lists(pieces, max_size=30).map("".join))
def test_masked_text_never_holds_a_run_of_nine_digits(text):
    """Whatever the text, the masked text holds no run of nine or more digits."""
    assert DIGIT_RUN.search(mask_text(text)) is None


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=200))
def test_text_without_digits_or_at_signs_is_unchanged(text):
    """A comment without digits or an e-mail address comes back as typed (in NFC)."""
    import unicodedata

    text = text.replace("@", "")
    assert mask_text(text) == unicodedata.normalize("NFC", text)
