"""Small interchange frames shared by the analysis tests."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from analysis.instrument import Instrument
from analysis.interchange import read_responses

DATA = Path(__file__).with_name("data")

HEADER = "response_id,submitted_at,unit_code,point_code,channel,weight,S1,B5.0,B1.1,B4.1,E1,A1.G2,duration_s"
ROWS = [
    "r1,2025-07-01T08:00:00,SNV,P1,qr,,2,2,4,5,1;4,3,35",
    "r2,2025-07-01T09:00:00+07:00,SNV,,paper,2.5,1,,9,,,,",
]


def csv_text(rows: list[str] | None = None, header: str = HEADER) -> str:
    """A tiny interchange CSV with the given data rows."""
    return "\n".join([header, *(ROWS if rows is None else rows)]) + "\n"


def read_text(text: str, instrument: Instrument) -> pd.DataFrame:
    """Read interchange CSV text through the public reader."""
    return read_responses(io.StringIO(text), instrument)
