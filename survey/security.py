"""Security headers on every answer, and how much body each route may send.

Scripts run only with the per-response nonce (the survey's small progress script), nothing is
loaded from another host, and no page can be framed by another site. Officials' pages are
never stored by a browser or proxy (a shared office computer keeps no copy of a report);
with an https base URL the browser is told to use https only (HSTS).
"""

from __future__ import annotations

import secrets

from flask import Flask, Request, Response, current_app, g, has_app_context, request

__all__ = ["SipasRequest", "csp_nonce", "init_app"]

# Blueprints of officials' pages and their JSON: answers are personal to the reader's role.
PRIVATE_BLUEPRINTS = frozenset({"admin", "reports", "api", "auth"})
HSTS = "max-age=31536000; includeSubDomains"


class SipasRequest(Request):
    """A request whose body limit depends on the route: a citizen's survey is small.

    Uploads (imports) may send MAX_CONTENT_LENGTH (SIPAS_UPLOAD_MAX_BYTES); the public survey
    only SIPAS_SURVEY_MAX_BYTES, so nobody can make the server parse and echo megabytes.
    """

    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        if self._max_content_length is not None:
            return self._max_content_length
        if has_app_context() and self.path.startswith(("/s/", "/r/", "/c/")):
            return int(current_app.config["SIPAS_SURVEY_MAX_BYTES"])
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def csp_nonce() -> str:
    """The nonce of this response's inline scripts (created on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(12)
    return str(g.csp_nonce)


def _headers(response: Response) -> Response:
    script = f"'nonce-{g.csp_nonce}'" if "csp_nonce" in g else "'none'"
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; script-src {script}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.blueprint in PRIVATE_BLUEPRINTS:
        response.headers["Cache-Control"] = "no-store"
    if current_app.config["SIPAS_BASE_URL"].startswith("https://"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    """Add the headers after every request and expose csp_nonce() to templates."""
    app.request_class = SipasRequest
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
