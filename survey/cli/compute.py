"""`sipas compute`: the indices of stored responses, the same numbers as `python -m analysis`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import click
import pandas as pd
from sqlalchemy import select

from analysis import (
    AnalysisError,
    IndexResult,
    compute_indices,
    counter_design,
    to_csv,
    to_json_dict,
    to_table,
)
from analysis.xlsx import write_xlsx
from survey.auth.access import family_ids
from survey.bridge import current_unit_codes, responses_frame
from survey.cli import atomic_output, fail, sipas
from survey.dossiers import counts_frame
from survey.extensions import db
from survey.instrument import instrument
from survey.models import Period, Unit

BY = {"unit": ["unit_code"], "point": ["unit_code", "point_code"], "month": ["month"], "quarter": ["quarter"]}


def _period_id(code: str | None) -> int | None:
    if code is None:
        return None
    period = db.session.scalar(select(Period).where(Period.code == code))
    if period is None:
        fail(f"--period: unknown period code '{code}'")
    return period.id  # type: ignore[union-attr]


def _unit_ids(code: str | None) -> set[int] | None:
    if code is None:
        return None
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        fail(f"--unit: unknown unit code '{code}'")
    return family_ids({unit.id})  # type: ignore[union-attr]


@sipas.command("compute")
@click.option("--period", "period_code", help="Only responses of this period code.")
@click.option("--unit", "unit_code", help="Only this unit, its subtree and the units merged into them.")
@click.option("--by", type=click.Choice(sorted(BY)), help="One group per unit, counter, month or quarter.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx"]), default="table", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True)
@click.option("--include-flagged", is_flag=True, help="Keep responses with data-quality flags.")
@click.option(
    "--dossiers/--no-dossiers",
    default=None,
    help="Weight by the stored dossier counts per counter and month (default: when any are stored).",
)
def compute(
    period_code: str | None,
    unit_code: str | None,
    by: str | None,
    fmt: str,
    out: Path | None,
    confidence: float,
    include_flagged: bool,
    dossiers: bool | None,
) -> None:
    """SIPAS, sub-indices, elements and criteria with confidence intervals (SPEC 3.6)."""
    if fmt == "xlsx" and out is None:
        fail("--out: an .xlsx result needs a file name")
    period_id, unit_ids = _period_id(period_code), _unit_ids(unit_code)
    frame = responses_frame(period_id, unit_ids, attach_to_successor=True)
    # A small unit's "improve first" importances come from the province (METHOD §4), so one
    # unit's run shows the priorities of the province-wide run.
    province = None if unit_ids is None else responses_frame(period_id, attach_to_successor=True)
    counts = _counts(frame, period_id) if dossiers is not False else None
    if dossiers and counts is None:
        fail("--dossiers: no dossier counts are stored for this selection (sipas import-dossiers FILE)")
    try:
        result = compute_indices(
            frame,
            instrument(),
            by=BY[by] if by else None,
            weight="weight",
            confidence=confidence,
            include_flagged=include_flagged,
            importance_from=province,
            # Counters as strata (every counter of a unit is surveyed), post-stratified to the
            # stored dossier counts per counter and month when there are any.
            **counter_design(counts),
        )
    except AnalysisError as exc:
        hint = " (or --no-dossiers)" if counts is not None and "dossier" in str(exc) else ""
        fail(f"{exc}{hint}")
    if out is None:
        click.echo(_render(result, fmt), nl=False)
        return
    with atomic_output(out) as tmp:
        if fmt == "xlsx":
            write_xlsx(result, tmp)
        else:
            tmp.write_text(_render(result, fmt), encoding="utf-8")
    db.session.commit()  # the quality flags settled while reading
    click.echo(f"{len(frame)} responses; {fmt} written to {out}")


def _counts(frame: pd.DataFrame, period_id: int | None) -> pd.DataFrame | None:
    """The stored dossier counts of the selection's units (and the period's months), if any."""
    counts = counts_frame(current_unit_codes())
    if counts is None:
        return None
    keep = counts["unit_code"].isin(set(frame["unit_code"]))
    if period_id is not None:
        period = db.session.get(Period, period_id)
        first, last = period.starts_on.strftime("%Y-%m"), period.ends_on.strftime("%Y-%m")  # type: ignore[union-attr]
        keep &= counts["month"].between(first, last)
    return counts[keep].reset_index(drop=True) if keep.any() else None


def _render(result: IndexResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_json_dict(result), ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        to_csv(result, buf)
        return buf.getvalue()
    return to_table(result)
