"""The acting user is typed: services, selectors and querysets take an ``Actor``, never ``Any``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.actor import Actor, signed_in
from apps.tenancy.models import Administration
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
ACTING_NAMES = frozenset({"actor", "user"})


def _untyped_acting_arguments(source: str) -> list[tuple[int, str, str]]:
    """(line, function, argument) of every ``actor``/``user`` argument annotated ``Any`` (or not at all)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        arguments = node.args
        for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            if argument.arg not in ACTING_NAMES:
                continue
            annotation = argument.annotation
            names = {n.id for n in ast.walk(annotation) if isinstance(n, ast.Name)} if annotation else set()
            names |= {n.attr for n in ast.walk(annotation) if isinstance(n, ast.Attribute)} if annotation else set()
            if annotation is None or "Any" in names:
                found.append((node.lineno, node.name, argument.arg))
    return found


def test_the_check_catches_an_actor_typed_any() -> None:
    source = "def report_go(*, report, actor: Any) -> None: ...\ndef user_list(user: Any | None = None): ...\n"
    assert _untyped_acting_arguments(source) == [(1, "report_go", "actor"), (2, "user_list", "user")]


def test_the_check_accepts_an_actor_typed_actor() -> None:
    source = "def report_go(*, report, actor: Actor) -> None: ...\ndef f(user: Actor | AnonymousUser | None): ...\n"
    assert _untyped_acting_arguments(source) == []


@pytest.mark.parametrize("package", ["apps", "demo", "bench"])
def test_no_function_takes_the_acting_user_as_any(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {function}({argument})"
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        for line, function, argument in _untyped_acting_arguments(path.read_text())
    ]
    assert offenders == []


def test_a_person_is_an_actor(alice: User) -> None:
    assert isinstance(alice, Actor)
    assert signed_in(alice)


def test_a_partner_systems_account_is_an_actor(ivan: User) -> None:
    assert ivan.role == Role.PARTNER_SYSTEM
    assert isinstance(ivan, Actor)
    assert signed_in(ivan)


def test_a_national_systems_account_is_an_actor(france: Administration) -> None:
    national = UserFactory.create(username="nsys", role=Role.PARTNER_SYSTEM, administration=france)
    assert isinstance(national, Actor)
    assert national.administration_id == france.pk


def test_an_anonymous_visitor_is_no_actor() -> None:
    assert not isinstance(AnonymousUser(), Actor)
    assert not signed_in(AnonymousUser())
    assert not signed_in(None)
