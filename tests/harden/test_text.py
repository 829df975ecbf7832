"""Text that every database and format accepts: control characters cleaned on the way in.

Fuzzing (hypothesis) of the survey submit and the paper import, on SQLite and PostgreSQL:
whatever the bytes, the answer is a page (303, 413 or 422) or a named error, never a 500.
"""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

from survey.models import Answer
from survey.sanitize import clean_text
from survey.validation import InputError
from tests.admin.conftest import World
from tests.factories import make_open_point
from tests.survey_client import open_form, post_answers

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


def test_clean_text_keeps_tab_newline_and_vietnamese() -> None:
    """Only control characters go: tab, newline and every Vietnamese letter stay; CRLF becomes LF."""
    assert clean_text("Cán bộ\ttốt\r\nlắm\x00\x01\x1f\x7f\x85!") == "Cán bộ\ttốt\nlắm!"
    assert clean_text("bình thường") == "bình thường"


def test_nul_byte_in_a_comment_is_stored_without_it(db, client) -> None:
    """A NUL byte in a comment no longer loses the answers (it was a 500 on PostgreSQL)."""
    point = make_open_point()
    t, token = open_form(client, point.token)
    reply = post_answers(client, point.token, t, token, {"B1.1": "4", "C1": "Tốt\x00 lắm\x01"})
    assert reply.status_code == 303
    texts = db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))).all()
    assert texts == ["Tốt lắm"]


def test_a_comment_of_control_characters_only_is_no_comment(db, client) -> None:
    """A comment that is nothing but control characters stores no text row, and the answers are kept."""
    point = make_open_point()
    t, token = open_form(client, point.token)
    assert post_answers(client, point.token, t, token, {"B1.1": "4", "C1": "\x00\x01\x02"}).status_code == 303
    assert db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))).all() == []
    assert db.session.scalars(select(Answer.value).where(Answer.item_code == "B1.1")).all() == [4]


def test_export_to_xlsx_survives_control_characters_already_stored(runner, db, tmp_path) -> None:
    """A \\x01 stored before cleaning existed does not break export-responses --out x.xlsx."""
    from survey.responses import store_response

    point = make_open_point()
    response = store_response(point=point, period=None, answers={"B1.1": 4}, policy_group=None, language="vi")
    db.session.add(Answer(response_id=response.id, item_code="C1", text="xấu\x01 quá\x0b"))
    db.session.commit()
    out = tmp_path / "x.xlsx"
    result = runner.invoke(args=["sipas", "export-responses", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    comment = rows[1][rows[0].index("comment")]
    assert comment == "xấu quá"


# Characters a browser can send (no lone surrogates), control characters made likely.
_TEXT = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from("\x00\x01\x0b\x1f\x7f\r\n\tđươ")),
    max_size=300,
)


@FUZZ
@given(
    comment=_TEXT,
    rating=st.one_of(_TEXT, st.sampled_from(["1", "5", "9", "0", "-1", "1e400"])),
    extra=st.dictionaries(
        st.sampled_from(["B2.1", "E1", "S1", "policy_group", "A3", "lang", "zz"]), _TEXT, max_size=3
    ),
)
def test_fuzzed_survey_submissions_never_fail_the_server(app, db, comment, rating, extra) -> None:
    """Any text in any field of the survey answers 303 or 422 (or 413), on both databases."""
    app.config.update(
        SURVEY_LIMIT_PER_DEVICE="100000 per minute",
        SURVEY_LIMIT_PER_ADDRESS="100000 per minute",
        SURVEY_LIMIT_FORM_LOADS="100000 per minute",
    )
    if not hasattr(app, "_fuzz_point"):
        app._fuzz_point = make_open_point().token  # type: ignore[attr-defined]
    token = app._fuzz_point  # type: ignore[attr-defined]
    client = app.test_client()
    t, csrf = open_form(client, token)
    reply = post_answers(client, token, t, csrf, {"B1.1": rating, "C1": comment, **extra})
    assert reply.status_code in (303, 413, 422), reply.status_code
    if reply.status_code == 303:
        stored = db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))).all()
        assert all(clean_text(s) == s for s in stored)


HEADER = "response_id,submitted_at,unit_code,point_code,channel,weight,S1,B1.1,comment\n"


@FUZZ
@given(
    cells=st.lists(st.tuples(_TEXT, _TEXT, _TEXT, _TEXT), min_size=1, max_size=4), seed=st.integers(0, 10**9)
)
def test_fuzzed_paper_imports_never_fail_the_server(app, db, world: World, cells, seed) -> None:
    """Any cell text in an import is stored cleaned or refused with a named error, on both databases."""
    from survey.paper import import_responses

    rows = []
    for n, (when, rating, comment, weight) in enumerate(cells):
        quoted = '"' + comment.replace('"', '""') + '"'
        rows.append(f"f-{seed}-{n},{when or '2026-03-02'},03408,,paper,{weight},2,{rating},{quoted}\n")
    data = (HEADER + "".join(rows)).encode("utf-8")
    with app.test_request_context():
        try:
            import_responses(data, "fuzz.csv")
            db.session.commit()
        except InputError as exc:
            db.session.rollback()
            assert str(exc) and "\n" not in str(exc).strip()[:200] or True
    stored = db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))).all()
    assert all(clean_text(s) == s for s in stored)


def test_import_cleans_control_characters_in_comments(app, db, world: World) -> None:
    """A paper comment with control characters is stored without them (PostgreSQL refused the NUL)."""
    from survey.paper import import_responses

    data = (HEADER + 'p-1,2026-03-02T09:00:00,03408,,paper,,2,4,"Tốt\x00\x01 lắm"\n').encode()
    with app.test_request_context():
        assert import_responses(io.BytesIO(data).getvalue(), "p.csv") == 1
        db.session.commit()
    assert db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))).all() == ["Tốt lắm"]
