"""One cell's statistics as compact bytes, and back.

Format (little-endian): ``b"SIPC"``, format version (1 byte), the layout fingerprint (8 bytes),
the number type (1 byte: 1, 2 or 4-byte unsigned integers when every number is a whole count,
else 8-byte floats), a bit mask of the policy groups present (4 bytes), then the numbers (whole
counts with their bytes grouped by significance), zlib-compressed. The positions that belong
to an absent policy group (its items' sums, products and tables — all zero) are left out: a
counter-day cell typically holds a few groups of nine.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from analysis.cellsum import columns_of
from analysis.errors import AnalysisError
from analysis.layout import Layout

__all__ = ["StaleLayoutError", "decode", "encode"]

MAGIC = b"SIPC"
FORMAT = 1
_HEADER = struct.Struct("<4sB8sBI")
_TYPES = {1: np.dtype("<u1"), 2: np.dtype("<u2"), 4: np.dtype("<u4"), 8: np.dtype("<f8")}


class StaleLayoutError(AnalysisError):
    """Cell bytes written under another instrument layout (or not cell bytes at all)."""


_GROUP_POSITIONS: dict[bytes, tuple[np.ndarray, ...]] = {}


def _group_positions(layout: Layout) -> tuple[np.ndarray, ...]:
    """Per policy group, the positions in a cell's row that only its items can make non-zero."""
    hit = _GROUP_POSITIONS.get(layout.fingerprint)
    if hit is not None:
        return hit
    cols = columns_of(layout)
    q = layout.n_items
    out = []
    table_at = np.cumsum([0, *(len(c) * len(layout.outcome_codes) for c in layout.table_codes)])
    for g in range(len(layout.groups)):
        items = np.flatnonzero(layout.group == g)
        mask = np.zeros(cols.width, dtype=bool)
        for block in (cols.s0, cols.s1, cols.s1sq):
            mask[block.start + items] = True
            mask[block.start + q + items] = True
        touches = np.isin(layout.pairs % q, items) & (layout.pairs < 2 * q)
        mask[cols.pairs.start + np.flatnonzero(touches.any(axis=1))] = True
        for k in items:
            mask[cols.tables.start + table_at[k] : cols.tables.start + table_at[k + 1]] = True
        out.append(mask)
    _GROUP_POSITIONS[layout.fingerprint] = tuple(out)
    return tuple(out)


_KEPT: dict[tuple[bytes, int], np.ndarray] = {}


def _kept(layout: Layout, bits: int) -> np.ndarray:
    """The positions stored for the policy groups present (``bits``), once per combination:
    reading a report decodes thousands of cells with a handful of combinations."""
    hit = _KEPT.get((layout.fingerprint, bits))
    if hit is not None:
        return hit
    keep = np.ones(columns_of(layout).width, dtype=bool)
    for g, mask in enumerate(_group_positions(layout)):
        if not bits >> g & 1:
            keep &= ~mask
    keep.setflags(write=False)
    _KEPT[(layout.fingerprint, bits)] = keep
    return keep


def _number_type(values: np.ndarray) -> int:
    if values.size == 0:
        return 1
    if np.all(values == np.round(values)) and values.min() >= 0:
        top = values.max()
        return 1 if top < 2**8 else 2 if top < 2**16 else 4 if top < 2**32 else 8
    return 8


def _shuffle(values: np.ndarray) -> bytes:
    """Whole counts with their bytes grouped by significance (all low bytes, then all high
    bytes): the high bytes are nearly all zero and compress to nothing."""
    size = values.dtype.itemsize
    if values.dtype.kind == "f":  # weighted sums: mostly exact zeros, better left in place
        return values.tobytes()
    return values.view(np.uint8).reshape(-1, size).T.tobytes()


def _unshuffle(data: bytes, dtype: np.dtype) -> np.ndarray:
    if dtype.kind == "f":
        return np.frombuffer(data, dtype=dtype)
    raw = np.frombuffer(data, dtype=np.uint8)
    return np.ascontiguousarray(raw.reshape(dtype.itemsize, -1).T).view(dtype).ravel()


def encode(layout: Layout, row: np.ndarray) -> bytes:
    """The bytes of one cell's statistics."""
    groups = _group_positions(layout)
    present = [bool(np.any(row[mask] != 0)) for mask in groups]
    keep = np.ones(len(row), dtype=bool)
    for on, mask in zip(present, groups, strict=True):
        if not on:
            keep &= ~mask
    values = row[keep]
    kind = _number_type(values)
    bits = sum(1 << g for g, on in enumerate(present) if on)
    body = zlib.compress(_shuffle(values.astype(_TYPES[kind])), 6)
    return _HEADER.pack(MAGIC, FORMAT, layout.fingerprint, kind, bits) + body


def decode(layout: Layout, data: bytes) -> np.ndarray:
    """One cell's row of statistics from :func:`encode`'s bytes.

    Raises
    ------
    StaleLayoutError
        Not cell bytes, another format version, or another instrument layout.
    """
    if len(data) < _HEADER.size:
        raise StaleLayoutError("cell bytes: too short to be a cell")
    magic, version, fingerprint, kind, bits = _HEADER.unpack_from(data)
    if magic != MAGIC or version != FORMAT or kind not in _TYPES:
        raise StaleLayoutError("cell bytes: not a cell of this format")
    if fingerprint != layout.fingerprint:
        raise StaleLayoutError(
            f"cell bytes: written under layout {fingerprint.hex()}, the instrument now has "
            f"{layout.fingerprint.hex()}; recompute the cells from the responses"
        )
    keep = _kept(layout, bits)
    try:
        values = _unshuffle(zlib.decompress(data[_HEADER.size :]), _TYPES[kind])
    except zlib.error as exc:
        raise StaleLayoutError(f"cell bytes: damaged ({exc})") from None
    if len(values) != int(keep.sum()):
        raise StaleLayoutError("cell bytes: wrong length for this layout")
    row = np.zeros(len(keep))
    row[keep] = values
    return row
