"""Changing a password, and resetting a forgotten one by e-mail."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from tests.factories import PASSWORD, UserFactory
from tests.helpers import deliver_mail, link_in_last_email, sign_in

NEW_PASSWORD = "another-long-passphrase-42"


def test_a_user_changes_their_password(client: Client, alice: User) -> None:
    sign_in(client, alice)
    page = client.get(reverse("accounts:password_change")).content.decode()
    assert 'autocomplete="current-password"' in page
    assert 'autocomplete="new-password"' in page
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("accounts:password_change_done")
    assert client.get(reverse("accounts:profile")).status_code == 200  # still signed in
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_a_wrong_current_password_is_reported_beside_the_field(client: Client, alice: User) -> None:
    sign_in(client, alice)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    page = response.content.decode()
    assert 'id="id_old_password_error"' in page
    assert 'href="#id_old_password"' in page


def test_a_forgotten_password_is_reset_through_the_emailed_link(client: Client, alice: User) -> None:
    page = client.get(reverse("accounts:password_reset")).content.decode()
    assert 'autocomplete="email"' in page
    response = client.post(reverse("accounts:password_reset"), {"email": "ALICE@example.org"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(deliver_mail()) == 1
    assert deliver_mail()[0].to == ["alice@example.org"]
    assert "Your username: alice" in deliver_mail()[0].body

    form_page = client.get(link_in_last_email(), follow=True)
    assert form_page.context["validlink"]
    assert 'autocomplete="new-password"' in form_page.content.decode()
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("accounts:password_reset_complete")
    signed_in = client.post(reverse("accounts:login"), {"username": "alice", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302

    # The link works once.
    client.post(reverse("accounts:logout"))
    again = client.get(link_in_last_email(), follow=True)
    assert not again.context["validlink"]
    assert "This link no longer works" in again.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_email(client: Client, alice: User) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(deliver_mail()) == 0


def test_an_invited_user_without_a_password_may_use_forgotten_password(client: Client, france) -> None:
    zoe = UserFactory.create(username="zoe", role="officer", administration=france, password=None)
    zoe.set_unusable_password()
    zoe.save()
    client.post(reverse("accounts:password_reset"), {"email": "zoe@example.org"})
    assert len(deliver_mail()) == 1


def test_partner_system_accounts_get_no_reset_email(client: Client, ivan: User) -> None:
    client.post(reverse("accounts:password_reset"), {"email": ivan.email})
    assert len(deliver_mail()) == 0
