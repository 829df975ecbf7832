"""Cell statistics: the indices from cells equal the indices from the responses (contract 1)."""

from __future__ import annotations

import io
import json
import math
import threading

import numpy as np
import pytest
from analysis_fixtures import DATA, frame, full_row

from analysis import cellsum
from analysis.cellbytes import StaleLayoutError
from analysis.cells import CellStats, cell_stats, compute_from_cells
from analysis.compute import compute_indices, counter_design
from analysis.errors import AnalysisError, DataError
from analysis.instrument import INSTRUMENT_DIR, load_instrument
from analysis.interchange import read_responses
from analysis.quality import flag_responses
from analysis.serialise import to_json_dict
from analysis.weighting import read_counts

TOL = 1e-9


@pytest.fixture(scope="module")
def survey(instrument):
    """The weighted survey file of the R reference, with four speeders and a straight-liner."""
    df = read_responses(DATA / "survey.csv", instrument)
    df.loc[df.index[[3, 50, 51, 200]], "duration_s"] = 5.0
    return df


def _estimates(group):
    yield "sipas", group.sipas
    yield "policy", group.policy
    yield "service", group.service
    yield from group.elements.items()
    yield from group.items.items()
    yield from ((f"E1:{c}", e) for c, e in group.e1.items())
    if group.outcome is not None:
        yield "B0", group.outcome


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=TOL, abs_tol=TOL)


def assert_same(left, right):
    """Two results agree: every estimate's value, SE, interval, df and n; flags, ranks, quality."""
    assert [dict(g.key) for g in left.groups] == [dict(g.key) for g in right.groups]
    for a, b in zip(left.groups, right.groups, strict=True):
        assert (a.n, dict(a.quality), a.flags, a.needed_for_5pp) == (
            b.n,
            dict(b.quality),
            b.flags,
            b.needed_for_5pp,
        )
        assert a.rank == b.rank and _close(a.df, b.df)
        for (code, x), (_, y) in zip(_estimates(a), _estimates(b), strict=True):
            pairs = [(x.value, y.value), (x.se, y.se), (x.low, y.low), (x.high, y.high), (x.df, y.df)]
            assert all(_close(p, q) for p, q in pairs), (dict(a.key), code, x, y)
            assert (x.n, x.flags) == (y.n, y.flags), (dict(a.key), code)
        assert [(e.code, e.reason) for e in a.improve_first] == [(e.code, e.reason) for e in b.improve_first]
        assert all(_close(e.score, f.score) for e, f in zip(a.improve_first, b.improve_first, strict=True))
        for name in a.alpha:
            assert _close(a.alpha[name].value, b.alpha[name].value)


DESIGNS = {
    "no design": {},
    "weights": {"weight": "weight"},
    "units as domains": {"by": "unit_code", "weight": "weight"},
    "counters as strata, units as domains": {"by": "unit_code", "strata": ["unit_code", "point_code"]},
    "several strata, months as domains": {"by": "month", "strata": "point_code", "weight": "weight"},
    "channels across strata": {"by": "channel", "strata": "unit_code", "weight": "weight"},
    "everything kept": {"by": "unit_code", "strata": "point_code", "include_flagged": True},
}


@pytest.mark.parametrize("design", DESIGNS, ids=list(DESIGNS))
def test_cells_give_the_indices_of_the_responses(survey, instrument, design):
    """compute_from_cells on cells by day equals compute_indices on the rows, for each design."""
    options = dict(DESIGNS[design])
    weight = options.pop("weight", None)
    keys = ["unit_code", "point_code", "channel", "day"]
    cells = cell_stats(survey, instrument, keys, weight=weight)
    assert_same(
        compute_from_cells(cells, instrument, **options),
        compute_indices(survey, instrument, weight=weight, **options),
    )


def test_rolled_up_cells_give_the_same_indices(survey, instrument):
    """Days rolled up to months (and counters dropped) change no number of a by-month run."""
    days = cell_stats(survey, instrument, ["unit_code", "point_code", "day"], weight="weight")
    months = days.rollup(["unit_code", "month"])
    assert months.key_names == ("unit_code", "month", "flags") and len(months) < len(days)
    options = {"by": "month", "strata": "unit_code"}
    assert_same(
        compute_from_cells(months, instrument, **options), compute_from_cells(days, instrument, **options)
    )
    assert_same(
        compute_from_cells(months, instrument, **options),
        compute_indices(survey, instrument, weight="weight", **options),
    )


def test_poststratified_cells_give_the_indices_of_the_responses(survey, instrument):
    """Counters as strata, post-stratified per counter × month: cells and rows agree."""
    cells = cell_stats(survey, instrument, ["unit_code", "point_code", "day"])
    counts = _counts(survey)
    design = counter_design(counts)
    assert_same(
        compute_from_cells(cells, instrument, by="unit_code", **design),
        compute_indices(survey, instrument, by="unit_code", **design),
    )


def _counts(df):
    table = df.assign(month=df["submitted_at"].dt.strftime("%Y-%m")).groupby(
        ["unit_code", "point_code", "month"]
    )
    counts = table.size().rename("dossiers").reset_index()
    counts["dossiers"] = counts["dossiers"] * 7.0 + np.arange(len(counts)) % 5
    return counts


def test_cells_add_up(survey, instrument):
    """Cells of two halves added equal the cells of the whole (the order of rows does not matter)."""
    keys = ["unit_code", "point_code", "day"]
    half = len(survey) // 2
    whole = cell_stats(survey, instrument, keys, weight="weight")
    added = cell_stats(survey.iloc[half:], instrument, keys, weight="weight") + cell_stats(
        survey.iloc[:half], instrument, keys, weight="weight"
    )
    assert added.keys.equals(whole.keys)
    np.testing.assert_allclose(added.stats, whole.stats, rtol=1e-12, atol=1e-12)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 8 rows, so the 240 responses of the survey file make many chunks and the pass
    runs threaded (it stays on one thread below four chunks); the threads that summed are kept."""
    seen: set[int] = set()
    chunk = cellsum._chunk

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.add(threading.get_ident())
        return chunk(*args, **kwargs)

    monkeypatch.setattr(cellsum, "CHUNK", 8)
    monkeypatch.setattr(cellsum, "_chunk", counted)
    return seen


@pytest.mark.parametrize("threads", ["2", "3", "7"])
def test_threads_give_the_sums_of_one_thread_to_the_last_bit(
    survey, instrument, monkeypatch, small_chunks, threads
):
    """Cells shared among threads: each cell is summed by one thread in the same order, so the
    statistics (and the indices) equal one thread's exactly, not just closely."""
    keys = ["unit_code", "point_code", "day"]
    design = {"by": "unit_code", "strata": ["unit_code", "point_code"], "weight": "weight"}
    monkeypatch.setenv("SIPAS_ANALYSIS_THREADS", "1")
    one = cell_stats(survey, instrument, keys, weight="weight")
    by_one = compute_indices(survey, instrument, **design)
    assert len(small_chunks) == 1
    small_chunks.clear()
    monkeypatch.setenv("SIPAS_ANALYSIS_THREADS", threads)
    many = cell_stats(survey, instrument, keys, weight="weight")
    assert len(small_chunks) >= 2  # the work of this pass was really shared among threads
    by_many = compute_indices(survey, instrument, **design)
    assert len(one.keys) > 7
    assert many.keys.equals(one.keys)
    assert np.array_equal(many.stats, one.stats)
    assert len(by_one.groups) > 2
    assert json.dumps(to_json_dict(by_many)) == json.dumps(to_json_dict(by_one))


def test_a_data_error_names_the_same_row_whatever_the_threads(survey, instrument, monkeypatch, small_chunks):
    """Two responses in different cells answer two policy groups: every number of threads names
    the one a single thread meets first."""
    df = survey.copy()
    g1 = np.flatnonzero(df["A1.G1"].notna().to_numpy())
    first, last = int(g1[0]), int(g1[-1])
    assert df["unit_code"].iloc[first] != df["unit_code"].iloc[last]
    df.loc[df.index[[first, last]], "A1.G2"] = 4
    messages = set()
    for threads in ("1", "2", "3", "4", "7"):
        monkeypatch.setenv("SIPAS_ANALYSIS_THREADS", threads)
        with pytest.raises(DataError, match="two policy groups") as caught:
            cell_stats(df, instrument, ["unit_code", "point_code", "day"])
        messages.add(str(caught.value))
    assert len(messages) == 1
    assert messages.pop().startswith((f"row {first + 2}:", f"row {last + 2}:"))


def test_numpy_blas_stays_on_one_thread_in_passes_at_once(survey, instrument, monkeypatch, small_chunks):
    """The analysis sets numpy's BLAS to one thread once, on import (its own threads slowed the
    pass): two passes running at once in a web worker's threads see it, and it stays so after."""
    from threadpoolctl import threadpool_info

    def numpy_blas() -> list[int]:
        libs = [lib for lib in threadpool_info() if lib["user_api"] == "blas" and "numpy" in lib["filepath"]]
        return [lib["num_threads"] for lib in libs]

    assert numpy_blas() == [1]
    monkeypatch.setenv("SIPAS_ANALYSIS_THREADS", "2")
    inside: list[list[int]] = []
    chunk = cellsum._chunk
    gate = threading.Barrier(2, timeout=30)

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        inside.append(numpy_blas())
        return chunk(*args, **kwargs)

    monkeypatch.setattr(cellsum, "_chunk", watched)

    def one_pass(rows: slice) -> None:
        gate.wait()  # both passes start together and overlap
        cell_stats(survey.iloc[rows], instrument, ["unit_code", "point_code", "day"])

    threads = [threading.Thread(target=one_pass, args=(s,)) for s in (slice(0, 200), slice(40, 240))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(inside) > 40 and all(n == [1] for n in inside)
    assert numpy_blas() == [1]


def test_cells_subtract_a_deleted_response_and_a_flag_change(survey, instrument):
    """Removing one response, and moving another to a flagged cell, equals the cells of the rows
    as they are afterwards (stored flags, as the app keeps them)."""
    keys = ["unit_code", "point_code", "day"]
    stored = flag_responses(survey, instrument)
    cells = cell_stats(survey, instrument, keys, flags=stored)
    gone, moved = survey.index[10], survey.index[20]
    changed = stored.copy()
    changed[moved] = "burst"
    after = (
        cells
        - cell_stats(survey.loc[[gone]], instrument, keys, flags=stored[[gone]])
        - cell_stats(survey.loc[[moved]], instrument, keys, flags=stored[[moved]])
        + cell_stats(survey.loc[[moved]], instrument, keys, flags=changed[[moved]])
    )
    rest = survey.drop(index=gone)
    expected = cell_stats(rest, instrument, keys, flags=changed.drop(index=gone))
    assert after.keys.equals(expected.keys)
    np.testing.assert_allclose(after.stats, expected.stats, atol=1e-9)
    assert after.responses == len(survey) - 1
    result = compute_from_cells(after, instrument, by="unit_code")
    assert result.quality["burst"] == 1 + int(stored.str.contains("burst").sum())


def test_removing_more_than_a_cell_holds_is_an_error(survey, instrument):
    """Subtracting a response that is not in the cells fails, naming the cell."""
    keys = ["unit_code"]
    one = cell_stats(survey.iloc[[0]], instrument, keys)
    with pytest.raises(AnalysisError, match="removing more responses"):
        one - one - one


def test_one_cell_round_trips_through_bytes(survey, instrument):
    """to_bytes / from_bytes give back exactly the same statistics, weighted or not."""
    for weight in (None, "weight"):
        cells = cell_stats(survey, instrument, ["unit_code", "point_code", "day"], weight=weight)
        for key, blob in list(cells.records())[:25]:
            back = CellStats.from_bytes(blob, instrument, key)
            row = int(np.flatnonzero((cells.keys == back.keys.iloc[0]).all(axis=1))[0])
            np.testing.assert_array_equal(back.stats[0], cells.stats[row])


def test_records_roll_up_while_reading(survey, instrument):
    """from_records sums (key, bytes) pairs straight into coarser keys."""
    days = cell_stats(survey, instrument, ["unit_code", "point_code", "day"])
    months = CellStats.from_records(days.records(), instrument, rollup=["unit_code", "month"])
    expected = days.rollup(["unit_code", "month"])
    assert months.keys.equals(expected.keys)
    np.testing.assert_allclose(months.stats, expected.stats)


def test_stale_layout_is_refused(survey, instrument, tmp_path):
    """Bytes written under one instrument layout are refused under another."""
    blob = cell_stats(survey.iloc[:5], instrument).take(0).to_bytes()
    source = (INSTRUMENT_DIR / "sipas-2025.toml").read_text(encoding="utf-8")
    path = tmp_path / "changed.toml"
    path.write_text(source.replace('code = "G9"', 'code = "G0"'), encoding="utf-8")
    changed = load_instrument(path)
    with pytest.raises(StaleLayoutError, match="layout"):
        CellStats.from_bytes(blob, changed)
    with pytest.raises(StaleLayoutError):
        CellStats.from_bytes(b"not a cell", instrument)


def test_a_cell_is_small(survey, instrument):
    """A counter-day cell of unweighted answers takes well under 2 KB."""
    cells = cell_stats(survey, instrument, ["unit_code", "point_code", "day"])
    sizes = [len(blob) for _, blob in cells.records()]
    assert max(sizes) < 2048


def test_two_policy_groups_in_one_response_are_refused(instrument):
    """The products of different groups are not kept, so a response answering two is an error."""
    df = frame(instrument, [full_row(4, 4, "G1")])
    df.loc[df.index[0], "A1.G2"] = 4
    with pytest.raises(DataError, match="two policy groups"):
        cell_stats(df, instrument)


def test_reference_cells_give_the_reference_importances(survey, instrument):
    """importance_from as cells ranks a small unit as importance_from as responses does."""
    unit = survey[survey["unit_code"] == "U2"]
    cells = cell_stats(unit, instrument, ["unit_code"])
    province = cell_stats(survey, instrument, ["unit_code"])
    assert_same(
        compute_from_cells(cells, instrument, by="unit_code", importance_from=province),
        compute_indices(unit, instrument, by="unit_code", importance_from=survey),
    )


def test_cells_need_their_design_keys(survey, instrument):
    """Strata or groups that are not cell keys are an error naming the key."""
    cells = cell_stats(survey, instrument, ["unit_code"])
    with pytest.raises(AnalysisError, match="stratum point_code"):
        compute_from_cells(cells, instrument, strata="point_code")
    with pytest.raises(AnalysisError, match="month"):
        compute_from_cells(cells, instrument, by="month")


def test_counts_file_works_on_cells(survey, instrument):
    """A counts table read from CSV post-stratifies cells whose month comes from their day key."""
    counts = _counts(survey)
    text = counts.to_csv(index=False)
    cells = cell_stats(survey, instrument, ["unit_code", "point_code", "day"])
    result = compute_from_cells(cells, instrument, counts=read_counts(io.StringIO(text)))
    assert result.weighting is not None and result.group().sipas.value is not None
