"""Reading the survey's POST body against the instrument: answers, errors, applicable fields.

Field names are item codes (``B1.1``); the policy questions are asked about one group chosen
in ``policy_group`` and posted as their element code (``A1``), so a respondent can switch the
group without JavaScript and the server maps the answers to ``A1.G3`` etc. Every page posts
every answer given so far, so the body alone carries the respondent's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from analysis.instrument import Instrument, Item
from survey.public.pages import field_name as _field_name
from survey.public.pages import policy_template

__all__ = [
    "CONTROL_FIELDS",
    "FormError",
    "Submission",
    "applicable_only",
    "parse_screen",
    "parse_submission",
    "without_policy",
]

# Hidden and navigation fields of the form, besides the answers.
CONTROL_FIELDS = frozenset({"csrf_token", "t", "lang", "setlang", "policy_group", "page", "nav"})
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


def parse_screen(args: Mapping[str, str], ins: Instrument) -> dict[str, int]:
    """Leniently read the screener answers of step 1; anything invalid counts as not answered."""
    answers = {}
    for item in _screen_items(ins):
        raw = args.get(item.code, "")
        if raw.isdigit() and item.scale is not None and int(raw) in item.scale.codes:
            answers[item.code] = int(raw)
    return answers


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
        list(ins.policy_items(group) if group else policy_template(ins))
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
            errors[_field_name(item)] = _("This question does not apply to your answers on the first page.")
    answered_group = group if any(ins.items[c].group for c in answers) else None
    submission = Submission(answers, answered_group)
    if errors:
        raise FormError(errors, submission)
    return submission


def applicable_only(form: MultiDict[str, str], ins: Instrument) -> MultiDict[str, str]:
    """The form without answers to questions the screeners now skip.

    Going back to the first page and changing "why did you come" removes the questions that
    no longer apply; their old answers are dropped with them rather than refused.
    """
    screen = parse_screen(form, ins)
    skipped = {_field_name(i) for i in ins.items.values() if not i.group and not i.applies(screen)}
    return MultiDict([(k, v) for k, v in form.items(multi=True) if k not in skipped])


def without_policy(form: MultiDict[str, str], ins: Instrument) -> MultiDict[str, str]:
    """The form without the policy answers ("Tôi không rõ chính sách này")."""
    fields = {_field_name(i) for i in policy_template(ins)}
    return MultiDict([(k, v) for k, v in form.items(multi=True) if k not in fields])
