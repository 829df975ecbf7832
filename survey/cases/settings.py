"""Settings of case handling: environment defaults, and what Sở Nội vụ edits in the web UI.

Environment (read once at start; README "Citizens' cases" lists them): the working days to
answer, the holiday calendar, who besides admins and analysts reads escalated cases, the
case-code lookup limit, and for the daily digest (``sipas digest``) the mail server and the
significance level of the SIPAS drop alert.

Edited in the UI (table ``case_setting``, every change audited): the classifier's phrases
and the official channels for formal complaints shown to citizens. A channel line holding a
``[placeholder]`` is one Sở Nội vụ has not filled in yet: citizens never see it, and the
settings page lists it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import gettext as _

from survey import audit
from survey.aggregates import lookups
from survey.cases.classify import CATEGORIES, DEFAULT_KEYWORDS, fold
from survey.extensions import db
from survey.models import CaseSetting, utcnow
from survey.validation import InputError

__all__ = [
    "DEFAULT_CHANNELS",
    "SMTP_SECURITY",
    "channel_lines",
    "channels_text",
    "configure",
    "keywords",
    "placeholders",
    "save_channels",
    "save_keywords",
]

DEFAULT_CHANNELS = {
    "vi": (
        "Tại Bộ phận Một cửa nơi Ông/Bà làm thủ tục: gặp trực tiếp cán bộ phụ trách, "
        "hoặc bỏ thư vào hộp thư góp ý.\n"
        "Cổng Dịch vụ công quốc gia: dichvucong.gov.vn, mục “Phản ánh, kiến nghị”.\n"
        "Cổng Dịch vụ công tỉnh Lai Châu: [địa chỉ cổng dịch vụ công của tỉnh]\n"
        "Đường dây nóng của tỉnh: [số điện thoại đường dây nóng]\n"
        "Khiếu nại, tố cáo chính thức: gửi đơn đến thủ trưởng cơ quan đã giải quyết thủ tục, "
        "hoặc Thanh tra tỉnh, theo Luật Khiếu nại và Luật Tố cáo."
    ),
    "en": (
        "At the one-stop counter where you were served: speak to the officer in charge, "
        "or use the feedback box.\n"
        "National Public Service Portal: dichvucong.gov.vn, section “Phản ánh, kiến nghị” "
        "(feedback and petitions).\n"
        "Lai Châu provincial public service portal: [address of the provincial portal]\n"
        "Provincial hotline: [hotline phone number]\n"
        "Formal complaints and denunciations: a written petition to the head of the agency that "
        "handled the procedure, or to the Provincial Inspectorate, under the Law on Complaints and "
        "the Law on Denunciations."
    ),
}
SMTP_SECURITY = ("none", "starttls", "ssl")
_PLACEHOLDER = re.compile(r"\[[^\[\]]+\]")
MAX_PHRASE = 60


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default).strip()


def configure(app: Flask) -> None:
    """Case settings from the environment, unless the app's config already sets them (tests)."""
    defaults: dict[str, Any] = {
        "CASES_DUE_DAYS": int(_env("SIPAS_CASES_DUE_DAYS", "5")),
        "CASES_HOLIDAYS": _env("SIPAS_CASES_HOLIDAYS", "") or None,
        "CASES_ESCALATE_TO": tuple(
            e.strip().lower() for e in _env("SIPAS_CASES_ESCALATE_TO", "").split(",") if e.strip()
        ),
        "CASES_LOOKUP_LIMIT": _env("SIPAS_CASES_LOOKUP_LIMIT", "10 per minute;100 per day"),
        "CASES_ALERT_ALPHA": _number("SIPAS_CASES_ALERT_ALPHA", "0.01", float),
        # The daily digest's mail server: no host, no digest (the command says so and stops).
        "SMTP_HOST": _env("SIPAS_SMTP_HOST", ""),
        "SMTP_PORT": _number("SIPAS_SMTP_PORT", "25", int),
        "SMTP_SECURITY": _env("SIPAS_SMTP_SECURITY", "none").lower(),
        "SMTP_USER": _env("SIPAS_SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SIPAS_SMTP_PASSWORD", ""),
        "MAIL_FROM": _env("SIPAS_MAIL_FROM", "sipas@localhost"),
    }
    for key, value in defaults.items():
        app.config.setdefault(key, value)
    if app.config["CASES_DUE_DAYS"] < 1:
        raise RuntimeError("SIPAS_CASES_DUE_DAYS must be a whole number of working days, at least 1")
    if not 0 < app.config["CASES_ALERT_ALPHA"] < 0.5:
        raise RuntimeError("SIPAS_CASES_ALERT_ALPHA must be a number between 0 and 0.5, e.g. 0.01")
    if app.config["SMTP_SECURITY"] not in SMTP_SECURITY:
        raise RuntimeError(f"SIPAS_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}")
    if not 0 < app.config["SMTP_PORT"] < 65536:
        raise RuntimeError("SIPAS_SMTP_PORT must be a port number from 1 to 65535")


def _number(name: str, default: str, kind: type[int] | type[float]) -> Any:
    """A number from the environment; a RuntimeError naming the variable if it is not one."""
    raw = _env(name, default) or default
    try:
        return kind(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a number, not {raw!r}") from None


def _get(key: str) -> Any:
    row = db.session.get(CaseSetting, key)
    return None if row is None else json.loads(row.value)


def _put(key: str, value: Any) -> None:
    before = _get(key)
    row = db.session.get(CaseSetting, key) or CaseSetting(key=key)
    row.value, row.updated_at = json.dumps(value, ensure_ascii=False), utcnow()
    db.session.add(row)
    db.session.flush()
    audit.record("cases.settings", "case_setting", key, {"value": before}, {"value": value})


def keywords() -> dict[str, tuple[str, ...]]:
    """The classifier's phrases per category (the defaults until Sở Nội vụ edits them)."""
    stored = _get("keywords")
    if stored is None:
        return dict(DEFAULT_KEYWORDS)
    return {c: tuple(stored.get(c, ())) for c in CATEGORIES}


def save_keywords(texts: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Store the phrases typed one per line per category; InputError naming a bad phrase."""
    seen: dict[str, str] = {}
    out: dict[str, tuple[str, ...]] = {}
    for category in CATEGORIES:
        phrases: list[str] = []
        for line in texts.get(category, "").splitlines():
            phrase = " ".join(line.split())
            if not phrase:
                continue
            if len(phrase) > MAX_PHRASE or len(fold(phrase).replace("#", "")) < 2:
                raise InputError(_("Phrase '%(p)s': 2 to %(n)d characters.", p=phrase, n=MAX_PHRASE))
            key = fold(phrase)
            if key in seen and seen[key] != category:
                raise InputError(_("Phrase '%(p)s' is in two categories.", p=phrase))
            if key not in seen:
                seen[key] = category
                phrases.append(phrase)
        out[category] = tuple(phrases)
    _put("keywords", {c: list(p) for c, p in out.items()})
    return out


def channels_text(lang: str) -> str:
    """The official channels as Sở Nội vụ wrote them (placeholders included).

    Every thank-you page shows them: read once per process and setup version (a change of a
    case setting raises it, survey.aggregates.lookups).
    """
    stored = lookups.kept("case_setting:channels", lambda: _get("channels")) or {}
    return str(stored.get(lang) or DEFAULT_CHANNELS.get(lang) or DEFAULT_CHANNELS["vi"])


def channel_lines(lang: str) -> list[str]:
    """The lines a citizen sees: those without an unfilled placeholder."""
    lines = (line.strip() for line in channels_text(lang).splitlines())
    return [line for line in lines if line and not _PLACEHOLDER.search(line)]


def placeholders() -> list[str]:
    """Placeholders still in the channels text, in every language: what Sở Nội vụ must fill in."""
    return [p for lang in DEFAULT_CHANNELS for p in _PLACEHOLDER.findall(channels_text(lang))]


def save_channels(texts: Mapping[str, str]) -> None:
    """Store the channels text per language (each at most 2,000 characters)."""
    value = {}
    for lang in DEFAULT_CHANNELS:
        text = texts.get(lang, "").strip()
        if len(text) > 2000:
            raise InputError(_("%(field)s: at most %(n)d characters.", field=_("Official channels"), n=2000))
        value[lang] = text or DEFAULT_CHANNELS[lang]
    _put("channels", value)
