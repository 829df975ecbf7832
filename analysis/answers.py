"""The rating answers as one small integer matrix, built once and shared by every stage.

Columns are the index items in questionnaire order, then the outcome (B0) when the instrument
has one. Codes are int8 (-1 = empty), so the matrix of a million responses is about 50 MB;
validity and satisfaction are looked up through tiny tables indexed by the code, one
vectorised take per column, instead of repeated set-membership tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.instrument import Instrument, Item

__all__ = ["Answers", "answer_codes", "rating_answers"]

#: Codes of rating scales fit in int8; the tables are indexed by code + 1 (so -1 = empty -> 0).
_WIDTH = 128


@dataclass(frozen=True)
class Answers:
    """``codes`` (n × K int8, -1 = empty), with per-column tables of valid and satisfied codes."""

    columns: tuple[str, ...]
    codes: np.ndarray
    valid_table: np.ndarray
    satisfied_table: np.ndarray

    def index(self, code: str) -> int:
        """Column number of an item."""
        return self.columns.index(code)

    def valid(self, k: int) -> np.ndarray:
        """Whether each response gave a valid (1-5) answer in column k."""
        return self.valid_table[k][self.codes[:, k].astype(np.intp) + 1]

    def satisfied(self, k: int) -> np.ndarray:
        """Whether each response gave a satisfied answer in column k."""
        return self.satisfied_table[k][self.codes[:, k].astype(np.intp) + 1]

    def valid_matrix(self) -> np.ndarray:
        """Validity of every column at once (n × K bool)."""
        return np.column_stack([self.valid(k) for k in range(len(self.columns))]).reshape(self.codes.shape)

    def take(self, rows: np.ndarray) -> Answers:
        """The answers of a subset of responses (boolean mask or positions)."""
        return Answers(
            self.columns, np.asfortranarray(self.codes[rows]), self.valid_table, self.satisfied_table
        )


def answer_codes(frame: pd.DataFrame, code: str) -> np.ndarray:
    """An item's answers as int16 with -1 for empty (no per-row Python)."""
    col = frame[code]
    if col.dtype.kind == "f":
        values = col.to_numpy()
        return np.where(np.isnan(values), -1, values).astype(np.int16)
    return col.to_numpy(dtype=np.int16, na_value=-1)


def _table(which: frozenset[int]) -> np.ndarray:
    table = np.zeros(_WIDTH + 1, dtype=bool)
    table[[c + 1 for c in which if -1 <= c < _WIDTH]] = True
    return table


def rating_answers(df: pd.DataFrame, instrument: Instrument) -> Answers:
    """Codes and lookup tables of every index item (and the outcome) of ``df``."""
    items: list[Item] = list(instrument.index_items)
    if instrument.outcome is not None:
        items.append(instrument.items[instrument.outcome])
    items = [i for i in items if i.code in df]
    codes = np.empty((len(df), len(items)), dtype=np.int8, order="F")
    for k, item in enumerate(items):
        raw = answer_codes(df, item.code)
        codes[:, k] = np.where((raw >= -1) & (raw < _WIDTH), raw, _WIDTH - 1)
    valid = np.stack([_table(i.scale.valid) for i in items]) if items else np.zeros((0, _WIDTH + 1), bool)
    satisfied = np.stack([_table(i.scale.satisfied) for i in items]) if items else valid
    return Answers(tuple(i.code for i in items), codes, valid, satisfied)
