"""Citizens' cases: `digest`, the daily e-mail to units and Sở Nội vụ (README, element B5)."""

from __future__ import annotations

import click
from flask import current_app

from survey.cases import digest as digests
from survey.cli import fail, sipas
from survey.cli.ops import _require_newest_schema


@sipas.command("digest")
@click.option("--dry-run", is_flag=True, help="Print the e-mails that would go; send and record nothing.")
def digest_command(dry_run: bool) -> None:
    """E-mail each unit's viewers and Sở Nội vụ the new and overdue cases and the SIPAS drop alert."""
    if not dry_run and not current_app.config["SMTP_HOST"]:
        fail("SIPAS_SMTP_HOST is not set: the digest has no mail server to send through (try --dry-run)")
    _require_newest_schema()

    def report(mail: digests.Mail, sent: bool | None) -> None:
        state = {None: "would send", True: "sent", False: "FAILED"}[sent]
        click.echo(f"{digests.mask_address(mail.to)}: {state} ({mail.summary})")
        if sent is None:
            click.echo(f"    Subject: {mail.subject}")
            for line in mail.body.splitlines():
                click.echo(f"    {line}".rstrip())

    outcome = digests.run(dry_run=dry_run, report=report)
    since = f"{outcome.since:%Y-%m-%d %H:%M} UTC"
    if dry_run:
        click.echo(f"dry run: {len(outcome.mails)} e-mails would go (new cases since {since}); nothing sent")
        return
    click.echo(f"total: {outcome.sent} sent, {len(outcome.failed)} failed (new cases since {since})")
    if outcome.failed:
        fail(
            f"{len(outcome.failed)} of {len(outcome.mails)} e-mails could not be sent; "
            "the next run covers their cases again"
        )
