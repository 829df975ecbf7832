"""Check and normalise a raw response frame against the instrument (interchange format, SPEC 3.5).

Every check is a vectorised test over a whole column; the first offending row is reported as
``row N, column C: …`` with N the row number in the file (header = row 1, first data row = 2).
"""

from __future__ import annotations

from datetime import timedelta, timezone

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.instrument import Instrument, Item
from analysis.overlap import BACKGROUND_ROWS, background

__all__ = [
    "FREE_TEXT",
    "CHANNELS",
    "LOCAL_TZ",
    "META",
    "REQUIRED",
    "TAIL",
    "normalise_frame",
    "question_items",
]

META = ("response_id", "submitted_at", "unit_code", "point_code", "channel", "weight")
TAIL = ("comment", "duration_s", "device_hash", "flags")
REQUIRED = ("response_id", "submitted_at", "unit_code", "channel")
TEXT_COLUMNS = ("response_id", "unit_code", "point_code", "channel", "comment", "device_hash", "flags")
CHANNELS = ("qr", "link", "paper", "kiosk")
# Lai Châu keeps one clock all year (UTC+7, no daylight saving); times are stored as local wall time.
LOCAL_TZ = timezone(timedelta(hours=7))
_OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"


def question_items(instrument: Instrument) -> tuple[Item, ...]:
    """Items that have a column of their own (every non-text item), in questionnaire order."""
    return tuple(i for i in instrument.items.values() if i.kind != "text")


def _fail(pos: int, column: str, message: str) -> DataError:
    return DataError(f"row {pos + 2}, column {column}: {message}")


def _first(mask: np.ndarray | pd.Series) -> int:
    return int(np.flatnonzero(np.asarray(mask, dtype=bool))[0])


def _cell_text(value: object) -> str:
    if value is None or value is pd.NA or isinstance(value, float) and np.isnan(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# Spreadsheet programs run a cell that starts with one of these as a formula ("CSV injection");
# exports prefix such text with an apostrophe, and reading takes the apostrophe off again.
FORMULA_START = "=+-@\t\r"
# The column whose text comes from outside (a citizen's comment); response ids may not start
# with a formula character at all, and the other text columns hold checked codes and flags.
FREE_TEXT = ("comment",)


def defuse(col: pd.Series) -> pd.Series:
    """Text made safe to open in a spreadsheet: a leading formula character gets a ' before it."""
    risky = col.str[:1].isin(list(FORMULA_START)) & col.ne("")
    return col.where(~risky, "'" + col)


def undefuse(col: pd.Series) -> pd.Series:
    """The text as written before :func:`defuse`."""
    if col.dtype.kind in "iuf":
        return col
    filled = np.flatnonzero(col.to_numpy(dtype=object, na_value="") != "")  # most cells are empty
    quoted = np.zeros(len(col), dtype=bool)
    quoted[filled] = col.iloc[filled].str.startswith("'").to_numpy(dtype=bool)
    if not quoted.any():
        return col
    out = col.copy()
    out[quoted] = col[quoted].str.replace(r"^'(?=[=+\-@\t\r])", "", regex=True)
    return out


def _text(col: pd.Series) -> pd.Series:
    """Strings with '' for empty; integral floats (from spreadsheets or databases) lose '.0'."""
    if col.dtype.kind in "iuf":
        num = col.astype("Float64")
        whole = bool((num.dropna() % 1 == 0).all())
        out = num.astype("Int64").astype("str") if whole else num.astype("str")
        return out.where(num.notna(), "").astype("str")
    if col.dtype == object:
        codes, uniques = pd.factorize(col, use_na_sentinel=False)
        cells = np.asarray([_cell_text(v) for v in uniques] + [""], dtype=object)
        return pd.Series(cells[codes], index=col.index, dtype="str")
    if col.dtype == "str":  # straight from the CSV parser: only empty cells to fill
        return col.fillna("") if col.hasnans else col
    return col.astype("str").where(col.notna(), "").str.strip()


def _numbers(col: pd.Series, column: str) -> pd.Series:
    """Float64 values with NaN for empty; a non-numeric cell is a DataError naming the row."""
    if col.dtype.kind in "iuf":
        return col.astype("float64")
    text = _text(col)
    num = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    bad = num.isna().to_numpy() & (text != "").to_numpy()
    if bad.any():
        pos = _first(bad)
        raise _fail(pos, column, f"'{text.iloc[pos]}' is not a number")
    return num


def _local_times(parsed: pd.Series) -> pd.Series:
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    return parsed.astype("datetime64[us]")


def _parse_times(col: pd.Series) -> pd.Series:
    if col.dtype.kind == "M":  # parsed already (pyarrow's CSV reader, a database frame)
        parsed = _local_times(col)
        if parsed.hasnans:
            raise _fail(_first(parsed.isna()), "submitted_at", "empty")
        return parsed
    text = _text(col)
    blank = text.where(text != "")
    try:
        parsed = _local_times(pd.to_datetime(blank, format="ISO8601", errors="coerce"))
    except ValueError:  # offsets mixed with local times: convert the two kinds apart
        aware = text.str.contains(_OFFSET, regex=True).to_numpy()
        parsed = pd.Series(pd.NaT, index=col.index, dtype="datetime64[us]")
        iso = {"format": "ISO8601", "errors": "coerce"}
        parsed[aware] = _local_times(pd.to_datetime(blank[aware], utc=True, **iso))
        parsed[~aware] = _local_times(pd.to_datetime(blank[~aware], **iso))
    bad = parsed.isna().to_numpy()
    if bad.any():
        pos = _first(bad)
        shown = text.iloc[pos]
        raise _fail(pos, "submitted_at", f"'{shown}' is not an ISO 8601 date-time" if shown else "empty")
    return parsed


def _int_codes(col: pd.Series, item: Item) -> pd.Series:
    """Already-integer answers (the CSV fast path): only the scale check is left."""
    codes = [c for c in (item.scale.codes if item.scale else ()) if c >= 0]
    if col.dtype == "Int16":  # straight from the parser: one table lookup over its values
        allowed = np.zeros(1 << 16, dtype=bool)
        allowed[codes] = True
        values, missing = col.array._data, col.array._mask  # the masked array's own buffers
        bad = ~missing & ~allowed[values.view(np.uint16)]
    else:
        values = col.to_numpy(dtype=np.int32, na_value=0)
        allowed = np.zeros(max(codes, default=0) + 1, dtype=bool)
        allowed[codes] = True
        inside = (values >= 0) & (values < len(allowed))
        bad = ~col.isna().to_numpy() & ~(inside & allowed[np.where(inside, values, 0)])
    if bad.any():
        pos = _first(bad)
        codes_text = ", ".join(str(c) for c in sorted(item.scale.codes)) if item.scale else ""
        raise _fail(pos, item.code, f"{values[pos]} is not a code of {item.code} ({codes_text})")
    return col if col.dtype == "Int16" else col.astype("Int16")


def _codes(col: pd.Series, item: Item) -> pd.Series:
    if col.dtype.kind in "iu" and isinstance(col.dtype, pd.api.extensions.ExtensionDtype):
        return _int_codes(col, item)
    num = _numbers(col, item.code)
    values = num.to_numpy()
    answered = ~np.isnan(values)
    whole = np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):  # an infinity has no remainder: not whole, so not a code
        whole[answered] = values[answered] % 1 == 0
    allowed = np.isin(values, sorted(item.scale.codes)) if item.scale else whole
    bad = answered & ~(whole & allowed)
    if bad.any():
        pos = _first(bad)
        codes = ", ".join(str(c) for c in sorted(item.scale.codes)) if item.scale else "whole numbers"
        raise _fail(pos, item.code, f"{values[pos]:g} is not a code of {item.code} ({codes})")
    return num.astype("Int16")


def _multi(col: pd.Series, item: Item) -> pd.Series:
    """A multi-choice cell like '1;4': known codes, no repeats, at most max_choices."""
    text = _text(col)
    codes, uniques = pd.factorize(text)
    allowed = {str(c) for c in item.scale.codes} if item.scale else set()
    clean = []
    for k, cell in enumerate(uniques):
        parts = [p.strip() for p in str(cell).split(";") if p.strip()]
        problem = next((p for p in parts if p not in allowed), None)
        too_many = len(parts) > (item.max_choices or len(allowed))
        if problem is not None or len(set(parts)) != len(parts) or too_many:
            pos = _first(codes == k)
            why = f"'{problem}' is not a code" if problem else f"at most {item.max_choices} different codes"
            raise _fail(pos, item.code, f"'{cell}': {why} of {item.code} ({', '.join(sorted(allowed))})")
        clean.append(";".join(parts))
    cells = np.asarray(clean, dtype=object)[codes] if len(text) else []
    return pd.Series(cells, index=col.index, dtype="str")


def _skip_rules(out: pd.DataFrame, items: tuple[Item, ...]) -> None:
    for item in items:
        if item.when is None or item.code not in out:
            continue
        answered = out[item.code].notna().to_numpy()
        screener = out[item.when.item] if item.when.item in out else pd.Series(pd.NA, index=out.index)
        allowed = screener.isin(sorted(item.when.values)).to_numpy()
        bad = answered & ~allowed
        if bad.any():
            pos = _first(bad)
            need = " or ".join(str(v) for v in sorted(item.when.values))
            raise _fail(
                pos,
                item.code,
                f"answer {out[item.code].iloc[pos]} given but {item.code} applies only when "
                f"{item.when.item} is {need}",
            )


def _one_policy_group(out: pd.DataFrame, instrument: Instrument) -> None:
    groups = list(instrument.policy_groups)
    if not groups:
        return
    answered = np.column_stack(
        [
            np.logical_or.reduce([out[i.code].notna().to_numpy() for i in instrument.policy_items(g)])
            for g in groups
        ]
    ).reshape(len(out), len(groups))
    bad = answered.sum(axis=1) > 1
    if bad.any():
        pos = _first(bad)
        both = [g for g, a in zip(groups, answered[pos], strict=True) if a]
        code = next(i.code for i in instrument.policy_items(both[1]) if pd.notna(out[i.code].iloc[pos]))
        message = f"answers about policy groups {' and '.join(both)}; a response covers one group"
        raise _fail(pos, code, message)


def _meta(raw: pd.DataFrame) -> dict[str, pd.Series]:
    empty = pd.Series("", index=raw.index, dtype="str")
    cols = {c: _text(raw[c]) if c in raw else empty for c in TEXT_COLUMNS}
    for column in ("response_id", "unit_code", "channel"):
        empty = (cols[column] == "").to_numpy()
        if empty.any():
            raise _fail(_first(empty), column, "empty; every response needs one")
    risky = cols["response_id"].str[:1].isin(list(FORMULA_START)).to_numpy(dtype=bool)
    if risky.any():  # a spreadsheet would run it as a formula
        raise _fail(_first(risky), "response_id", "must not start with =, +, -, @ or a control character")
    return cols


def _repeated_id(ids: pd.Series) -> DataError | None:
    """The error for the first response_id that repeats an earlier one (None: all distinct)."""
    dup = ids.duplicated().to_numpy()
    if not dup.any():
        return None
    pos = _first(dup)
    return _fail(pos, "response_id", f"duplicate response_id '{ids.iloc[pos]}'")


def _channels(cols: dict[str, pd.Series]) -> None:
    odd = (~cols["channel"].isin(CHANNELS)).to_numpy()
    if odd.any():
        pos = _first(odd)
        raise _fail(pos, "channel", f"'{cols['channel'].iloc[pos]}' is not one of {', '.join(CHANNELS)}")


def _nonnegative(raw: pd.DataFrame, column: str, default: float) -> pd.Series:
    if column not in raw:
        return pd.Series(default, index=raw.index, dtype="float64")
    values = _numbers(raw[column], column)
    arr = values.to_numpy()
    bad = (arr < 0) | np.isinf(arr)
    if bad.any():
        pos = _first(bad)
        raise _fail(pos, column, f"{arr[pos]:g} is not allowed; it must be a finite number ≥ 0")
    return values.fillna(default) if not np.isnan(default) else values


def _checked(
    raw: pd.DataFrame, text: dict[str, pd.Series], questions: tuple[Item, ...], instrument: Instrument
) -> pd.DataFrame:
    """Every check after the response ids', and the frame in the interchange dtypes."""
    _channels(text)
    out = {"response_id": text["response_id"], "submitted_at": _parse_times(raw["submitted_at"])}
    out.update({c: text[c] for c in ("unit_code", "point_code", "channel")})
    out["weight"] = _nonnegative(raw, "weight", 1.0)
    for item in questions:
        col = raw[item.code] if item.code in raw else pd.Series(None, index=raw.index, dtype=object)
        out[item.code] = _multi(col, item) if item.kind == "multi" else _codes(col, item)
    out["comment"] = text["comment"]
    out["duration_s"] = _nonnegative(raw, "duration_s", np.nan)
    out["device_hash"] = text["device_hash"]
    out["flags"] = text["flags"]
    frame = pd.DataFrame(out, index=raw.index, copy=False)  # copy on write keeps the input safe
    _skip_rules(frame, questions)
    _one_policy_group(frame, instrument)
    return frame


def normalise_frame(raw: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Validate a raw frame (any cell types) and return it in the normalised interchange dtypes.

    Raises
    ------
    DataError
        On the first problem found; the message names the file row and the column.
    """
    questions = question_items(instrument)
    known = set(META) | set(TAIL) | {i.code for i in questions}
    unknown = [c for c in raw.columns if c not in known]
    if unknown:
        raise DataError(f"row 1, column {unknown[0]}: unknown column (not in instrument {instrument.id})")
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise DataError(f"row 1, column {missing[0]}: required column is missing")
    raw = raw.reset_index(drop=True)
    text = {c: undefuse(v) if c in FREE_TEXT else v for c, v in _meta(raw).items()}
    # The duplicate check hashes every response_id (0.15 s at a million); it runs beside the
    # checks after it, and its error still comes first, as if it had run in its place.
    with background(_repeated_id, text["response_id"], big=len(raw) >= BACKGROUND_ROWS) as repeated:
        try:
            frame = _checked(raw, text, questions, instrument)
        except DataError:
            if (error := repeated.result()) is not None:
                raise error from None
            raise
        if (error := repeated.result()) is not None:
            raise error
    return frame
