"""Partner systems: endpoint checks at save and send time, secrets encrypted at rest and shown once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.test import override_settings

from apps.exchange import crypto
from apps.exchange.choices import AttemptOutcome, DeliveryState
from apps.exchange.endpoints import validate_endpoint
from apps.exchange.models import Delivery, DeliveryAttempt, PartnerSystem
from apps.exchange.services import delivery_send_one, event_fan_out
from apps.tenancy.models import Administration
from bench.partners import WebhookPartner
from tests.builders import (
    approve,
    build_report,
    default_region,
    partner_change,
    partner_system,
    webhook_partner,
)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://203.0.113.10/hook", "Partner endpoints must use HTTPS; http://203.0.113.10/hook does not."),
        (
            "https://127.0.0.1/hook",
            "The endpoint host 127.0.0.1 resolves to 127.0.0.1, a loopback address; partner endpoints must be "
            "public addresses.",
        ),
        ("https://localhost:8443/hook", "a loopback address"),
        ("https://10.1.2.3/hook", "resolves to 10.1.2.3, a private address"),
        ("https://169.254.169.254/latest/meta-data", "a link-local address"),
        ("https://[::1]/hook", "a loopback address"),
        ("https://[::ffff:192.168.1.5]/hook", "resolves to 192.168.1.5, a private address"),
        ("https://user:pw@93.184.215.14/hook", "Do not put credentials in the endpoint URL"),
        ("ftp://93.184.215.14/", "is not an http(s) URL"),
    ],
)
def test_non_public_or_plain_http_endpoints_are_refused_outside_local_settings(url: str, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_endpoint(url, allow_private=False)
    assert message in error.value.messages[0]


def test_a_public_https_endpoint_is_accepted() -> None:
    validate_endpoint("https://93.184.215.14/hooks/rilo", allow_private=False)


def test_test_settings_allow_partners_on_loopback() -> None:
    validate_endpoint("http://127.0.0.1:8000/hook")


@pytest.mark.django_db
@override_settings(RILO_ALLOW_PRIVATE_ENDPOINTS=False)
def test_saving_a_partner_with_a_private_endpoint_is_refused_with_the_reason() -> None:
    with pytest.raises(ValidationError) as error:
        partner_system(
            region=default_region(),
            name="Intranet",
            adapter="webhook",
            endpoint_url="https://10.0.0.8/hook",
        )
    assert error.value.message_dict["endpoint_url"] == [
        "The endpoint host 10.0.0.8 resolves to 10.0.0.8, a private address; "
        "partner endpoints must be public addresses."
    ]
    assert not PartnerSystem.objects.exists()


@pytest.mark.django_db
def test_an_endpoint_is_checked_again_at_send_time(france: Administration, receiver: WebhookPartner) -> None:
    _partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    event = approve(build_report(by=france, reference="FR-1"))
    event_fan_out(event_id=event.pk)
    delivery = Delivery.objects.get(event=event)
    with override_settings(RILO_ALLOW_PRIVATE_ENDPOINTS=False):
        assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.NEEDS_ATTENTION
    delivery.refresh_from_db()
    assert delivery.reason.startswith("endpoint refused at send time: Partner endpoints must use HTTPS")
    assert DeliveryAttempt.objects.get(delivery=delivery).outcome == AttemptOutcome.REFUSED
    assert receiver.requests == []


@pytest.mark.django_db
def test_secrets_and_credentials_are_encrypted_at_rest_and_the_secret_shown_once() -> None:
    partner, secret = partner_system(
        region=default_region(),
        name="CIS+",
        adapter="webhook",
        endpoint_url="http://127.0.0.1:9/hook",
        credentials={"token": "bearer-token-123"},
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials_encrypted, signing_secret_encrypted FROM exchange_partnersystem WHERE id = %s",
            [partner.pk],
        )
        credentials_column, secret_column = cursor.fetchone()
    assert "bearer-token-123" not in credentials_column
    assert secret not in secret_column and secret.removeprefix("whsec_") not in secret_column
    reloaded = PartnerSystem.objects.get(pk=partner.pk)
    assert reloaded.credentials == {"token": "bearer-token-123"}
    assert reloaded.signing_secrets() == [secret]
    assert not hasattr(reloaded, "signing_secret")  # no attribute hands the secret out again

    partner_change(partner=reloaded, credentials={"username": "rilo", "password": "pw"})
    assert PartnerSystem.objects.get(pk=partner.pk).credentials == {"username": "rilo", "password": "pw"}


def test_the_secrets_key_can_be_rotated_keeping_the_previous_one_for_reading() -> None:
    old_key = "OnQtxRGk1Wf8WrrpKMDnZrxY-qvsWlY5dX4E7TkiuOc="
    new_key = "ezqdAo_Cj2D8vumK6bSRX1SVb_LC5YtCk_0oJrwpA6c="
    with override_settings(RILO_SECRETS_KEY=old_key):
        token = crypto.encrypt("secret")
    with override_settings(RILO_SECRETS_KEY=f"{new_key},{old_key}"):
        assert crypto.decrypt(token) == "secret"
    with override_settings(RILO_SECRETS_KEY=new_key), pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        crypto.decrypt(token)
    with (
        override_settings(RILO_SECRETS_KEY=""),
        pytest.raises(ImproperlyConfigured, match="RILO_SECRETS_KEY is not set"),
    ):
        crypto.encrypt("secret")
