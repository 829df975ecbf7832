"""The instrument file sipas-2025 and its loader: structure, skip rules, loud failures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis.errors import InstrumentError
from analysis.instrument import INSTRUMENT_DIR, load_instrument

SOURCE = (INSTRUMENT_DIR / "sipas-2025.toml").read_text(encoding="utf-8")


def broken(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of sipas-2025 with one edit, which must apply exactly once."""
    assert SOURCE.count(old) == 1, old
    path = tmp_path / "broken.toml"
    path.write_text(SOURCE.replace(old, new), encoding="utf-8")
    return path


def test_structure_follows_the_method():
    """Five service elements with 3/4/4/3/3 items; four policy elements over nine groups."""
    ins = load_instrument("sipas-2025")
    sizes = {code: len(e.items) for code, e in ins.elements.items()}
    assert sizes == {"B1": 3, "B2": 4, "B3": 4, "B4": 3, "B5": 3, "A1": 9, "A2": 9, "A3": 9, "A4": 9}
    assert len(ins.index_items) == 17 + 36
    assert list(ins.policy_groups) == [f"G{i}" for i in range(1, 10)]
    assert [i.code for i in ins.policy_items("G4")] == ["A1.G4", "A2.G4", "A3.G4", "A4.G4"]
    assert dict(ins.chain.subindex_weights) == {"policy": 0.5, "service": 0.5}


def test_rating_scale_excludes_dont_know_from_valid():
    """sat5: valid 1–5, satisfied 4–5, 'không biết' 9 outside the denominator."""
    scale = load_instrument().scales["sat5"]
    assert scale.valid == {1, 2, 3, 4, 5}
    assert scale.satisfied == {4, 5}
    assert scale.dont_know == 9 and scale.codes == {1, 2, 3, 4, 5, 9}


@pytest.mark.parametrize(
    ("code", "screen", "applies"),
    [
        ("B4.1", {"S1": 2}, True),
        ("B4.1", {"S1": 1}, False),
        ("B4.3", {}, False),
        ("B5.2", {"B5.0": 1}, True),
        ("B5.3", {"B5.0": 2}, False),
        ("B5.1", {}, True),
    ],
)
def test_skip_rules(code, screen, applies):
    """B4 only for people collecting a result; B5.2–B5.3 only for people who gave feedback."""
    assert load_instrument().items[code].applies(screen) is applies


def test_every_item_is_worded_in_both_languages():
    """Every item has Vietnamese and English wording, none empty."""
    ins = load_instrument()
    for item in ins.items.values():
        assert item.text["vi"].strip() and item.text["en"].strip(), item.code


def test_policy_long_wording_names_the_group():
    """Reports can show a whole sentence per policy item, with the group's name."""
    assert (
        load_instrument().items["A3.G2"].long_text["vi"]
        == "Chính sách khám bệnh, chữa bệnh phù hợp, công bằng"
    )


def test_no_personal_data_question():
    """No question asks for a name, phone, ID number, address or ethnicity."""
    words = re.compile(r"họ tên|số điện thoại của bạn|căn cước của bạn|địa chỉ|dân tộc", re.I)
    for item in load_instrument().items.values():
        assert not words.search(item.text["vi"]), item.code


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'code = "B2.3"\nsection = "service"\nelement = "B2"\nscale = "sat5"',
            'code = "B2.3"\nsection = "service"\nelement = "B2"\nscale = "sat7"',
            "item 'B2.3': unknown scale 'sat7'",
        ),
        (
            'en = "Signs and directions at the centre are clear"',
            "",
            "item 'B1.1': missing wording for language(s) en",
        ),
        ('code = "B3.2"', 'code = "B3.1"', "item 'B3.1': duplicate item code"),
        (
            'when = { item = "S1", in = [2] }\nvi = "Nhận kết quả đúng hẹn"',
            'when = { item = "B4.2", in = [2] }\nvi = "Nhận kết quả đúng hẹn"',
            "item 'B4.1': skip condition refers to 'B4.2', which is not an earlier item",
        ),
        (
            'code = "B1.2"\nsection = "service"\nelement = "B1"',
            'code = "B1.2"\nsection = "service"\nelement = "B7"',
            "item 'B1.2': unknown element 'B7'",
        ),
        ("policy = 0.5\nservice = 0.5", "policy = -1\nservice = 0.5", "chain: subindex_weights"),
    ],
)
def test_malformed_instrument_fails_naming_the_item(tmp_path, old, new, message):
    """A malformed file raises InstrumentError whose message names the offending item or key."""
    with pytest.raises(InstrumentError, match=re.escape(message)):
        load_instrument(broken(tmp_path, old, new))


def test_invalid_toml_and_missing_file(tmp_path):
    """Broken TOML and a missing file are InstrumentErrors too."""
    bad = tmp_path / "bad.toml"
    bad.write_text("id = ", encoding="utf-8")
    with pytest.raises(InstrumentError, match="invalid TOML"):
        load_instrument(bad)
    with pytest.raises(InstrumentError, match="not found"):
        load_instrument(tmp_path / "none.toml")
