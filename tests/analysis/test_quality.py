"""Data-quality flags (METHOD §4) and opening hours."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_fixtures import frame, full_row

from analysis.compute import compute_indices
from analysis.errors import DataError
from analysis.hours import is_open, parse_opening_hours
from analysis.quality import flag_responses

VARIED = {
    "B1.1": 4,
    "B1.2": 5,
    "B1.3": 3,
    "B2.1": 4,
    "B2.2": 2,
    "B2.3": 5,
    "B2.4": 4,
    "B3.1": 5,
    "B3.2": 4,
    "B3.3": 3,
}


def test_speeder_needs_short_time_and_ten_answers(instrument):
    """Under 20 s with 10 answers is a speeder; 19 s with 3 answers or 25 s with 10 is not."""
    rows = [
        VARIED | {"duration_s": 15},
        {"B1.1": 4, "B1.2": 5, "B1.3": 3, "duration_s": 19},
        VARIED | {"duration_s": 25},
    ]
    assert flag_responses(frame(instrument, rows), instrument).tolist() == ["speeder", "", ""]


def test_straightliner_needs_eight_identical_answered_items(instrument):
    """Eight 4s or eight 9s is straightlining; seven 4s, or one different answer (9 too), is not."""
    # METHOD §4: "straightliner (≥ 8 answered items all identical)"; SPEC 3.5: 9 = answered
    # "không biết", as the speeder rule counts it.
    same = {code: 4 for code in list(VARIED)[:8]}
    rows = [same, dict(list(same.items())[:7]), same | {"B1.1": 5}, same | {"B0": 9}]
    rows.append({code: 9 for code in same})
    assert flag_responses(frame(instrument, rows), instrument).tolist() == [
        "straightliner",
        "",
        "",
        "",
        "straightliner",
    ]


def test_burst_flags_all_but_the_first(instrument):
    """Five responses of one device at one point within 10 minutes: the last four are flagged."""
    times = ["09:00", "09:02", "09:04", "09:06", "09:09", "11:00"]
    rows = [
        {"B1.1": 4, "device_hash": "d1", "point_code": "P1", "submitted_at": f"2025-07-01T{t}:00"}
        for t in times
    ]
    rows.append({"B1.1": 4, "device_hash": "d2", "point_code": "P1", "submitted_at": "2025-07-01T09:03:00"})
    flags = flag_responses(frame(instrument, rows), instrument).tolist()
    assert flags == ["", "burst", "burst", "burst", "burst", "", ""]


@pytest.mark.parametrize("beside", [True, False])
def test_bursts_counted_in_the_index_when_device_ids_are_hashed_beside(instrument, monkeypatch, beside):
    """On large files the device ids are hashed on a second thread while the answers are read
    (forced here on a small one): the burst responses are left out of the index all the same."""
    import analysis.compute as compute

    monkeypatch.setattr(compute, "BACKGROUND_ROWS", 1 if beside else 10**9)
    times = ["09:00", "09:02", "09:04", "09:06", "09:09"]
    rows = [
        {"B1.1": 4, "device_hash": "d1", "point_code": "P1", "submitted_at": f"2025-07-01T{t}:00"}
        for t in times
    ]
    rows += [{"B1.1": 1, "device_hash": f"e{k}", "point_code": "P1"} for k in range(3)]
    result = compute_indices(frame(instrument, rows), instrument)
    # 4 bursts left out: B1.1 is 1 of 4 responses satisfied (the first of d1), by hand 25 %
    assert result.quality["burst"] == 4
    assert result.group().items["B1.1"].value == pytest.approx(25.0)


def test_four_in_a_row_is_not_a_burst(instrument):
    """Four responses of one device within minutes are not enough."""
    rows = [{"B1.1": 4, "device_hash": "d1", "submitted_at": f"2025-07-01T09:0{k}:00"} for k in range(4)]
    assert set(flag_responses(frame(instrument, rows), instrument)) == {""}


def test_after_hours_uses_the_point_hours(instrument):
    """A form loaded on Sunday or at 12:15 is after hours at a point open mon-fri 07:00-11:30 and
    13:30-17:00; 11:59 is within the 30-minute grace after 11:30."""
    rows = [
        {"B1.1": 4, "point_code": "P1", "submitted_at": "2025-07-01T08:00:00"},  # Tuesday morning
        {"B1.1": 4, "point_code": "P1", "submitted_at": "2025-07-01T12:15:00"},
        {"B1.1": 4, "point_code": "P1", "submitted_at": "2025-07-06T09:00:00"},  # Sunday
        {"B1.1": 4, "point_code": "P2", "submitted_at": "2025-07-06T09:00:00"},  # no hours known
        {"B1.1": 4, "point_code": "P1", "submitted_at": "2025-07-01T11:59:00"},  # grace
    ]
    hours = {"P1": "mon-fri 07:00-11:30,13:30-17:00; sat 07:30-11:30"}
    flags = flag_responses(frame(instrument, rows), instrument, hours).tolist()
    assert flags == ["", "after_hours", "after_hours", "", ""]


def test_after_hours_judges_the_form_load_time(instrument):
    """A form loaded at 16:50 and sent at 21:00 (answered at home) is not after hours; one loaded
    at 06:20 (40 minutes before opening) is, even if sent at 07:10; 06:35 is within the grace."""
    rows = [
        {"B1.1": 4, "point_code": "P1", "submitted_at": "2025-07-01T21:00:00", "duration_s": 4 * 3600 + 600},
        {"B1.1": 4, "point_code": "P1", "submitted_at": "2025-07-01T07:10:00", "duration_s": 50 * 60},
        {"B1.1": 4, "point_code": "P1", "submitted_at": "2025-07-01T06:40:00", "duration_s": 5 * 60},
    ]
    hours = {"P1": "mon-fri 07:00-17:00"}
    assert flag_responses(frame(instrument, rows), instrument, hours).tolist() == ["", "after_hours", ""]


def test_existing_flags_are_kept(instrument):
    """Flags already in the file are united with the computed ones."""
    rows = [VARIED | {"duration_s": 5, "flags": "manual_check"}, {"B1.1": 4, "flags": "manual_check"}]
    assert flag_responses(frame(instrument, rows), instrument).tolist() == [
        "speeder;manual_check",
        "manual_check",
    ]


def test_straightliners_are_counted_not_excluded(instrument):
    """A straight-liner stays in the index by default and is counted (METHOD §6)."""
    rows = [full_row(5, 5)] + [{"B1.1": 1, "B1.2": 2}]
    result = compute_indices(frame(instrument, rows), instrument)
    assert result.quality["straightliner"] == 1 and result.quality["excluded"] == 0
    assert result.group().items["B1.1"].value == 50.0 and result.group().n == 2


def test_index_is_also_shown_with_the_excluded_responses(instrument):
    """With a speeder left out, the group also carries its headline indices with everyone kept."""
    rows = [full_row(5, 5)] * 3 + [full_row(1, 1) | {"duration_s": 5}]
    group = compute_indices(frame(instrument, rows), instrument).group()
    assert group.n == 3 and group.sipas.value == 100.0
    both = group.including_flagged
    assert both["n"] == 4 and both["sipas"].value == 75.0


def test_flagged_responses_are_excluded_and_counted(instrument):
    """By default a flagged response leaves the indices and is counted; --include-flagged keeps it."""
    rows = [{"B1.1": 5}, {"B1.1": 1}, VARIED | {"B1.1": 1, "duration_s": 3}]
    df = frame(instrument, rows)
    result = compute_indices(df, instrument)
    assert result.group().items["B1.1"].value == 50.0
    assert result.quality["speeder"] == 1 and result.quality["excluded"] == 1
    assert result.group().n == 2
    kept = compute_indices(df, instrument, include_flagged=True)
    assert kept.group().items["B1.1"].n == 3 and kept.quality["excluded"] == 0


def test_parse_opening_hours():
    """Day ranges, single days and several intervals per day are understood."""
    hours = parse_opening_hours("mon-fri 07:00-11:30,13:30-17:00; sat 07:30-11:30")
    assert hours.days[0] == ((420, 690), (810, 1020))
    assert hours.days[5] == ((450, 690),)
    assert 6 not in hours.days


@pytest.mark.parametrize("text", ["mon-fry 07:00-11:00", "mon 7h-11h", "mon 11:00-07:00", ""])
def test_bad_opening_hours_name_the_text(text):
    """Unparsable opening hours raise a DataError quoting the text."""
    with pytest.raises(DataError, match="opening hours"):
        parse_opening_hours(text)


def test_is_open_is_vectorised_over_a_series():
    """is_open answers for every timestamp of a Series at once; the end of an interval is closed."""
    hours = parse_opening_hours("mon-fri 07:00-11:30")
    times = pd.Series(pd.to_datetime(["2025-07-01 07:00", "2025-07-01 11:30", "2025-07-05 08:00"]))
    assert is_open(hours, times).tolist() == [True, False, False]


def test_full_rows_are_straightliners(instrument):
    """A response with the same answer everywhere is flagged (the fixture rows are uniform)."""
    assert flag_responses(frame(instrument, [full_row(5, 5)]), instrument).tolist() == ["straightliner"]


def test_counter_codes_are_told_apart_by_unit(instrument):
    """Q01 of two units are two counters: hours keyed unit/point apply to one, bursts do not mix."""
    rows = [
        {"B1.1": 4, "unit_code": "U1", "point_code": "Q01", "submitted_at": "2025-07-01T12:00:00"},
        {"B1.1": 4, "unit_code": "U2", "point_code": "Q01", "submitted_at": "2025-07-01T12:00:00"},
    ]
    hours = {"U1/Q01": "mon-fri 07:00-11:30", "U2/Q01": "mon-fri 07:00-17:00"}
    assert flag_responses(frame(instrument, rows), instrument, hours).tolist() == ["after_hours", ""]
    burst = [
        {
            "B1.1": 4,
            "device_hash": "d1",
            "unit_code": f"U{k % 2}",
            "point_code": "Q01",
            "submitted_at": f"2025-07-01T09:0{k}:00",
        }
        for k in range(6)
    ]
    assert set(flag_responses(frame(instrument, burst), instrument)) == {""}


def test_missing_device_is_not_one_device(instrument):
    """Five responses at one point without a device hash (None) within minutes are no burst."""
    rows = [{"B1.1": 4, "point_code": "P1", "submitted_at": f"2025-07-01T09:0{k}:00"} for k in range(5)]
    df = frame(instrument, rows).assign(device_hash=None)
    assert set(flag_responses(df, instrument)) == {""}
