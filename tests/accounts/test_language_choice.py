"""Which language an account's pages and e-mails use: taken at sign-in when none was chosen, checked against
LANGUAGES when saved and when read (so adding or removing a language needs no migration), and, for an e-mail,
the language of the account it is about rather than the sender's or another account sharing the address."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from apps.accounts.emails import LinkBase
from apps.accounts.models import User
from apps.accounts.services import otp_device_ensure, user_password_reset_send, user_set_language, user_update
from apps.core.exceptions import ApplicationError
from apps.core.languages import is_offered, translated_languages
from apps.mail.models import MailMessage
from tests.factories import PASSWORD, UserFactory
from tests.helpers import current_code, sign_in

LOGIN = reverse("accounts:login")
HOME = reverse("core:home")


def sign_in_with_password(client: Client, user: User, **headers: Any) -> None:
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD}, **headers)
    assert response.status_code == 302


def test_signing_in_without_a_chosen_language_keeps_the_browsers(client: Client, alice: User) -> None:
    sign_in_with_password(client, alice, HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9")
    alice.refresh_from_db()
    assert alice.language == "ru"


def test_signing_in_keeps_the_language_chosen_on_the_sign_in_page(client: Client, alice: User) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    sign_in_with_password(client, alice, HTTP_ACCEPT_LANGUAGE="fr")
    alice.refresh_from_db()
    assert alice.language == "es"


def test_the_sign_in_language_is_kept_only_past_the_second_factor(client: Client, erin: User) -> None:
    """A password alone does not choose the language of the account's security e-mails: the code does."""
    device = otp_device_ensure(user=erin)
    response = client.post(LOGIN, {"username": erin.username, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 302 and reverse("accounts:otp_verify") in response["Location"]
    erin.refresh_from_db()
    assert erin.language == ""

    response = client.post(reverse("accounts:otp_verify"), {"token": current_code(device)}, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 302
    erin.refresh_from_db()
    assert erin.language == "ru"


def test_a_wrong_second_factor_code_keeps_no_language(client: Client, erin: User) -> None:
    device = otp_device_ensure(user=erin)
    client.post(LOGIN, {"username": erin.username, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="ru")
    wrong = f"{(int(current_code(device)) + 1) % 10**device.digits:0{device.digits}d}"
    response = client.post(reverse("accounts:otp_verify"), {"token": wrong}, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    erin.refresh_from_db()
    assert erin.language == ""


def test_signing_in_without_any_wish_saves_no_language(client: Client, alice: User) -> None:
    sign_in_with_password(client, alice)
    alice.refresh_from_db()
    assert alice.language == ""


def test_signing_in_never_replaces_a_chosen_language(client: Client, alice: User) -> None:
    alice.language = "fr"
    alice.save()
    sign_in_with_password(client, alice, HTTP_ACCEPT_LANGUAGE="ru")
    alice.refresh_from_db()
    assert alice.language == "fr"


def test_a_stored_language_no_longer_offered_is_ignored(client: Client, alice: User) -> None:
    User.objects.filter(pk=alice.pk).update(language="de")  # offered once, removed from LANGUAGES since
    alice.refresh_from_db()
    client.force_login(alice)
    response = client.get(HOME, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert response["Content-Language"] == "fr"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_a_language_not_offered_is_refused_when_saved(alice: User) -> None:
    with pytest.raises(ApplicationError):
        user_set_language(user=alice, language="de")
    user_set_language(user=alice, language="ru")
    alice.refresh_from_db()
    assert alice.language == "ru"


def test_the_profile_language_has_no_frozen_choices() -> None:
    """The offered languages live in settings alone: the column takes any code, as long as the mail's does."""
    field = User._meta.get_field("language")
    assert not field.choices
    assert field.max_length == MailMessage._meta.get_field("language").max_length


def test_the_languages_helper_follows_the_settings(settings) -> None:
    settings.LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch")]
    assert translated_languages() == ["fr", "de"]
    assert is_offered("de") and not is_offered("ru") and not is_offered("")


def test_a_password_link_is_in_the_target_accounts_language_not_the_senders(cora: User, alice: User) -> None:
    """Another account shares the address and chose Spanish: the account the link is for decides."""
    alice.language = "ru"
    alice.save()
    UserFactory.create(
        username="alice-old", email=alice.email, language="es", role=alice.role, administration=alice.administration
    )
    with translation.override("fr"):  # the coordinator who clicks works in French
        user_password_reset_send(user=alice, actor=cora, link_base=LinkBase(domain="rilo.example"))
    message = MailMessage.objects.get(kind="accounts/email/password_reset")
    assert (message.recipient, message.language) == (alice.email, "ru")
    assert message.subject == "RILO: выберите новый пароль"
    assert "choisissez" not in message.body and "choose" not in message.body


def test_the_password_reset_page_writes_to_each_account_in_its_own_language(client: Client, alice: User) -> None:
    """Two active accounts share the address (the newer chose Spanish, which a bare address would take): the
    form writes one link per account, each in the language of the account it is for."""
    alice.language = "ru"
    alice.save()
    UserFactory.create(
        username="alice-new", email=alice.email, language="es", role=alice.role, administration=alice.administration
    )
    response = client.post(reverse("accounts:password_reset"), {"email": alice.email}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 302
    messages = MailMessage.objects.filter(kind="accounts/email/password_reset")
    assert sorted((message.recipient, message.language) for message in messages) == [
        (alice.email, "es"),
        (alice.email, "ru"),
    ]
    assert {message.subject for message in messages} >= {"RILO: выберите новый пароль"}


def test_an_e_mail_triggered_in_french_reaches_a_russian_reader_in_russian(alice: User) -> None:
    """The notice of a changed address goes to the previous address, which no account holds any longer: the
    account's own language decides, and what the sender's side fills in ("an administrator") is Russian too."""
    alice.language = "ru"
    alice.save()
    with translation.override("fr"):
        user_update(user=alice, email="alice.new@example.org", actor=None)
    message = MailMessage.objects.get(kind="accounts/email/email_changed")
    assert message.language == "ru"
    assert message.subject == "[RILO] Ваш адрес электронной почты изменён"
    assert "администратор" in message.body
    assert "administrateur" not in message.body and "administrator" not in message.body


def test_a_recipient_whose_language_is_no_longer_offered_gets_the_default(alice: User, cora: User) -> None:
    User.objects.filter(pk=alice.pk).update(language="de")
    alice.refresh_from_db()
    user_password_reset_send(user=alice, actor=cora, link_base=LinkBase(domain="rilo.example"))
    message = MailMessage.objects.get(kind="accounts/email/password_reset")
    assert message.language == settings.LANGUAGE_CODE


def test_the_language_cookie_is_as_protected_as_the_session_cookie() -> None:
    assert settings.LANGUAGE_COOKIE_HTTPONLY is settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.LANGUAGE_COOKIE_SAMESITE == settings.SESSION_COOKIE_SAMESITE


def test_the_scripts_catalogue_is_cached_per_language(client: Client, db: None) -> None:
    url = reverse("javascript_catalog")
    russian = client.get(url, HTTP_ACCEPT_LANGUAGE="ru")
    assert russian.status_code == 200 and "no-cache" in russian["Cache-Control"]
    etag = russian["ETag"]
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="ru", HTTP_IF_NONE_MATCH=etag).status_code == 304
    # Another language never gets the copy of the first.
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr", HTTP_IF_NONE_MATCH=etag)
    assert french.status_code == 200 and french["ETag"] != etag


def test_the_account_created_notice_is_in_the_creators_language(client: Client, cora: User) -> None:
    cora.language = "es"
    cora.save()
    sign_in(client, cora)
    response = client.post(
        reverse("accounts:user_create"),
        {"username": "zoe", "first_name": "Zoé", "last_name": "Martin", "email": "zoe@example.org", "role": "officer"},
    )
    assert response.status_code == 302
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "Cuenta Zoé Martin (zoe) creada. Se envió un enlace para elegir una contraseña a zoe@example.org."
    ]


def test_the_uploads_fields_are_named_in_the_readers_language() -> None:
    from apps.uploads.models import Upload, UploadProblem

    with translation.override("fr"):
        assert str(Upload._meta.verbose_name_plural) == "imports"
        assert str(Upload._meta.get_field("rows_with_errors").verbose_name) == "lignes en erreur"
        assert str(Upload._meta.get_field("encoding").help_text).startswith("CSV : l’encodage choisi")  # noqa: RUF001
        assert str(UploadProblem._meta.get_field("national_reference").verbose_name) == "référence nationale"
