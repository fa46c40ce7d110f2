"""Every e-mail, written for recipients who chose the pseudo language (tests/core/pseudo_language.py), holds only
wrapped strings and data: each is rendered in its recipient's language, so nothing in it may be left unmarked.

The messages are written by the acts that send them (workflow transitions, password links, tokens, account
changes, a partner allowed personal data) into the mail outbox, and read from there; every e-mail template under
templates/ is among them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Permission
from django.utils import timezone

from apps.accounts.emails import LinkBase, send_password_link
from apps.accounts.models import User
from apps.accounts.notifications import notify_email_changed, notify_two_factor_reset
from apps.accounts.services import token_issue, token_revoke
from apps.exchange.services import partner_update
from apps.mail.models import MailMessage
from apps.reports.models import Report
from apps.reports.notifications import notify_approved, notify_returned, notify_submitted, notify_submitted_in_bulk
from tests.builders import vocabulary, webhook_partner
from tests.core.pseudo_data import pseudo_language, stored_data  # noqa: F401  (fixture)
from tests.core.pseudo_language import unwrapped_lines
from tests.core.test_pseudo_language import KNOWN_ELSEWHERE

COMMENT = "The quantity is in grams, not kilograms."  # typed by the reviewer: data


def _email_templates() -> set[str]:
    """Every e-mail of the project: ``<name>`` of each ``<name>_subject.txt`` under templates/**/email/."""
    root = Path(settings.BASE_DIR) / "templates"
    return {
        path.relative_to(root).as_posix().removesuffix("_subject.txt") for path in root.glob("**/email/*_subject.txt")
    }


def _send_every_email(world: dict[str, Report], alice: User, erin: User, grace: User, hugo: User) -> None:
    report = world["fr_submitted"]
    notify_submitted(report)
    notify_submitted_in_bulk(administration=report.administration, count=3)
    notify_returned(report, COMMENT)
    notify_approved(world["fr_approved"])
    link = LinkBase(domain="testserver")
    send_password_link(user=alice, link_base=link, purpose="reset", actor=None)
    send_password_link(user=alice, link_base=link, purpose="invitation", actor=grace)
    system, plaintext = token_issue(
        user=alice, name="nightly import", scopes=["read"], expires_at=timezone.now() + timedelta(days=30), actor=None
    )
    assert plaintext
    token_revoke(token=system, actor=None)
    notify_email_changed(user=alice, old_address=alice.email, actor=None)
    notify_two_factor_reset(user=alice, actor=grace)
    vocabulary()
    partner = webhook_partner("WE partner", "http://127.0.0.1:9/hooks/rilo")[0]
    grace.user_permissions.add(Permission.objects.get(codename="allow_personal_data_partnersystem"))
    partner_update(actor=User.objects.get(pk=grace.pk), partner=partner, personal_data_allowed=True)


def test_every_email_in_the_recipients_language_holds_only_marked_strings_and_data(
    pseudo_language: str,  # noqa: F811
    world: dict[str, Report],
    alice: User,
    erin: User,
    grace: User,
    hugo: User,
    django_capture_on_commit_callbacks: object,
) -> None:
    User.objects.filter(pk__in=[alice.pk, erin.pk, grace.pk, hugo.pk]).update(language=pseudo_language)
    for person in (alice, erin, grace, hugo):
        person.refresh_from_db()  # the e-mails take the language of the account they are given
    MailMessage.objects.all().delete()
    _send_every_email(world, alice, erin, grace, hugo)

    messages = list(MailMessage.objects.order_by("pk"))
    assert {message.kind for message in messages} == _email_templates(), "an e-mail template was not sent"
    assert {message.language for message in messages} == {pseudo_language}
    data = stored_data() | {COMMENT}
    found = {}
    for message in messages:
        leftovers = [
            line for line in unwrapped_lines(f"{message.subject}\n{message.body}", data) if line not in KNOWN_ELSEWHERE
        ]
        if leftovers:
            found[message.kind] = leftovers
    assert not found, "\n".join(f"{kind}: {leftovers}" for kind, leftovers in sorted(found.items()))
