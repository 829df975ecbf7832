"""The baseline of bench/submit.py: a bare Flask app with the HTTP shape of a survey cycle.

SPEC §4 compares the submit path with "a bare Flask 'hello' app measured in the same run on
the same machine". To make the comparison about the application and not about the client,
this app answers the very same URLs (`/s/<token>`, `/s/<token>/thanks`) with the same hidden
fields (`t`, `csrf_token`, a selected `policy_group`) that bench/submit.py reads from the real
pages, so one client walks both apps without a branch. It does only what any Flask view must:
route, read the query string or the posted form, render a few hundred bytes, redirect.

Served by gunicorn exactly like the real app: `gunicorn bench.bare_app:app`.
"""

from __future__ import annotations

from flask import Flask, redirect, request, url_for
from markupsafe import escape
from werkzeug.wrappers import Response

__all__ = ["app"]

app = Flask(__name__)

FORM = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Khảo sát</title></head><body>
<form method="{method}" action="/s/{token}">
<input type="hidden" name="t" value="{t}">
<input type="hidden" name="csrf_token" value="bare-csrf">
<select name="policy_group"><option value="G1" selected>G1</option></select>
<label><input type="radio" name="S1" value="2"> 2</label>
<button type="submit">Gửi</button>
</form></body></html>
"""


@app.get("/s/<token>")
def form(token: str) -> str:
    """Step 1 without `t`, step 2 with it: a small form carrying the hidden fields back."""
    t = request.args.get("t", "bare-form-load")
    method = "post" if "t" in request.args else "get"
    return FORM.format(method=method, token=escape(token), t=escape(t))


@app.post("/s/<token>")
def submit(token: str) -> Response | tuple[str, int]:
    """Read the posted form, as the real submit does, and answer 303 to the thank-you page."""
    if not request.form.get("t"):
        return "missing t", 400
    return redirect(url_for("thanks", token=token), 303)


@app.get("/s/<token>/thanks")
def thanks(token: str) -> str:
    """A small thank-you page."""
    return f"<!doctype html><p>Xin cảm ơn! ({escape(token)})</p>"
