"""Choosing a language: the browser's before sign-in, the switcher's choice kept in a cookie or on the profile,
the profile's applied at every sign-in; e-mails in the recipient's language; API errors by Accept-Language."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.mail.models import MailMessage
from apps.mail.services import mail_enqueue
from tests.conftest import IssueToken
from tests.factories import PASSWORD
from tests.helpers import bearer, sign_in

LOGIN = reverse("accounts:login")
LANGUAGE = reverse("accounts:language")
HOME = reverse("core:home")


def page(client: Client, path: str, **headers: Any) -> str:
    response = client.get(path, **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_sign_in_page_follows_the_browser_language(client: Client, db: None) -> None:
    russian = page(client, LOGIN, HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5")
    assert '<html lang="ru">' in russian
    assert "<h1>Войти</h1>" in russian
    assert "<h1>Se connecter</h1>" in page(client, LOGIN, HTTP_ACCEPT_LANGUAGE="fr")
    assert "<h1>Sign in</h1>" in page(client, LOGIN, HTTP_ACCEPT_LANGUAGE="de")


def test_the_sign_in_page_and_the_header_offer_every_language_by_its_own_name(client: Client, db: None) -> None:
    html = page(client, LOGIN)
    assert html.count(f'action="{LANGUAGE}"') == 2
    for code, name in settings.LANGUAGES:
        assert f'<option value="{code}" lang="{code}"' in html
        assert f">{name}</option>" in html


def test_a_choice_before_sign_in_is_kept_in_the_cookie_over_the_browser_language(client: Client, db: None) -> None:
    response = client.post(LANGUAGE, {"language": "es", "next": LOGIN}, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert "<h1>Iniciar sesión</h1>" in page(client, LOGIN, HTTP_ACCEPT_LANGUAGE="ru")


def test_a_signed_in_choice_is_saved_on_the_profile(client: Client, alice: User) -> None:
    sign_in(client, alice)
    response = client.post(LANGUAGE, {"language": "fr", "next": HOME})
    assert response["Location"] == HOME
    alice.refresh_from_db()
    assert alice.language == "fr"
    assert "Se déconnecter" in page(client, HOME)


def test_a_password_alone_does_not_choose_the_accounts_language(client: Client, erin: User) -> None:
    """A session that has not passed its second factor sets the cookie, never the profile (whose language the
    account's security e-mails use)."""
    sign_in(client, erin, verified=False)
    response = client.post(LANGUAGE, {"language": "ru", "next": HOME})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    erin.refresh_from_db()
    assert erin.language != "ru"


def test_the_profile_language_is_applied_at_sign_in_over_the_cookie_and_the_browser(
    client: Client, alice: User
) -> None:
    alice.language = "ru"
    alice.save()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 302
    home = client.get(HOME, HTTP_ACCEPT_LANGUAGE="es")
    assert "Выйти" in home.content.decode()
    assert home["Content-Language"] == "ru"
    # The cookie follows the profile, so the sign-in page after signing out is in Russian too.
    assert home.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"


def test_the_switcher_refuses_a_post_without_the_csrf_token(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    sign_in(client, alice)
    assert client.post(LANGUAGE, {"language": "ru"}).status_code == 403
    alice.refresh_from_db()
    assert alice.language == ""


def test_the_switcher_answers_only_posts(client: Client, db: None) -> None:
    assert client.get(LANGUAGE, {"language": "ru"}).status_code == 405


def test_an_unknown_language_changes_nothing(client: Client, alice: User) -> None:
    sign_in(client, alice)
    response = client.post(LANGUAGE, {"language": "xx", "next": HOME})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    alice.refresh_from_db()
    assert alice.language == ""


def test_the_switcher_never_sends_the_user_to_another_site(client: Client, db: None) -> None:
    response = client.post(LANGUAGE, {"language": "fr", "next": "https://evil.example/"})
    assert response["Location"] == LOGIN


def test_the_api_keeps_its_errors_in_the_client_language_not_the_profile_one(client: Client, alice: User) -> None:
    alice.language = "ru"
    alice.save()
    api = Client()
    french = api.get("/api/v1/reports/", HTTP_ACCEPT_LANGUAGE="fr")
    russian = api.get("/api/v1/reports/", HTTP_ACCEPT_LANGUAGE="ru")
    assert french.status_code == russian.status_code == 401
    assert french.json()["type"] == russian.json()["type"] == "not_authenticated"
    assert french.json()["message"].startswith("Authentification requise")
    assert russian.json()["message"].startswith("Требуется аутентификация")


def test_e_mails_are_written_in_each_recipient_language(alice: User, bob: User, cora: User) -> None:
    alice.language, bob.language = "ru", "fr"
    alice.save()
    bob.save()
    context = {"report": {"national_reference": "FR-2026-1", "uuid": "u-1", "version": 2}, "link": "/r/"}
    mail_enqueue(to=[alice.email, bob.email, cora.email], template="reports/email/approved", context=context)
    subjects = dict(MailMessage.objects.values_list("recipient", "subject"))
    assert subjects == {
        alice.email: "[RILO] Сообщение FR-2026-1 утверждено",
        bob.email: "[RILO] Rapport FR-2026-1 approuvé",
        cora.email: "[RILO] Report FR-2026-1 approved",  # no choice yet: the site's default
    }
    assert set(MailMessage.objects.values_list("recipient", "language")) == {
        (alice.email, "ru"),
        (bob.email, "fr"),
        (cora.email, "en"),
    }


@pytest.mark.parametrize(("language", "required"), [("fr", "Ce champ est obligatoire."), ("ru", "Обязательное поле.")])
def test_api_validation_errors_follow_accept_language(
    language: str, required: str, api: APIClient, issue_token: IssueToken, alice: User
) -> None:
    alice.language = "es"  # the profile's choice is for pages: the API client says what it reads
    alice.save()
    token = issue_token(alice, "read", "write")
    headers: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": language, **bearer(token)}
    response = api.post("/api/v1/reports/", {}, format="json", **headers)
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "invalid"
    assert required in body["details"]["national_reference"]


def test_the_scripts_catalogue_is_served_locally_in_the_page_language(client: Client, db: None) -> None:
    response = client.get(reverse("javascript_catalog"), HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert "django.gettext" in body and "django.ngettext" in body
    # Russian plural rule (four forms), for the charts' counted labels.
    assert "n%10==1&&n%100!=11" in body.replace(" ", "")
    login = page(client, LOGIN)
    assert f'<script src="{reverse("javascript_catalog")}"></script>' in login


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Vérifiez d'abord votre code d'authentification à deux facteurs dans l'interface web."),
        ("ru", "Сначала подтвердите код двухфакторной аутентификации в веб-интерфейсе."),
    ],
)
def test_the_apis_second_factor_refusal_follows_accept_language(
    client: Client, erin: User, language: str, message: str
) -> None:
    erin.language = "es"  # the profile's choice is for pages
    erin.save()
    sign_in(client, erin, verified=False)
    response = client.get("/api/v1/reports/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 403
    assert response.json()["type"] == "two_factor_required"
    assert response.json()["message"] == message
