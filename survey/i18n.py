"""Language of each request: ?lang= (remembered in a cookie), then the cookie, then Vietnamese.

Officials' pages speak the languages of the compiled catalogues (LANGUAGES). The citizen's
survey also speaks every complete language stored from a translation sheet; for those, the
survey's own words come from the stored catalogue and dates and numbers are formatted as in
Vietnamese.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from babel import numbers
from flask import Flask, Response, g, request, url_for
from flask_babel import get_locale

from survey.extensions import babel

__all__ = ["LANGUAGES", "current_language", "init_app"]

LANGUAGES = ("vi", "en")
COOKIE = "lang"


def _citizen_language(code: str) -> bool:
    """A stored language complete enough to be offered on the citizen's pages."""
    if request.blueprint != "public" or not code or len(code) > 16:
        return False
    from survey.instrument import instrument
    from survey.languages.catalog import citizen_languages

    return code in dict(citizen_languages(instrument()))


def _allowed(code: str | None) -> bool:
    return bool(code) and (code in LANGUAGES or _citizen_language(code))  # type: ignore[arg-type]


def current_language() -> str:
    """The request's language code: one of LANGUAGES, or on the survey a complete stored one."""
    if "sipas_lang" in g:
        return str(g.sipas_lang)
    # A body refused as too large (413) is never parsed again, not even for its language.
    form = {} if g.get("body_refused") else request.form
    asked = request.args.get("lang") or form.get("setlang") or form.get("lang")
    if _allowed(asked):
        g.set_lang_cookie = asked
        lang = asked
    else:
        cookie = request.cookies.get(COOKIE)
        lang = cookie if _allowed(cookie) else LANGUAGES[0]
    g.sipas_lang = lang
    return lang  # type: ignore[return-value]


def _locale() -> str:
    lang = current_language()
    return lang if lang in LANGUAGES else LANGUAGES[0]


def _remember(response: Response) -> Response:
    lang = g.pop("set_lang_cookie", None)
    if lang and request.cookies.get(COOKIE) != lang:
        response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with our selector and remember an explicit choice."""
    babel.init_app(app, locale_selector=_locale, default_translation_directories="translations")
    app.jinja_env.filters["decimalformat"] = format_decimal
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
    if "lang" in view_args:  # a route argument of that name: the choice goes in the query string
        base = url_for(request.endpoint or "public.survey", **view_args, **args)
        return base + ("&" if "?" in base else "?") + urlencode({"lang": code})
    return url_for(request.endpoint or "public.survey", **view_args, **args, lang=code)


@lru_cache(maxsize=65536)
def _decimal(number: object, pattern: str | None, locale: str) -> str:
    return numbers.format_decimal(number, format=pattern, locale=locale)  # type: ignore[arg-type]


def format_decimal(number: object, format: str | None = None) -> str:  # noqa: A002  (the filter's name)
    """The `decimalformat` filter: Babel's format in the request's locale, remembered.

    A report prints a few hundred numbers, the same ones on every view of the same data; Babel
    parses the pattern and rounds with Decimal each time, a quarter of a warm report's render.
    """
    locale = get_locale()
    if locale is None:
        return numbers.format_decimal(number, format=format)  # type: ignore[arg-type]
    try:
        return _decimal(number, format, str(locale))
    except TypeError:  # an unhashable number type: format it directly
        return numbers.format_decimal(number, format=format, locale=locale)  # type: ignore[arg-type]
