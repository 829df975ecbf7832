"""Security headers on every answer: a strict Content-Security-Policy and friends.

Scripts run only with the per-response nonce (the survey's small progress script), nothing is
loaded from another host, and no page can be framed by another site.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g

__all__ = ["csp_nonce", "init_app"]


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
    return response


def init_app(app: Flask) -> None:
    """Add the headers after every request and expose csp_nonce() to templates."""
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
