"""`sipas compute`: the indices of stored responses, the same numbers as `python -m analysis`.

By default it adds up the stored cells (per counter, day and quality label: the sufficient
statistics of METHOD §3), as the reports do, so a million responses take seconds and little
memory; ``--from-rows`` reads and pivots every response instead, the reference path that the
tests hold the cells to (values and SEs equal to 1e-9).
"""

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
from analysis.cells import CellStats, compute_from_cells
from analysis.compute import COUNTER_STRATA
from analysis.xlsx import write_xlsx
from survey.aggregates import stored_cells
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
@click.option(
    "--from-rows",
    is_flag=True,
    help="Read and pivot every response instead of adding up the stored cells (slow; the same numbers).",
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
    from_rows: bool,
) -> None:
    """SIPAS, sub-indices, elements and criteria with confidence intervals (SPEC 3.6)."""
    if fmt == "xlsx" and out is None:
        fail("--out: an .xlsx result needs a file name")
    period_id, unit_ids = _period_id(period_code), _unit_ids(unit_code)
    data: pd.DataFrame | CellStats
    if from_rows:
        data = responses_frame(period_id, unit_ids, attach_to_successor=True)
        units = set(data["unit_code"])
    else:
        # unit and counter (the strata), month (the dossier counts' post-strata), and the groups
        keys = (*COUNTER_STRATA, "month", *(BY[by] if by else ()))
        data = stored_cells(period_id, unit_ids, attach=True, keys=tuple(dict.fromkeys(keys)))
        units = set(data.keys["unit_code"])
    counts = _counts(units, period_id) if dossiers is not False else None
    if dossiers and counts is None:
        fail("--dossiers: no dossier counts are stored for this selection (sipas import-dossiers FILE)")
    # A small unit's "improve first" importances come from the province (METHOD §4), so one
    # unit's run shows the priorities of the province-wide run.
    options = {
        "by": BY[by] if by else None,
        "weight": "weight",
        "confidence": confidence,
        "include_flagged": include_flagged,
        # Counters as strata (every counter of a unit is surveyed), post-stratified to the
        # stored dossier counts per counter and month when there are any.
        **counter_design(counts),
    }
    try:
        if isinstance(data, pd.DataFrame):
            province = None if unit_ids is None else responses_frame(period_id, attach_to_successor=True)
            result = compute_indices(data, instrument(), importance_from=province, **options)
            responses = len(data)
        else:
            province_cells = None if unit_ids is None else stored_cells(period_id, None, keys=())
            result = compute_from_cells(data, instrument(), importance_from=province_cells, **options)
            responses = data.responses
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
    click.echo(f"{responses} responses; {fmt} written to {out}")


def _counts(units: set[str], period_id: int | None) -> pd.DataFrame | None:
    """The stored dossier counts of the selection's units (and the period's months), if any."""
    counts = counts_frame(current_unit_codes())
    if counts is None:
        return None
    keep = counts["unit_code"].isin(units)
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
