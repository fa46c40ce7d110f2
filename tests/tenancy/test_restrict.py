"""restrict(): capability x scope x guardian exceptions, per role."""

from __future__ import annotations

import pytest
from guardian.shortcuts import assign_perm

from apps.accounts.models import User
from apps.tenancy.models import Administration, AdministrationUserObjectPermission


@pytest.fixture
def everyone(alice, bob, cora, dmitri, erin, farid, grace, hugo, ivan, france, germany, kazakhstan):
    return locals()


def names(qs) -> set[str]:
    return {str(obj.code if isinstance(obj, Administration) else obj.username) for obj in qs}


def test_officers_see_only_their_own_administration(everyone):
    assert names(Administration.objects.restrict(everyone["alice"], "view")) == {"fr"}
    assert names(Administration.objects.restrict(everyone["dmitri"], "view")) == {"kz"}


def test_rilo_staff_see_their_regions_administrations(everyone):
    assert names(Administration.objects.restrict(everyone["erin"], "view")) == {"fr", "de"}
    assert names(Administration.objects.restrict(everyone["farid"], "view")) == {"kz"}


def test_a_partner_system_sees_no_administration(everyone):
    assert not Administration.objects.restrict(everyone["ivan"], "view").exists()


def test_anonymous_and_inactive_users_see_nothing(everyone):
    from django.contrib.auth.models import AnonymousUser

    alice = everyone["alice"]
    assert not Administration.objects.restrict(AnonymousUser(), "view").exists()
    alice.is_active = False
    assert not Administration.objects.restrict(alice, "view").exists()


def test_capability_is_needed_as_well_as_scope(everyone):
    # Officers may view their administration but not change it.
    assert not Administration.objects.restrict(everyone["alice"], "change").exists()
    assert names(Administration.objects.restrict(everyone["grace"], "change")) == {"fr", "de"}


def test_coordinators_manage_only_their_administrations_users(everyone):
    cora = everyone["cora"]
    assert names(User.objects.restrict(cora, "change")) == {"alice", "cora"}
    assert not User.objects.restrict(everyone["alice"], "change").exists()


def test_rilo_administrator_manages_region_staff_and_member_users(everyone):
    assert names(User.objects.restrict(everyone["grace"], "change")) == {
        "alice",
        "bob",
        "cora",
        "erin",
        "grace",
        "hugo",
    }


def test_guardian_exception_adds_one_object_through_direct_fk_table(everyone):
    bob, france = everyone["bob"], everyone["france"]
    assert not Administration.objects.restrict(bob, "manage_users").exists()
    assign_perm("tenancy.manage_users_administration", bob, france)
    assert AdministrationUserObjectPermission.objects.filter(user=bob, content_object=france).exists()
    assert names(Administration.objects.restrict(bob, "manage_users")) == {"fr"}
    # and only that object, only for that action
    assert names(Administration.objects.restrict(bob, "view")) == {"de"}
