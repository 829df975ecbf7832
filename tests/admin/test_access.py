"""Who may open what: every admin, report and API route against every role."""

from __future__ import annotations

import pytest

from survey.auth.access import family_ids
from tests.admin.conftest import World, csrf, login
from tests.factories import make_unit

ROLES = ("anonymous", "viewer", "analyst", "admin")
# Expected status per role, in the order of ROLES. 302 = sent to the login page.
ADMIN_ONLY = (302, 403, 403, 200)
EVERY_OFFICIAL = (302, 200, 200, 200)
OTHER_UNIT = (302, 404, 200, 200)
READ_EXPORT = (302, 403, 200, 200)

# (method, path template, expected); {point} is the own ward's counter, {other} the other ward's.
ROUTES = [
    ("GET", "/admin/", ADMIN_ONLY),
    ("GET", "/admin/units", ADMIN_ONLY),
    ("GET", "/admin/units/import", ADMIN_ONLY),
    ("GET", "/admin/units/03408", ADMIN_ONLY),
    ("GET", "/admin/units/03408/edit", ADMIN_ONLY),
    ("GET", "/admin/units/03408/posters", ADMIN_ONLY),
    ("GET", "/admin/points/{point}/edit", ADMIN_ONLY),
    ("GET", "/admin/points/{point}/qr.png", ADMIN_ONLY),
    ("GET", "/admin/points/{point}/qr.svg", ADMIN_ONLY),
    ("GET", "/admin/points/{point}/poster", ADMIN_ONLY),
    ("GET", "/admin/periods", ADMIN_ONLY),
    ("GET", "/admin/imports/responses", ADMIN_ONLY),
    ("GET", "/admin/users", ADMIN_ONLY),
    ("GET", "/admin/users/{viewer}", ADMIN_ONLY),
    ("GET", "/admin/api-keys", ADMIN_ONLY),
    ("GET", "/admin/audit", ADMIN_ONLY),
    ("POST", "/admin/points/{point}/deactivate", (302, 403, 403, 303)),
    ("POST", "/admin/periods/2026/close", (302, 403, 403, 303)),
    ("POST", "/admin/units/03408/points", (302, 403, 403, 422)),
    ("POST", "/admin/api-keys", (302, 403, 403, 422)),
    ("GET", "/reports/", EVERY_OFFICIAL),
    ("GET", "/reports/03408", EVERY_OFFICIAL),
    ("GET", "/reports/LC-OLD-03412", EVERY_OFFICIAL),
    ("GET", "/reports/03388", OTHER_UNIT),
    ("GET", "/reports/12", OTHER_UNIT),
    ("GET", "/reports/NO-SUCH-UNIT", (302, 404, 404, 404)),
    ("GET", "/reports/03408/responses.csv", READ_EXPORT),
    ("GET", "/reports/03388/responses.csv", OTHER_UNIT),
    ("GET", "/api/v1/units", (401, 200, 200, 200)),
    ("POST", "/api/v1/receipt-codes", (401, 401, 401, 401)),
]


@pytest.mark.parametrize(("method", "path", "expected"), ROUTES, ids=[f"{m} {p}" for m, p, _e in ROUTES])
def test_role_route_table(app, world: World, method: str, path: str, expected: tuple[int, ...]) -> None:
    """Each role gets the status of the table on each admin, report and API route."""
    url = path.format(point=world.point.id, viewer=world.viewer.id)
    users = {"viewer": world.viewer, "analyst": world.analyst, "admin": world.admin}
    got = []
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            assert login(client, users[role].email).status_code == 303
        if method == "GET":
            reply = client.get(url)
        elif url.startswith("/api/"):
            reply = client.post(url, json={})
        else:
            reply = client.post(url, data={"csrf_token": csrf(client)})
        got.append(reply.status_code)
        if role == "anonymous" and reply.status_code == 302:
            assert reply.headers["Location"].startswith("/login?next=")
    assert tuple(got) == expected


def test_anonymous_api_gets_json_401(client, world: World) -> None:
    """An anonymous API call is answered with a JSON 401, not a redirect."""
    reply = client.get("/api/v1/units")
    assert reply.status_code == 401
    assert reply.json["status"] == 401


def test_viewer_api_lists_only_their_subtree_and_its_history(as_viewer, world: World) -> None:
    """The units API shows a viewer their ward and the merged old ward, nothing else."""
    codes = {u["code"] for u in as_viewer.get("/api/v1/units").json["units"]}
    assert codes == {"03408", "LC-OLD-03412"}


def test_viewer_report_index_lists_only_their_unit(as_viewer, world: World) -> None:
    """The report index of a viewer names their ward and not the other ward."""
    page = as_viewer.get("/reports/").text
    assert "Phường Tân Phong" in page
    assert "Phường Đoàn Kết" not in page


def test_forbidden_admin_page_is_a_vietnamese_403(as_viewer, world: World) -> None:
    """A viewer opening an admin page gets the 403 page in Vietnamese."""
    reply = as_viewer.get("/admin/")
    assert reply.status_code == 403
    assert "Không được phép" in reply.text


def test_admin_form_without_csrf_token_is_refused(as_admin, world: World) -> None:
    """An admin POST without its CSRF token is refused with 400 and changes nothing."""
    reply = as_admin.post(f"/admin/points/{world.point.id}/deactivate")
    assert reply.status_code == 400
    assert world.point.active is True


def test_a_retired_districts_other_communes_stay_out_of_a_viewers_scope(app, db, world: World) -> None:
    """A district retired into a new commune brings only itself, not its communes merged elsewhere."""
    district = make_unit("107", "Huyện Mường Tè", "district", parent=world.province)
    own = make_unit("LC-OLD-03440", "Xã Cũ Một", "commune", parent=district, successor=world.ward)
    elsewhere = make_unit("LC-OLD-03442", "Xã Cũ Hai", "commune", parent=district, successor=world.other)
    district.successor = world.ward
    db.session.commit()
    assert family_ids({world.ward.id}) == {world.ward.id, world.old.id, district.id, own.id}
    viewer = app.test_client()
    login(viewer, world.viewer.email)
    codes = {u["code"] for u in viewer.get("/api/v1/units").json["units"]}
    assert elsewhere.code not in codes


def test_viewer_gets_404_for_another_units_export(as_viewer, world: World) -> None:
    """A viewer asking for another unit's CSV export gets 404, as for its report, so nothing leaks."""
    assert as_viewer.get("/reports/03388/responses.csv").status_code == 404
    assert as_viewer.get("/reports/03408/responses.csv").status_code == 403
