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


def frame(instrument: Instrument, rows: list[dict], **defaults) -> pd.DataFrame:
    """A validated frame from a few dicts (response_id, time, unit and channel filled in)."""
    from analysis.interchange import validate_frame

    base = {"submitted_at": "2025-07-01T09:00:00", "unit_code": "U1", "channel": "qr", **defaults}
    records = [{"response_id": f"r{k}", **base, **row} for k, row in enumerate(rows)]
    return validate_frame(pd.DataFrame(records), instrument)


SERVICE_ITEMS = [
    "B1.1",
    "B1.2",
    "B1.3",
    "B2.1",
    "B2.2",
    "B2.3",
    "B2.4",
    "B3.1",
    "B3.2",
    "B3.3",
    "B3.4",
    "B5.1",
]


def full_row(service: int, policy: int, group: str = "G1", **extra) -> dict:
    """A response answering every always-asked service item, B4 (S1=2) and one policy group."""
    row = {code: service for code in SERVICE_ITEMS}
    row.update({"S1": 2, "B4.1": service, "B4.2": service, "B4.3": service})
    row.update({f"A{k}.{group}": policy for k in range(1, 5)})
    row.update(extra)
    return row
