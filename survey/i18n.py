"""Language of each request: ?lang= (remembered in a cookie), then the cookie, then Vietnamese."""

from __future__ import annotations

from flask import Flask, Response, g, request, url_for

from survey.extensions import babel

__all__ = ["LANGUAGES", "current_language", "init_app"]

LANGUAGES = ("vi", "en")
COOKIE = "lang"


def current_language() -> str:
    """The request's language code, one of LANGUAGES."""
    # A body refused as too large (413) is never parsed again, not even for its language.
    form_lang = None if g.get("body_refused") else request.form.get("lang")
    asked = request.args.get("lang") or form_lang
    if asked in LANGUAGES:
        g.set_lang_cookie = asked
        return asked
    cookie = request.cookies.get(COOKIE)
    return cookie if cookie in LANGUAGES else LANGUAGES[0]


def _remember(response: Response) -> Response:
    lang = g.pop("set_lang_cookie", None)
    if lang and request.cookies.get(COOKIE) != lang:
        response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with our selector and remember an explicit choice."""
    babel.init_app(app, locale_selector=current_language, default_translation_directories="translations")
    app.after_request(_remember)

    @app.context_processor
    def _lang() -> dict[str, object]:
        return {"lang": current_language(), "languages": LANGUAGES, "lang_url": lang_url}


def lang_url(code: str) -> str:
    """This page's address in another language (query string kept)."""
    view_args = request.view_args or {}
    # Query keys that clash with the route's own arguments or with url_for's options are dropped.
    args = {
        k: v for k, v in request.args.items() if k != "lang" and k not in view_args and not k.startswith("_")
    }
    return url_for(request.endpoint or "public.survey", **view_args, **args, lang=code)
