"""The model backend reads a user's own and their groups' permissions in one query, with Django's answer."""

from __future__ import annotations

from django.contrib.auth import backends
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.backends import ModelBackend
from apps.accounts.models import User
from tests.helpers import bearer


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no permission kept from an earlier read


def test_a_users_permissions_are_djangos_own_and_groups_in_one_query(alice):
    alice.user_permissions.add(Permission.objects.get(codename="view_group"))
    user = _fresh(alice)
    with CaptureQueriesContext(connection) as captured:
        ours = ModelBackend().get_all_permissions(user)
        assert ours == ModelBackend().get_all_permissions(user)  # kept on the user object
    assert len(captured) == 1
    djangos = backends.ModelBackend().get_all_permissions(_fresh(alice))
    assert ours == djangos and "auth.view_group" in ours and "reports.view_report" in ours


def test_a_superuser_has_every_permission_and_an_inactive_user_none(alice):
    alice.is_superuser = True
    alice.save(update_fields=["is_superuser"])
    assert ModelBackend().get_all_permissions(_fresh(alice)) == backends.ModelBackend().get_all_permissions(
        _fresh(alice)
    )
    assert len(ModelBackend().get_all_permissions(_fresh(alice))) == Permission.objects.count()
    inactive = _fresh(alice)
    inactive.is_active = False
    assert ModelBackend().get_all_permissions(inactive) == set()


def test_a_permission_taken_from_a_group_counts_from_the_next_request(api, alice, issue_token):
    auth = bearer(issue_token(alice, "read"))
    assert api.get("/api/v1/reports/", **auth).status_code == 200
    view = Permission.objects.get(codename="view_report", content_type__app_label="reports")
    for group in Group.objects.filter(user=alice):
        group.permissions.remove(view)
    assert api.get("/api/v1/reports/", **auth).status_code == 403
