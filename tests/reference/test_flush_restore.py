"""Transactional tests flush every table; the shipped vocabularies are back for the tests after them."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.reference.models import CommodityCategory, TransportMode


@pytest.mark.django_db(transaction=True)
def test_a_flush_is_followed_by_the_shipped_vocabularies_again():
    call_command("flush", "--no-input", verbosity=0)
    assert CommodityCategory.objects.count() == 13
    assert TransportMode.objects.filter(code="3").exists()
