"""QR codes (PNG, SVG) of a counter's survey address and its printable posters (HTML, PDF)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import qrcode
import qrcode.image.svg
from flask import current_app, render_template
from qrcode.constants import ERROR_CORRECT_M

from survey.models import ServicePoint

__all__ = ["poster_html", "poster_pdf", "qr_png", "qr_svg", "survey_url"]


def survey_url(point: ServicePoint) -> str:
    """The public address printed in the point's QR code."""
    return f"{current_app.config['SIPAS_BASE_URL']}/s/{point.token}"


def _qr(url: str) -> qrcode.QRCode:
    # Level M survives a scuffed or partly covered poster; border 4 is the standard quiet zone.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=12, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_png(url: str) -> bytes:
    """A PNG of the QR code (black on white)."""
    buf = io.BytesIO()
    _qr(url).make_image().save(buf)
    return buf.getvalue()


def qr_svg(url: str) -> str:
    """A standalone SVG of the QR code, sized by its viewBox so it scales to any print size."""
    image = _qr(url).make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    return image.to_string(encoding="unicode")


def _data_uri(url: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url).encode()).decode()


def poster_html(points: Sequence[ServicePoint], sheet: bool = False, back: str | None = None) -> str:
    """The A5 poster of one point, or (sheet) an A4 document with every given point's poster.

    The QR image is inlined as a data URI, so the same HTML prints from a browser and renders
    to PDF without fetching anything. `back` is the page the on-screen link returns to (a
    plain link: the page's Content-Security-Policy runs no inline script). The time to answer
    is the survey's own estimate (survey.public.estimate), the figure its first page shows.
    """
    from survey.instrument import instrument
    from survey.public import estimate

    posters = [{"point": p, "url": survey_url(p), "qr": _data_uri(survey_url(p))} for p in points]
    # The time a citizen is promised is the one measured on real responses, as on the first page.
    minutes = estimate.minutes(instrument())
    return render_template("admin/poster.html", posters=posters, sheet=sheet, back=back, minutes=minutes)


def poster_pdf(html: str) -> bytes:
    """The poster HTML as PDF (WeasyPrint, DejaVu Sans: every Vietnamese diacritic)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=current_app.root_path).write_pdf()
