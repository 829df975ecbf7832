"""What leaves the database in an export: the per-phone hash stays in unless asked for.

The device hash links the answers of one phone within a survey period. The quality checks
need it inside the platform; an analyst's file does not. Exports therefore leave the column
empty by default; an admin may ask for it, and that request is in the audit log.
"""

from __future__ import annotations

import pandas as pd

from survey import audit

__all__ = ["export_frame"]


def export_frame(frame: pd.DataFrame, *, with_device_hash: bool = False, scope: str = "") -> pd.DataFrame:
    """The frame to write: without `device_hash` unless asked (then audited; the caller commits)."""
    if with_device_hash:
        audit.record(
            "responses.export_device_hash", "response", "", after={"scope": scope, "rows": len(frame)}
        )
        return frame
    return frame.drop(columns=["device_hash"], errors="ignore")
