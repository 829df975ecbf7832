"""The export streams the bridge's chunks: the file is the same whatever the chunk size."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from analysis.interchange import read_responses, write_responses
from survey import bridge
from survey.instrument import instrument
from survey.privacy import export_frame


@pytest.fixture
def demo(runner, db):  # type: ignore[no-untyped-def]
    """The demo province with 37 responses (a prime, so chunks of 8 leave a short last one)."""
    assert runner.invoke(args=["sipas", "seed-demo", "--responses", "37"]).exit_code == 0
    return runner


def test_chunked_csv_equals_the_one_shot_writer(demo, db, tmp_path: Path, monkeypatch) -> None:
    """Five chunks of at most 8 responses write byte for byte the CSV of the whole frame (whose
    per-phone hashes an export leaves out by default)."""
    whole = io.StringIO()
    write_responses(export_frame(bridge.responses_frame()), whole, instrument())
    monkeypatch.setattr(bridge, "CHUNK", 8)
    assert len(list(bridge.iter_frames())) == 5
    out = tmp_path / "all.csv"
    result = demo.invoke(args=["sipas", "export-responses", "--out", str(out)])
    assert result.exit_code == 0 and "37 responses" in result.output, result.output
    assert out.read_text(encoding="utf-8") == whole.getvalue()


def test_chunked_xlsx_reads_back_as_the_csv(demo, db, tmp_path: Path, monkeypatch) -> None:
    """The streamed workbook holds the same responses, numbers as numbers, as the CSV."""
    monkeypatch.setattr(bridge, "CHUNK", 8)
    paths = {fmt: tmp_path / f"all.{fmt}" for fmt in ("csv", "xlsx")}
    for path in paths.values():
        assert demo.invoke(args=["sipas", "export-responses", "--out", str(path)]).exit_code == 0
    ins = instrument()
    pd.testing.assert_frame_equal(read_responses(paths["xlsx"], ins), read_responses(paths["csv"], ins))


def test_an_empty_export_is_the_header(runner, db, tmp_path: Path) -> None:
    """No response: the CSV is the header line alone."""
    out = tmp_path / "none.csv"
    assert runner.invoke(args=["sipas", "export-responses", "--out", str(out)]).exit_code == 0
    from analysis.interchange import columns

    assert out.read_text(encoding="utf-8") == ",".join(columns(instrument())) + "\n"
