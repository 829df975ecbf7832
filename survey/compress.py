"""gzip for HTML and JSON answers, so a phone on weak 3G downloads a few kilobytes.

In production nginx may compress instead; the app does it too so the page weight measured
in tests is what a phone receives from a bare gunicorn.
"""

from __future__ import annotations

import gzip

from flask import Flask, Response, request

__all__ = ["init_app"]

MIN_SIZE = 500
TYPES = ("text/html", "application/json", "text/css", "text/csv", "image/svg+xml")


def _compress(response: Response) -> Response:
    if (
        response.direct_passthrough
        or response.status_code < 200
        or "gzip" not in request.headers.get("Accept-Encoding", "")
        or "Content-Encoding" in response.headers
        or not (response.mimetype or "").startswith(TYPES)
    ):
        return response
    data = response.get_data()
    if len(data) < MIN_SIZE:
        return response
    response.set_data(gzip.compress(data, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def init_app(app: Flask) -> None:
    """Compress eligible responses after every request."""
    app.after_request(_compress)
