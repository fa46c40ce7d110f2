"""factory-boy factories for the tenancy and accounts models."""

from __future__ import annotations

from typing import Any

import factory

from apps.accounts.models import User
from apps.accounts.services import user_sync_role_group
from apps.tenancy.models import Administration, Region

PASSWORD = "correct-horse-battery-staple"


class RegionFactory(factory.django.DjangoModelFactory[Region]):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"rilo-{n}")
    name = factory.Sequence(lambda n: f"RILO {n}")


class AdministrationFactory(factory.django.DjangoModelFactory[Administration]):
    class Meta:
        model = Administration
        django_get_or_create = ("country",)

    region = factory.SubFactory(RegionFactory)
    country = "FR"
    name = factory.LazyAttribute(lambda o: f"Customs of {o.country}")
    code = factory.LazyAttribute(lambda o: f"{str(o.country).lower()}-customs")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    first_name = factory.LazyAttribute(lambda o: o.username.capitalize())
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role_group(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            user_sync_role_group(user=obj)
