"""The admin of reference data: RILO administrators (not staff) manage it; terms in use are only deactivated."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.core.exceptions import PermissionDenied
from apps.reference.models import CommodityCategory, CommodityType, DetectionMethod, Unit
from apps.reference.selectors import term_usages
from apps.reference.services import TermInUse, commodity_type_save, term_delete, term_set_active

pytestmark = pytest.mark.django_db


def changelist(model_name: str) -> str:
    return reverse(f"admin:reference_{model_name}_changelist")


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def grace_client(grace, signed_in) -> Client:
    assert not grace.is_staff
    return signed_in(grace)


def test_a_rilo_administrator_reaches_the_reference_admin_without_being_staff(grace_client):
    response = grace_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Commodity categories" in response.text and "HS codes" in response.text


def test_the_list_shows_code_label_active_parent_and_partner_codes(grace_client):
    response = grace_client.get(changelist("concealmentmethod"))
    assert response.status_code == 200
    for heading in ("Code", "Label", "Active", "Parent", "CEN code", "CIS+ code"):
        assert f">{heading}<" in response.text, heading
    assert "PERSON_SWALLOWED" in response.text and "On/in person" in response.text


def test_the_list_can_be_searched_and_filtered_by_active(grace_client):
    response = grace_client.get(changelist("commoditytype"), {"q": "cannabis"})
    assert "CANNABIS_RESIN" in response.text and "COCAINE" not in response.text
    CommodityType.objects.filter(code="KHAT").update(active=False)
    response = grace_client.get(changelist("commoditytype"), {"active__exact": "0"})
    assert "KHAT" in response.text and "COCAINE" not in response.text


def test_a_term_in_use_cannot_be_deleted_from_its_delete_page(grace_client):
    drugs = CommodityCategory.objects.get(code="DRUGS")
    delete_url = reverse("admin:reference_commoditycategory_delete", args=[drugs.pk])
    change_url = reverse("admin:reference_commoditycategory_change", args=[drugs.pk])

    response = grace_client.get(delete_url)
    assert (response.status_code, response.url) == (302, change_url)
    [message] = texts(response)
    assert message.startswith("“Drugs” (DRUGS) is used by 22 records of commodity types (category): Cocaine, ")
    assert "deactivate it instead" in message

    response = grace_client.post(delete_url, {"post": "yes"})
    assert response.status_code == 302
    assert CommodityCategory.objects.filter(pk=drugs.pk).exists()


def test_the_delete_action_refuses_terms_in_use_and_names_where_each_is_used(grace_client):
    selected = list(CommodityCategory.objects.filter(code__in=["DRUGS", "TOBACCO"]).values_list("pk", flat=True))
    response = grace_client.post(
        changelist("commoditycategory"),
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    [message] = texts(response)
    assert message.startswith("Nothing was deleted. ")
    assert "“Drugs” (DRUGS) is used by 22 records of commodity types (category)" in message
    assert "“Tobacco” (TOBACCO) is used by 9 records of commodity types (category)" in message
    assert CommodityCategory.objects.filter(pk__in=selected).count() == 2


def test_a_term_in_use_can_be_deactivated(grace_client):
    drugs = CommodityCategory.objects.get(code="DRUGS")
    response = grace_client.post(
        changelist("commoditycategory"),
        {"action": "deactivate_selected", "_selected_action": [drugs.pk]},
        follow=True,
    )
    assert texts(response) == [
        "1 commodity category deactivated (kept on existing records, no longer offered for new ones)."
    ]
    drugs.refresh_from_db()
    assert drugs.active is False
    assert drugs.types.count() == 22


def test_an_unused_term_can_be_deleted(grace_client):
    spare = DetectionMethod.objects.create(code="SPARE", label="Spare method")
    response = grace_client.post(reverse("admin:reference_detectionmethod_delete", args=[spare.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not DetectionMethod.objects.filter(pk=spare.pk).exists()


def test_a_unit_used_only_as_a_default_unit_is_in_use():
    # CommodityType.default_unit has no reverse accessor (related_name="+"): it still counts.
    stick = Unit.objects.get(code="STK")
    [usage] = term_usages(terms=[stick])[stick]
    assert (usage.model_name, usage.field_name) == ("commodity types", "default unit")
    assert usage.examples == ("Cigarettes", "Heated tobacco sticks")


def test_the_services_refuse_to_delete_a_term_in_use_and_check_the_actors_permission(grace, alice):
    drugs = CommodityCategory.objects.get(code="DRUGS")
    with pytest.raises(TermInUse, match="is used by 22 records of commodity types"):
        term_delete(terms=[drugs], actor=grace)
    with pytest.raises(PermissionDenied):
        term_set_active(terms=[drugs], active=False, actor=alice)
    assert CommodityCategory.objects.get(code="DRUGS").active is True


@pytest.fixture
def root_client(signed_in) -> Client:
    """A platform administrator: Django staff (a superuser), not a region's RILO administrator."""
    root = User.objects.create_superuser("root", "root@example.org", "correct-horse-battery-staple")
    return signed_in(root)


def schema_post(commodity_type: CommodityType, schema: dict[str, Any]) -> dict[str, Any]:
    """The change form of ``commodity_type`` as posted with ``schema``."""
    return {
        "label": commodity_type.label,
        "category": commodity_type.category_id,
        "default_unit": commodity_type.default_unit_id or "",
        "attributes_schema": json.dumps(schema),
        "active": "on",
        "sort_order": commodity_type.sort_order,
        "translations": "{}",
    }


PURITY = {
    "type": "object",
    "properties": {"purity_percent": {"type": "number", "minimum": 0, "maximum": 100}},
    "additionalProperties": False,
}


def test_a_rilo_administrator_cannot_change_a_commodity_types_schema_every_region_shares(grace, grace_client):
    cocaine = CommodityType.objects.get(code="COCAINE")
    before = cocaine.attributes_schema
    url = reverse("admin:reference_commoditytype_change", args=[cocaine.pk])
    page = grace_client.get(url)
    assert page.status_code == 200 and 'name="attributes_schema"' not in page.text  # shown, read-only
    assert grace_client.post(url, schema_post(cocaine, PURITY)).status_code == 403
    assert grace_client.get(reverse("admin:reference_commoditytype_add")).status_code == 403
    cocaine.refresh_from_db()
    assert cocaine.attributes_schema == before
    assert not AuditEvent.objects.filter(action="reference.attributes_schema_change").exists()
    with pytest.raises(PermissionDenied):
        commodity_type_save(commodity_type=cocaine, actor=grace)


def test_a_rilo_administrator_cannot_delete_even_an_unused_commodity_type(grace_client):
    cocaine = CommodityType.objects.get(code="COCAINE")
    spare = CommodityType.objects.create(code="SPARE", label="Spare type", category=cocaine.category)
    url = reverse("admin:reference_commoditytype_delete", args=[spare.pk])
    assert grace_client.post(url, {"post": "yes"}).status_code == 403
    assert CommodityType.objects.filter(pk=spare.pk).exists()


def test_the_services_keep_commodity_types_for_platform_administrators(grace, root_client):
    cocaine = CommodityType.objects.get(code="COCAINE")
    spare = CommodityType.objects.create(code="SPARE", label="Spare type", category=cocaine.category)
    with pytest.raises(PermissionDenied):
        term_set_active(terms=[cocaine], active=False, actor=grace)
    with pytest.raises(PermissionDenied):
        term_delete(terms=[spare], actor=grace)
    staff = User.objects.get(username="root")  # root_client's platform administrator
    assert term_set_active(terms=[cocaine], active=False, actor=staff) == [cocaine]
    assert term_delete(terms=[spare], actor=staff) == 1


def test_a_platform_administrator_changes_a_schema_and_the_change_is_audited(root_client):
    cocaine = CommodityType.objects.get(code="COCAINE")
    url = reverse("admin:reference_commoditytype_change", args=[cocaine.pk])
    response = root_client.post(url, schema_post(cocaine, PURITY))
    assert response.status_code == 302, response.content
    cocaine.refresh_from_db()
    assert cocaine.attributes_schema == PURITY
    [event] = AuditEvent.objects.filter(action="reference.attributes_schema_change")
    assert event.actor is not None
    assert (event.actor.username, event.object_type, event.object_id) == (
        "root",
        "reference.commoditytype",
        str(cocaine.pk),
    )
    assert event.detail == {"code": "COCAINE", "attributes": ["purity_percent"]}


def test_a_change_leaving_the_schema_as_it_was_writes_no_schema_event(root_client):
    cocaine = CommodityType.objects.get(code="COCAINE")
    url = reverse("admin:reference_commoditytype_change", args=[cocaine.pk])
    response = root_client.post(
        url, {**schema_post(cocaine, cocaine.attributes_schema), "label": "Cocaine (all forms)"}
    )
    assert response.status_code == 302, response.content
    assert CommodityType.objects.get(pk=cocaine.pk).label == "Cocaine (all forms)"
    assert not AuditEvent.objects.filter(action="reference.attributes_schema_change").exists()


def test_a_commodity_types_schema_must_stay_in_the_supported_subset(root_client):
    cocaine = CommodityType.objects.get(code="COCAINE")
    url = reverse("admin:reference_commoditytype_change", args=[cocaine.pk])
    schema = {
        "type": "object",
        "properties": {"purity_percent": {"type": "number", "multipleOf": 0.5}},
        "additionalProperties": False,
    }
    response = root_client.post(url, schema_post(cocaine, schema))
    assert response.status_code == 200
    assert "Attribute “purity_percent”: unsupported keyword “multipleOf”." in response.text
    cocaine.refresh_from_db()
    assert "multipleOf" not in json.dumps(cocaine.attributes_schema)


def test_other_models_stay_out_of_a_rilo_administrators_reach(grace, grace_client):
    grace.user_permissions.add(*Permission.objects.filter(codename__in=["view_group", "change_group"]))
    assert User.objects.get(pk=grace.pk).has_perm("auth.change_group")  # her permissions would allow it
    assert grace_client.get(reverse("admin:auth_group_changelist")).status_code == 403
    assert "Groups" not in grace_client.get(reverse("admin:index")).text


def test_staff_keep_the_whole_admin(signed_in):
    root = User.objects.create_superuser("root", "root@example.org", "correct-horse-battery-staple")
    client = signed_in(root)
    index = client.get(reverse("admin:index"))
    assert "Groups" in index.text and "Commodity categories" in index.text
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 200


def test_an_officer_cannot_reach_the_admin(alice, client):
    client.force_login(alice, backend="apps.accounts.backends.ModelBackend")
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    assert client.get(response.url).status_code == 403
    assert client.get(changelist("commoditycategory")).status_code == 302


def test_a_rilo_analyst_cannot_reach_the_admin_either(erin, signed_in):
    client = signed_in(erin)
    assert client.get(changelist("commoditycategory"), follow=True).status_code == 403


def test_anonymous_visitors_are_sent_to_the_sign_in_page(client):
    response = client.get(changelist("unit"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:login"))
    assert "next=/admin/reference/unit/" in response.redirect_chain[-1][0]
