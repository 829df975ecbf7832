"""The survey form built at runtime from the instrument: what to show, and parsing a POST.

Field names are item codes (``B1.1``); the policy questions are asked about one group chosen
in ``policy_group`` and posted as their element code (``A1``), so a respondent can switch the
group without JavaScript and the server maps the answers to ``A1.G3`` etc.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from analysis.instrument import Instrument, Item

__all__ = ["FormError", "Submission", "parse_screen", "parse_submission", "sections_view"]

CONTROL_FIELDS = frozenset({"csrf_token", "t", "lang", "policy_group"})
Answer = int | tuple[int, ...] | str


@dataclass(frozen=True)
class Submission:
    """Answers keyed by item code (policy items already mapped to their group)."""

    answers: Mapping[str, Answer]
    policy_group: str | None


class FormError(Exception):
    """Raised by parse_submission with every field's error, keyed by field name."""

    def __init__(self, errors: dict[str, str], submission: Submission) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors
        self.submission = submission


def _screen_items(ins: Instrument) -> list[Item]:
    return [i for i in ins.items.values() if i.section == "screen"]


def _policy_template(ins: Instrument) -> list[Item]:
    """One policy item per element (the first group's), standing for the whole element."""
    first = next(iter(ins.policy_groups), None)
    return list(ins.policy_items(first)) if first else []


def parse_screen(args: Mapping[str, str], ins: Instrument) -> dict[str, int]:
    """Leniently read the screener answers of step 1; anything invalid counts as not answered."""
    answers = {}
    for item in _screen_items(ins):
        raw = args.get(item.code, "")
        if raw.isdigit() and item.scale is not None and int(raw) in item.scale.codes:
            answers[item.code] = int(raw)
    return answers


def _field_name(item: Item) -> str:
    return item.element if item.group else item.code  # type: ignore[return-value]


def _parse_item(item: Item, form: MultiDict[str, str]) -> Answer | None:
    """Parse one item's raw value(s); raise ValueError with the message for the respondent."""
    if item.kind == "text":
        text = form.get(item.code, "").strip()
        if item.max_length and len(text) > item.max_length:
            raise ValueError(_("Please keep it under %(n)d characters.", n=item.max_length))
        return text or None
    assert item.scale is not None
    raws = [v for v in form.getlist(_field_name(item)) if v != ""]
    if not raws:
        return None
    try:
        codes = tuple(int(v) for v in raws)
    except ValueError:
        raise ValueError(_("This answer is not one of the choices.")) from None
    if any(c not in item.scale.codes for c in codes) or len(set(codes)) != len(codes):
        raise ValueError(_("This answer is not one of the choices."))
    if item.kind == "multi":
        if item.max_choices and len(codes) > item.max_choices:
            raise ValueError(_("Choose at most %(n)d.", n=item.max_choices))
        return tuple(sorted(codes))
    if len(codes) > 1:
        raise ValueError(_("Choose only one answer."))
    return codes[0]


def parse_submission(form: MultiDict[str, str], ins: Instrument) -> Submission:
    """Validate a POSTed form against the instrument; raise FormError naming each bad field."""
    errors: dict[str, str] = {}
    answers: dict[str, Answer] = {}
    group = form.get("policy_group") or None
    if group is not None and group not in ins.policy_groups:
        errors["policy_group"] = _("Choose one of the policy areas listed.")
        group = None
    known = CONTROL_FIELDS | {_field_name(i) for i in ins.items.values()}
    unknown = sorted(set(form) - known)
    if unknown:
        errors["_form"] = _("The form contains unknown questions: %(codes)s", codes=", ".join(unknown))
    items = [i for i in ins.items.values() if not i.group] + (
        list(ins.policy_items(group)) if group else _policy_template(ins)
    )
    for item in items:
        try:
            value = _parse_item(item, form)
        except ValueError as exc:
            errors[_field_name(item)] = str(exc)
            continue
        if value is None:
            continue
        if item.group and not group:
            errors["policy_group"] = _("Choose the policy area your answers are about.")
            continue
        answers[item.code] = value
    for code in list(answers):
        item = ins.items[code]
        if not item.applies(answers):
            errors[_field_name(item)] = _("This question does not apply to your answer in step 1.")
    answered_group = group if any(ins.items[c].group for c in answers) else None
    submission = Submission(answers, answered_group)
    if errors:
        raise FormError(errors, submission)
    return submission


@dataclass(frozen=True)
class QuestionView:
    """What the template needs to draw one question."""

    name: str
    code: str
    kind: str
    text: str
    options: tuple[tuple[int, str], ...]
    selected: tuple[str, ...]
    error: str | None


def _question(item: Item, lang: str, form: MultiDict[str, str], error: str | None) -> QuestionView:
    name = _field_name(item)
    options = tuple((o.code, o.label[lang]) for o in item.scale.options) if item.scale else ()
    return QuestionView(
        name, item.code, item.kind, item.text[lang], options, tuple(form.getlist(name)), error
    )


def _shown(item: Item, screen: Mapping[str, int], errors: Mapping[str, str], template: set[str]) -> bool:
    """Policy items once (as the template), others when they apply or carry an error to clear."""
    if item.group:
        return item.code in template
    return item.applies(screen) or _field_name(item) in errors


def sections_view(
    ins: Instrument,
    lang: str,
    screen: Mapping[str, int],
    form: MultiDict[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Sections of step 2 with the questions that apply, answers kept, errors beside them."""
    form = form or MultiDict()
    errors = errors or {}
    template = {i.code for i in _policy_template(ins)}
    view = []
    for section in ins.sections:
        items = [ins.items[c] for c in section.items]
        questions = [
            _question(i, lang, form, errors.get(_field_name(i)))
            for i in items
            if _shown(i, screen, errors, template)
        ]
        if questions and section.id != "screen":
            view.append(
                {
                    "id": section.id,
                    "title": section.title[lang],
                    "intro": section.intro.get(lang),
                    "questions": questions,
                }
            )
    return view
