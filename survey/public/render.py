"""Drawing the survey: every page in one small document, the current one shown.

The whole questionnaire travels in each answer (a few kilobytes compressed): without
JavaScript the server shows one page at a time and every button posts all answers so far;
with JavaScript the phone turns the pages itself, so a weak signal is needed only to send.
`render_survey` is the one way to draw it, also for an error or a database fault: it shows
the answers of the posted form, so nothing a citizen chose is lost on the way.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from analysis.instrument import Instrument, Item
from survey.aggregates import lookups
from survey.cases import receipt as case_receipt
from survey.i18n import current_language
from survey.instrument import instrument
from survey.languages.catalog import stored_languages, texts_for
from survey.languages.texts import Texts, item_code, option_code
from survey.models import ServicePoint
from survey.public import estimate, formload
from survey.public.pages import Page, Path, field_name, page_list, path_for
from survey.public.questionnaire import parse_screen
from survey.security import csp_nonce

__all__ = ["QuestionView", "render_fresh", "render_survey", "render_thanks"]


@dataclass(frozen=True)
class OptionView:
    code: int
    label: str
    audio: str | None


@dataclass(frozen=True)
class QuestionView:
    """What the template needs to draw one question."""

    name: str
    anchor: str  # id of the question's first input: where an error link lands
    kind: str
    faces: bool
    text: str
    audio: str | None
    options: tuple[OptionView, ...]
    selected: tuple[str, ...]
    error: str | None
    number: int | None  # None: skipped on this path (drawn hidden and disabled)
    when: str  # skip rule for the phone's script: "S1:2" or ""
    max_choices: int | None
    max_length: int | None

    @property
    def dom_id(self) -> str:
        return "q-" + self.name.replace(".", "-")


@dataclass(frozen=True)
class PageView:
    id: str
    kicker: str
    title: str
    intro: str | None
    questions: tuple[QuestionView, ...]
    shown: bool
    applies: bool
    span: tuple[int, int]


def _is_faces(item: Item) -> bool:
    """Five-point rating scales read as faces (plus "don't know"), for people who read poorly."""
    scale = item.scale
    return scale is not None and len(scale.valid) == 5 and scale.dont_know is not None


def _question(
    item: Item, texts: Texts, form: MultiDict[str, str], errors: Mapping[str, str], path: Path
) -> QuestionView:
    name = field_name(item)
    dom = name.replace(".", "-")
    options = ()
    if item.scale is not None:
        options = tuple(
            OptionView(o.code, texts.option(item.scale, o), texts.audio.get(option_code(item.scale, o)))
            for o in item.scale.options
        )
    anchor = f"q-{dom}-in" if item.kind == "text" else f"{dom}-{options[0].code}" if options else dom
    when = f"{item.when.item}:{','.join(str(v) for v in sorted(item.when.values))}" if item.when else ""
    return QuestionView(
        name=name,
        anchor=anchor,
        kind=item.kind,
        faces=_is_faces(item),
        text=texts.item(item),
        audio=texts.audio.get(item_code(item)),
        options=options,
        selected=tuple(form.getlist(name)),
        error=errors.get(name),
        number=path.numbers.get(name),
        when=when,
        max_choices=item.max_choices,
        max_length=item.max_length,
    )


def _page(
    page: Page,
    texts: Texts,
    form: MultiDict[str, str],
    errors: Mapping[str, str],
    path: Path,
    shown: set[str],
) -> PageView:
    ins = texts.ins
    section = next(s for s in ins.sections if s.id == page.section)
    title = texts(f"element.{page.element}") if page.element else texts(f"section.{section.id}")
    kicker = texts(f"section.{section.id}") if page.element else ""
    intro = texts(f"section.{section.id}.intro") if section.intro else None
    return PageView(
        id=page.id,
        kicker=kicker,
        title=title,
        intro=intro or None,
        questions=tuple(_question(i, texts, form, errors, path) for i in page.items),
        shown=page.id in shown,
        applies=page in path.pages,
        span=path.span(page),
    )


def _shown_pages(ins: Instrument, path: Path, current: str | None, errors: Mapping[str, str]) -> set[str]:
    """The current page; with errors, every page holding one (so each summary link lands)."""
    with_errors = {p.id for p in page_list(ins) if any(field_name(i) in errors for i in p.items)}
    if "policy_group" in errors:
        with_errors.add("policy")
    if with_errors:
        return with_errors
    return {path.pages[path.index(current)].id}


def error_summary(errors: Mapping[str, str], pages: list[PageView]) -> list[tuple[str | None, str]]:
    """(anchor, message) in question order; form-wide messages first, without a link."""
    entries: list[tuple[str | None, str]] = [(None, errors["_form"])] if "_form" in errors else []
    if "policy_group" in errors:
        entries.append(("policy_group", errors["policy_group"]))
    for page in pages:
        for q in page.questions:
            if q.error:
                label = _("Question %(n)d", n=q.number) if q.number else q.text
                entries.append((q.anchor, f"{label}: {q.error}"))
    return entries


def render_survey(
    point: ServicePoint,
    form: MultiDict[str, str],
    *,
    t: str,
    page: str | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
    fresh: bool = False,
    group: str | None = None,
) -> tuple[str, int]:
    """The survey of a point at `page`, with the answers of `form` and any errors.

    Also the page to show when a submit cannot be stored (database fault, expired session):
    pass the posted form, a message under ``errors["_form"]`` and the status.
    """
    ins: Instrument = instrument()
    lang = current_language()
    texts = texts_for(ins, lang)
    errors = errors or {}
    path = path_for(ins, parse_screen(form, ins))
    shown = _shown_pages(ins, path, page if page is not None else form.get("page"), errors)
    pages = [_page(p, texts, form, errors, path, shown) for p in page_list(ins)]
    current = next(p for p in pages if p.shown)
    if group is None:
        load = formload.read(t, max_age_s=None)
        group = form.get("policy_group") or (load.group if load else None)
    return render_template(
        "public/survey.html",
        point=point,
        ins=ins,
        texts=texts,
        t=t,
        pages=pages,
        current=current,
        last=path.pages[-1].id,
        total=path.total,
        group=group,
        errors=errors,
        summary=error_summary(errors, pages),
        fresh=fresh,
        minutes=estimate.minutes(ins) if current.id == path.pages[0].id else None,
    ), status


# --- the first page of a fresh form load, drawn once per process --------------------------------
#
# Every citizen's first page is the same document but for four values: the CSRF token, the
# form-load token, the script nonce and the policy group the rotation chose. Drawing it costs
# about two thirds of a survey cycle's server time, so each process draws it once per counter,
# language and version, with those four left as markers, and fills them in per request. The key
# holds everything else the page shows: the setup version (unit and counter names, a rotated
# token), the languages with their versions (translations, recordings, the language menu), the
# time estimate, the instrument and the organiser's name. A change of any of them is a new key
# at once, not after some time. The thank-you page is kept the same way, with only its nonce
# to fill in, whenever it has no new case code to show.

FRESH_ENTRIES = 256  # counters × languages kept per process (about 40 KB each)
_MARK = {"csrf": "SIPASMARKcsrf0", "t": "SIPASMARKt0", "nonce": "SIPASMARKnonce0"}
_fresh_lock = threading.Lock()


def _fresh_key(point: ServicePoint, ins: Instrument) -> tuple[object, ...] | None:
    setup = lookups.setup_key()
    if setup is None:
        return None
    languages = tuple(sorted(stored_languages().items()))
    organiser = current_app.config["SIPAS_ORGANISER"]
    return (
        setup,
        point.id,
        current_language(),
        languages,
        estimate.minutes(ins),
        ins.id,
        ins.version,
        organiser,
    )


def _option(code: str) -> str:
    return f'<option value="{escape(code)}">'


def _kept_page(
    kind: str, key: tuple[object, ...] | None, values: dict[str, str], draw: Callable[[], str]
) -> str:
    """A page kept per process under ``key`` with this request's ``values`` filled in.

    ``draw()`` draws it with those values when the process has no copy yet; the copy keeps
    markers in their places. ``key`` None (no setup version to key by) draws every time.
    """
    cache: OrderedDict[tuple[object, ...], str] = current_app.extensions.setdefault(
        f"sipas_{kind}_pages", OrderedDict()
    )
    with _fresh_lock:
        page = cache.get(key) if key is not None else None
        if page is not None:
            cache.move_to_end(key)  # type: ignore[arg-type]
    if page is None:
        page = draw()
        for name, value in values.items():
            page = page.replace(value, _MARK[name])
        if key is not None:
            with _fresh_lock:
                cache[key] = page
                while len(cache) > FRESH_ENTRIES:
                    cache.popitem(last=False)
    for name, value in values.items():
        page = page.replace(_MARK[name], value)
    return page


def render_fresh(point: ServicePoint, *, t: str, group: str | None) -> tuple[str, int]:
    """The first page of a new form load, as `render_survey` draws it, from the process's copy."""
    values = {"csrf": generate_csrf(), "t": t, "nonce": csp_nonce()}

    def draw() -> str:
        return render_survey(point, MultiDict(), t=t, fresh=True, group="")[0]

    page = _kept_page("fresh", _fresh_key(point, instrument()), values, draw)
    if group:
        page = page.replace(_option(group), _option(group)[:-1] + " selected>", 1)
    return page, 200


def render_thanks(point: ServicePoint, token: str) -> str:
    """The thank-you page: from the process's copy (its nonce filled in), or drawn for this
    request alone when the browser carries a new case's code to show once.

    Drawing it was about a third of its request; it shows the counter's unit, the language
    menu and the complaint channels, all of which raise the setup version when they change.
    """

    def draw() -> str:
        return render_template("public/thanks.html", point=point)

    if request.cookies.get(case_receipt.COOKIE):
        return draw()
    key = _fresh_key(point, instrument())
    return _kept_page("thanks", None if key is None else (*key, token), {"nonce": csp_nonce()}, draw)
