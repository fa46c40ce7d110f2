"""RILO administrators manage the administrations of their own region."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.core.exceptions import NotFound
from apps.tenancy.models import Administration, Region
from apps.tenancy.services import administration_update
from tests.helpers import sign_in

LIST = reverse("tenancy:administration_list")
CREATE = reverse("tenancy:administration_create")


def edit_url(administration: Administration) -> str:
    return reverse("tenancy:administration_edit", args=[administration.pk])


def test_grace_lists_her_regions_administrations(
    client: Client, grace: User, france: Administration, germany: Administration, kazakhstan: Administration
) -> None:
    sign_in(client, grace)
    response = client.get(LIST)
    assert response.status_code == 200
    assert {a.code for a in response.context["administrations"]} == {"fr", "de"}


def test_grace_edits_an_administration_of_her_region(client: Client, grace: User, france: Administration) -> None:
    sign_in(client, grace)
    assert client.get(edit_url(france)).status_code == 200
    response = client.post(edit_url(france), {"name": "Douane française", "country": "FR", "code": "fr", "active": ""})
    assert response["Location"] == LIST
    france.refresh_from_db()
    assert france.name == "Douane française"
    assert not france.active


def test_grace_gets_404_for_another_regions_administration(
    client: Client, grace: User, kazakhstan: Administration
) -> None:
    sign_in(client, grace)
    assert client.get(edit_url(kazakhstan)).status_code == 404
    assert client.post(edit_url(kazakhstan), {"name": "X", "country": "KZ", "code": "kz"}).status_code == 404
    kazakhstan.refresh_from_db()
    assert kazakhstan.name == "Kazakh Customs"


def test_a_new_administration_joins_the_actors_region_whatever_is_posted(
    client: Client, grace: User, region_we: Region, region_cis: Region
) -> None:
    sign_in(client, grace)
    response = client.post(
        CREATE, {"name": "Belgian Customs", "country": "BE", "code": "be", "active": "on", "region": region_cis.pk}
    )
    assert response["Location"] == LIST
    belgium = Administration.objects.get(code="be")
    assert belgium.region == region_we
    assert belgium.active


def test_a_duplicate_country_is_reported_beside_the_field_and_input_kept(
    client: Client, grace: User, france: Administration
) -> None:
    sign_in(client, grace)
    response = client.post(CREATE, {"name": "Another French one", "country": "FR", "code": "fr2"})
    assert response.status_code == 200
    assert "country" in response.context["form"].errors
    page = response.content.decode()
    assert 'value="Another French one"' in page
    assert 'href="#id_country"' in page


def test_others_may_not_manage_administrations(
    client: Client, cora: User, erin: User, alice: User, france: Administration
) -> None:
    for user in (cora, erin, alice):
        sign_in(client, user)
        assert client.get(LIST).status_code == 403, user
        assert client.get(CREATE).status_code == 403, user
        assert client.get(edit_url(france)).status_code == 404, user


def test_the_service_refuses_an_administration_out_of_reach(farid: User, france: Administration) -> None:
    with pytest.raises(NotFound):
        administration_update(actor=farid, administration=france, name="Taken over")
    france.refresh_from_db()
    assert france.name == "French Customs"


def test_the_administrations_menu_entry_appears_for_rilo_administrators(
    client: Client, grace: User, erin: User
) -> None:
    sign_in(client, grace)
    assert f'href="{LIST}"' in client.get(reverse("core:home")).content.decode()
    sign_in(client, erin)
    assert f'href="{LIST}"' not in client.get(reverse("core:home")).content.decode()
