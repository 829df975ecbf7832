"""Per-response data-quality flags (METHOD §4): speeder, straightliner, burst, after_hours.

Flagged responses are left out of the indices by default (all but ``straightliner``, which is
only counted) and counted in every output.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.answers import Answers, rating_answers
from analysis.hours import is_open, parse_opening_hours
from analysis.instrument import Instrument

__all__ = ["FLAGS", "device_codes", "flag_counts", "flag_responses", "flags_with_answers", "form_loaded_at"]

FLAGS = ("speeder", "straightliner", "burst", "after_hours")
SPEEDER_SECONDS = 20.0
SPEEDER_MIN_ITEMS = 10
STRAIGHTLINE_MIN_ITEMS = 8
BURST_SIZE = 5
BURST_WINDOW = pd.Timedelta(minutes=10)
#: A form loaded this close to the opening hours is not after hours (queues, clocks, a person
#: finishing outside the door). The form-load time is the submission minus ``duration_s``: a form
#: opened at the counter and sent that evening at home is not after hours.
AFTER_HOURS_GRACE_MINUTES = 30


def _answered(codes: np.ndarray) -> np.ndarray:
    """Rating items answered per response ('don't know' counts); codes are int8, -1 empty."""
    return (codes >= 0).sum(axis=1, dtype=np.int16)


def _speeder(df: pd.DataFrame, answered: np.ndarray) -> np.ndarray:
    """Under 20 s from form load to submit with at least 10 rating items answered ('don't know' counts)."""
    duration = df["duration_s"].to_numpy(dtype=float) if "duration_s" in df else np.full(len(df), np.nan)
    return (duration < SPEEDER_SECONDS) & (answered >= SPEEDER_MIN_ITEMS)


def _straightliner(codes: np.ndarray, answered: np.ndarray) -> np.ndarray:
    """At least 8 rating items answered, all with the same code ('don't know' counts, as for speeders)."""
    if codes.shape[1] == 0:
        return np.zeros(len(codes), dtype=bool)
    # Seen unsigned, an empty cell (-1) is 255, above every code: the minimum is the lowest answer.
    low = codes.view(np.uint8).min(axis=1)
    high = codes.max(axis=1)
    return (answered >= STRAIGHTLINE_MIN_ITEMS) & (low.astype(np.int16) == high)


def _point_ids(df: pd.DataFrame) -> pd.Series:
    """A point's identity, ``unit_code/point_code``: counter codes repeat across units (Q01 …)."""
    point = df["point_code"].astype("str")
    return df["unit_code"].astype("str") + "/" + point if "unit_code" in df else point


def _point_codes(df: pd.DataFrame) -> np.ndarray:
    """Integer codes of (unit_code, point_code) pairs, without building a million strings."""
    point = pd.factorize(df["point_code"])[0].astype(np.int64)
    if "unit_code" not in df:
        return point
    unit = pd.factorize(df["unit_code"])[0].astype(np.int64)
    return unit * (int(point.max(initial=0)) + 1) + point


def device_codes(df: pd.DataFrame) -> tuple[np.ndarray, int] | None:
    """Each response's device as a number (-1: none) and how many devices; None without the
    column. Hashing a million device ids is most of the burst rule's time."""
    if "device_hash" not in df:
        return None
    hashes = df["device_hash"]
    device, uniques = pd.factorize(hashes.where(hashes.astype("str") != ""))  # '' and NaN -> -1
    return device, len(uniques)


def _burst(df: pd.DataFrame, devices: tuple[np.ndarray, int] | None = None) -> np.ndarray:
    """Five or more responses from one device at one point within 10 minutes: all but the first.

    Within each (device, point) sorted by time, response j closes a burst when response j-4 is
    no more than 10 minutes earlier; then j-3 … j are flagged. Only devices with at least five
    responses can burst, so only their rows are sorted (most phones answer once).
    """
    n = len(df)
    out = np.zeros(n, dtype=bool)
    if devices is None:
        devices = device_codes(df)
    if n == 0 or devices is None:
        return out
    device, distinct = devices
    if distinct == 0:
        return out
    counts = np.bincount(device[device >= 0], minlength=distinct)
    rows = np.flatnonzero((device >= 0) & (counts[np.maximum(device, 0)] >= BURST_SIZE))
    if len(rows) == 0:
        return out
    sub = df.iloc[rows]
    point = _point_codes(sub) if "point_code" in sub else np.zeros(len(rows), dtype=np.int64)
    time = sub["submitted_at"].to_numpy().astype("datetime64[us]").astype(np.int64)
    order = np.lexsort((time, point, device[rows]))
    key = (device[rows][order].astype(np.int64) << 32) | point[order]
    k = BURST_SIZE - 1
    same = key[k:] == key[:-k]
    close = time[order][k:] - time[order][:-k] <= BURST_WINDOW // pd.Timedelta(microseconds=1)
    closes = np.zeros(len(rows), dtype=bool)
    closes[k:] = same & close
    ends = np.flatnonzero(closes)
    m = len(rows)
    marks = np.bincount(ends - k + 1, minlength=m + 1) - np.bincount(ends + 1, minlength=m + 1)
    flagged = np.zeros(m, dtype=bool)
    flagged[order] = np.cumsum(marks[:-1]) > 0
    out[rows] = flagged
    return out


def form_loaded_at(df: pd.DataFrame) -> pd.Series:
    """When the form was loaded: ``submitted_at − duration_s`` (the submission time where the
    duration is unknown). The app signs the form-load time into the page, so it is the server's."""
    submitted = pd.to_datetime(df["submitted_at"])
    if "duration_s" not in df:
        return submitted
    seconds = pd.to_numeric(df["duration_s"], errors="coerce").fillna(0.0).clip(lower=0.0)
    return submitted - pd.to_timedelta(seconds.to_numpy(), unit="s")


def _after_hours(df: pd.DataFrame, opening_hours: Mapping[str, str] | None) -> np.ndarray:
    """Form loaded more than 30 minutes outside the opening hours of its service point (points
    without hours are not judged).

    Keys are ``unit_code/point_code``, or a bare ``point_code`` for that code in every unit.
    """
    out = np.zeros(len(df), dtype=bool)
    if not opening_hours or "point_code" not in df:
        return out
    points, ids = df["point_code"].astype("str"), _point_ids(df)
    loaded = form_loaded_at(df)
    for point, text in opening_hours.items():  # one vectorised test per configured point
        mask = ((ids if "/" in point else points) == point).to_numpy()
        if mask.any():
            hours = parse_opening_hours(text)
            out[mask] = ~is_open(hours, loaded[mask], grace_minutes=AFTER_HOURS_GRACE_MINUTES).to_numpy()
    return out


def flag_responses(
    df: pd.DataFrame, instrument: Instrument, opening_hours: Mapping[str, str] | None = None
) -> pd.Series:
    """Data-quality flags per response as ';'-joined text ('' = clean), aligned with ``df``.

    Flags already in the ``flags`` column are kept (union). ``opening_hours`` maps a point
    (``unit_code/point_code``, or a bare ``point_code``) to its opening-hours text (see
    :func:`analysis.hours.parse_opening_hours`). Rules (METHOD §4): speeder = under 20 s with
    ≥ 10 rating items answered; straightliner = ≥ 8 rating items answered
    (don't know included) all with one code; burst =
    ≥ 5 responses of one device at one point within 10 minutes (all but the first);
    after_hours = form loaded (submission − duration) more than 30 minutes outside the point's
    opening hours. ``straightliner`` is counted but does not exclude a response by default.
    """
    return flags_with_answers(df, rating_answers(df, instrument), opening_hours)


def flags_with_answers(
    df: pd.DataFrame,
    answers: Answers,
    opening_hours: Mapping[str, str] | None = None,
    devices: tuple[np.ndarray, int] | None = None,
) -> pd.Series:
    """:func:`flag_responses` on answers already extracted (the index computation has them) and,
    when given, the :func:`device_codes` of ``df``."""
    answered = _answered(answers.codes)
    found = {
        "speeder": _speeder(df, answered),
        "straightliner": _straightliner(answers.codes, answered),
        "burst": _burst(df, devices),
        "after_hours": _after_hours(df, opening_hours),
    }
    existing = df["flags"].astype("str") if "flags" in df else pd.Series("", index=df.index, dtype="str")
    codes_, uniques = pd.factorize(existing)
    prior = [frozenset(f for f in str(u).split(";") if f) for u in uniques]
    bits = sum(found[name].astype(np.int64) << b for b, name in enumerate(FLAGS))
    combo, combos = pd.factorize(codes_.astype(np.int64) * 16 + bits)
    labels = []
    for value in combos:
        names = set(prior[value // 16]) | {name for b, name in enumerate(FLAGS) if value % 16 >> b & 1}
        labels.append(";".join(sorted(names, key=lambda f: (FLAGS.index(f) if f in FLAGS else 99, f))))
    return pd.Series(np.asarray(labels, dtype=object)[combo], index=df.index, dtype="str")


def flag_counts(flags: pd.Series) -> dict[str, int]:
    """How many responses carry each flag, and how many carry any."""
    counts, uniques = pd.factorize(flags)
    per = np.bincount(counts, minlength=len(uniques))
    out: dict[str, int] = {}
    for label, k in zip(uniques, per, strict=True):
        for name in filter(None, str(label).split(";")):
            out[name] = out.get(name, 0) + int(k)
    out["flagged"] = int(per[[bool(u) for u in uniques]].sum()) if len(uniques) else 0
    return out
