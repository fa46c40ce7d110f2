"""Coordinators manage their administration's users; RILO administrators their region's staff and members."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.emails import LinkBase
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import user_create, user_update
from apps.audit.models import AuditEvent
from apps.core.exceptions import PermissionDenied
from apps.mail.models import MailMessage
from apps.tenancy.models import Administration
from tests.factories import PASSWORD, UserFactory
from tests.helpers import deliver_mail, link_in_last_email, sign_in

USER_LIST = reverse("accounts:user_list")
USER_CREATE = reverse("accounts:user_create")


def edit_url(user: User) -> str:
    return reverse("accounts:user_edit", args=[user.pk])


def new_user(**overrides: Any) -> dict[str, Any]:
    data = {"username": "zoe", "first_name": "Zoé", "last_name": "Martin", "email": "zoe@example.org"}
    data.update(overrides)
    return data


# --- coordinator cora (France) -------------------------------------------------------------


def test_a_coordinator_lists_only_her_administrations_users(client: Client, cora: User, alice: User, bob: User) -> None:
    sign_in(client, cora)
    response = client.get(USER_LIST)
    assert response.status_code == 200
    usernames = {user.username for user in response.context["users"]}
    assert usernames == {"alice", "cora"}
    assert edit_url(alice) in response.content.decode()


def test_a_coordinator_edits_her_officer(client: Client, cora: User, alice: User) -> None:
    sign_in(client, cora)
    assert client.get(edit_url(alice)).status_code == 200
    response = client.post(
        edit_url(alice),
        {"first_name": "Alice", "last_name": "Durand", "email": "a.durand@example.org", "role": "officer"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.last_name, alice.email) == ("Durand", "a.durand@example.org")


def test_a_coordinator_gets_404_for_another_administrations_user(client: Client, cora: User, bob: User) -> None:
    sign_in(client, cora)
    assert client.get(edit_url(bob)).status_code == 404
    for action in ("accounts:user_deactivate", "accounts:user_reactivate", "accounts:user_password_reset"):
        assert client.post(reverse(action, args=[bob.pk])).status_code == 404
    bob.refresh_from_db()
    assert bob.is_active


def test_a_coordinator_creates_an_officer_in_her_administration_who_gets_a_set_password_email(
    client: Client, cora: User, france: Administration
) -> None:
    sign_in(client, cora)
    response = client.post(USER_CREATE, new_user(role="officer"))
    assert response.status_code == 302
    zoe = User.objects.get(username="zoe")
    assert (zoe.administration, zoe.region, zoe.role) == (france, None, Role.OFFICER)
    assert not zoe.has_usable_password()
    assert list(zoe.groups.values_list("name", flat=True)) == ["officer"]
    assert len(deliver_mail()) == 1
    assert deliver_mail()[0].to == ["zoe@example.org"]
    assert "set your password" in deliver_mail()[0].subject.lower()

    # The link lets Zoé choose a password and sign in.
    client.post(reverse("accounts:logout"))
    confirm = client.get(link_in_last_email(), follow=True)
    assert confirm.status_code == 200
    assert confirm.context["validlink"]
    new_password = "a-long-new-password-2024"
    done = client.post(confirm.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert done["Location"] == reverse("accounts:password_reset_complete")
    assert client.post(reverse("accounts:login"), {"username": "zoe", "password": new_password}).status_code == 302


def test_a_smuggled_administration_is_ignored_for_a_coordinator(
    client: Client, cora: User, france: Administration, germany: Administration
) -> None:
    sign_in(client, cora)
    client.post(USER_CREATE, new_user(role="officer", administration=germany.pk, region=germany.region_id))
    zoe = User.objects.get(username="zoe")
    assert zoe.administration == france
    assert zoe.region is None


def test_a_coordinator_cannot_grant_a_rilo_role(client: Client, cora: User, alice: User) -> None:
    sign_in(client, cora)
    response = client.post(USER_CREATE, new_user(role="rilo_analyst"))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not User.objects.filter(username="zoe").exists()

    response = client.post(
        edit_url(alice), {"first_name": "Alice", "last_name": "", "email": alice.email, "role": "rilo_administrator"}
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.role == Role.OFFICER


def test_the_service_refuses_a_role_the_actor_may_not_give(cora: User, alice: User) -> None:
    with pytest.raises(PermissionDenied):
        user_update(user=alice, actor=cora, role=Role.PARTNER_SYSTEM)
    alice.refresh_from_db()
    assert alice.role == Role.OFFICER


def test_a_coordinator_may_promote_an_officer_to_coordinator(client: Client, cora: User, alice: User) -> None:
    sign_in(client, cora)
    client.post(edit_url(alice), {"first_name": "Alice", "email": alice.email, "role": "national_coordinator"})
    alice.refresh_from_db()
    assert alice.role == Role.NATIONAL_COORDINATOR
    assert list(alice.groups.values_list("name", flat=True)) == ["national_coordinator"]


def test_nobody_changes_their_own_role(cora: User) -> None:
    with pytest.raises(PermissionDenied):
        user_update(user=cora, actor=cora, role=Role.OFFICER)


def test_a_form_error_keeps_what_was_typed(client: Client, cora: User) -> None:
    sign_in(client, cora)
    response = client.post(USER_CREATE, new_user(role="officer", email="not-an-address"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="zoe"' in page
    assert 'value="Martin"' in page
    assert 'value="not-an-address"' in page
    assert 'href="#id_email"' in page
    assert not User.objects.filter(username="zoe").exists()


def test_a_taken_username_is_reported_beside_the_field(client: Client, cora: User, alice: User) -> None:
    sign_in(client, cora)
    response = client.post(USER_CREATE, new_user(username="Alice", role="officer"))
    assert response.context["form"].errors["username"] == ["This username is taken."]
    assert len(deliver_mail()) == 0


def test_a_coordinator_deactivates_and_reactivates_an_officer(client: Client, cora: User, alice: User) -> None:
    sign_in(client, cora)
    client.post(reverse("accounts:user_deactivate", args=[alice.pk]))
    alice.refresh_from_db()
    assert not alice.is_active
    other = Client()
    assert other.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD}).status_code == 200
    client.post(reverse("accounts:user_reactivate", args=[alice.pk]))
    alice.refresh_from_db()
    assert alice.is_active
    assert other.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD}).status_code == 302


def test_a_deactivated_users_open_session_ends(client: Client, cora: User, alice: User) -> None:
    alice_client = Client()
    sign_in(alice_client, alice)
    sign_in(client, cora)
    client.post(reverse("accounts:user_deactivate", args=[alice.pk]))
    assert alice_client.get(reverse("core:home")).status_code == 302


def test_nobody_deactivates_themselves(client: Client, cora: User) -> None:
    sign_in(client, cora)
    response = client.post(reverse("accounts:user_deactivate", args=[cora.pk]), follow=True)
    assert "You cannot deactivate your own account." in response.content.decode()
    cora.refresh_from_db()
    assert cora.is_active


def test_a_coordinator_sends_a_password_reset_email(client: Client, cora: User, alice: User) -> None:
    sign_in(client, cora)
    client.post(reverse("accounts:user_password_reset", args=[alice.pk]))
    assert len(deliver_mail()) == 1
    assert deliver_mail()[0].to == [alice.email]
    assert "/accounts/password/reset/" in deliver_mail()[0].body


def test_the_user_list_is_searchable_and_paginated(client: Client, cora: User, france: Administration) -> None:
    for n in range(30):
        UserFactory.create(username=f"officer{n:02d}", role=Role.OFFICER, administration=france)
    sign_in(client, cora)
    first = client.get(USER_LIST)
    assert len(first.context["users"]) == 25
    assert first.context["page_obj"].paginator.count == 31
    second = client.get(USER_LIST, {"page": 2})
    assert len(second.context["users"]) == 6
    found = client.get(USER_LIST, {"q": "officer07"})
    assert [u.username for u in found.context["users"]] == ["officer07"]
    # Page links keep the search.
    searched = client.get(USER_LIST, {"q": "officer"})
    assert searched.context["page_obj"].paginator.count == 30
    assert "?q=officer&amp;page=2" in searched.content.decode()


def test_the_user_list_query_count_does_not_grow_with_rows(
    client: Client, cora: User, france: Administration, django_assert_max_num_queries
) -> None:
    for n in range(20):
        UserFactory.create(username=f"officer{n:02d}", role=Role.OFFICER, administration=france)
    sign_in(client, cora)
    with django_assert_max_num_queries(12):
        client.get(USER_LIST)


# --- RILO administrator grace (Western Europe) ---------------------------------------------


def test_grace_manages_region_staff_and_member_users(
    client: Client, grace: User, erin: User, cora: User, farid: User, dmitri: User
) -> None:
    sign_in(client, grace)
    assert client.get(edit_url(erin)).status_code == 200
    assert client.get(edit_url(cora)).status_code == 200
    assert client.get(edit_url(farid)).status_code == 404
    assert client.get(edit_url(dmitri)).status_code == 404
    usernames = {user.username for user in client.get(USER_LIST).context["users"]}
    assert {"erin", "cora", "grace"} <= usernames
    assert not {"farid", "dmitri"} & usernames


def test_grace_creates_a_coordinator_for_a_region_administration(
    client: Client, grace: User, germany: Administration
) -> None:
    sign_in(client, grace)
    response = client.post(USER_CREATE, new_user(role="national_coordinator", administration=germany.pk))
    assert response.status_code == 302
    zoe = User.objects.get(username="zoe")
    assert (zoe.administration, zoe.region) == (germany, None)
    assert len(deliver_mail()) == 1


def test_grace_cannot_smuggle_an_administration_of_another_region(
    client: Client, grace: User, kazakhstan: Administration
) -> None:
    sign_in(client, grace)
    response = client.post(USER_CREATE, new_user(role="officer", administration=kazakhstan.pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not User.objects.filter(username="zoe").exists()
    assert len(deliver_mail()) == 0


def test_grace_creates_rilo_staff_in_her_region(client: Client, grace: User, region_we, region_cis) -> None:
    sign_in(client, grace)
    response = client.post(USER_CREATE, new_user(role="rilo_analyst", region=region_cis.pk))
    assert response.status_code == 302
    zoe = User.objects.get(username="zoe")
    assert (zoe.region, zoe.administration) == (region_we, None)
    assert "two-factor" in deliver_mail()[0].body


def test_rilo_staff_get_no_administration(client: Client, grace: User, france: Administration) -> None:
    sign_in(client, grace)
    response = client.post(USER_CREATE, new_user(role="auditor", administration=france.pk))
    assert response.status_code == 200
    assert "leave this empty" in response.content.decode()
    response = client.post(USER_CREATE, new_user(role="officer"))
    assert "Choose the administration" in response.content.decode()
    assert not User.objects.filter(username="zoe").exists()


def test_no_new_accounts_in_an_inactive_administration(client: Client, grace: User, germany: Administration) -> None:
    germany.active = False
    germany.save()
    sign_in(client, grace)
    response = client.post(USER_CREATE, new_user(role="officer", administration=germany.pk))
    assert response.status_code == 200
    assert not User.objects.filter(username="zoe").exists()


def test_grace_changes_an_analyst_to_auditor_but_not_to_officer(client: Client, grace: User, erin: User) -> None:
    sign_in(client, grace)
    client.post(edit_url(erin), {"first_name": "Erin", "email": erin.email, "role": "officer"})
    erin.refresh_from_db()
    assert erin.role == Role.RILO_ANALYST
    client.post(edit_url(erin), {"first_name": "Erin", "email": erin.email, "role": "auditor"})
    erin.refresh_from_db()
    assert erin.role == Role.AUDITOR


# --- officer alice, auditor hugo, analyst erin ---------------------------------------------


def test_an_officer_may_not_use_user_management(client: Client, alice: User, cora: User) -> None:
    sign_in(client, alice)
    assert client.get(USER_LIST).status_code == 403
    assert client.get(USER_CREATE).status_code == 403
    assert client.get(edit_url(cora)).status_code == 404
    assert client.post(reverse("accounts:user_deactivate", args=[cora.pk])).status_code == 404


def test_an_auditor_sees_the_user_list_read_only(client: Client, hugo: User, alice: User) -> None:
    sign_in(client, hugo)
    response = client.get(USER_LIST)
    assert response.status_code == 200
    assert edit_url(alice) not in response.content.decode()
    assert client.get(USER_CREATE).status_code == 403
    assert client.get(edit_url(alice)).status_code == 404


def test_an_analyst_may_not_use_user_management(client: Client, erin: User, alice: User) -> None:
    sign_in(client, erin)
    assert client.get(USER_LIST).status_code == 403
    assert client.get(edit_url(alice)).status_code == 404


def test_the_users_menu_entry_appears_for_managers_only(client: Client, cora: User, alice: User) -> None:
    sign_in(client, cora)
    assert f'href="{USER_LIST}"' in client.get(reverse("core:home")).content.decode()
    sign_in(client, alice)
    assert f'href="{USER_LIST}"' not in client.get(reverse("core:home")).content.decode()


# --- one service creates every account ------------------------------------------------------------


def test_an_account_the_platform_makes_is_neither_mailed_nor_audited_and_has_no_usable_password(france) -> None:
    user = user_create(actor=None, username="seeded", role=Role.OFFICER, administration=france)
    assert (user.administration, user.has_usable_password()) == (france, False)
    assert list(user.groups.values_list("name", flat=True)) == [Role.OFFICER]
    assert not MailMessage.objects.exists()
    assert not AuditEvent.objects.filter(action="accounts.user_invite").exists()


def test_an_invited_account_is_placed_by_the_actor_mailed_and_audited(cora: User, france) -> None:
    user = user_create(
        actor=cora,
        username="newbie",
        role=Role.OFFICER,
        email="newbie@example.org",
        link_base=LinkBase(domain="rilo.example.org"),
    )
    assert user.administration == france and not user.has_usable_password()
    assert MailMessage.objects.filter(recipient="newbie@example.org").exists()
    assert AuditEvent.objects.filter(action="accounts.user_invite", object_id=str(user.pk)).exists()


def test_an_invitation_takes_no_region_nor_password_from_its_caller(grace: User) -> None:
    with pytest.raises(ValueError, match="gets its RILO from the actor"):
        user_create(
            actor=grace,
            username="sneaky",
            role=Role.RILO_ANALYST,
            email="sneaky@example.org",
            region=grace.region,
            link_base=LinkBase(domain="rilo.example.org"),
        )
    assert not User.objects.filter(username="sneaky").exists()
