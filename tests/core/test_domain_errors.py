"""The domain's refusals raised in a page's view become pages: 404, 403 with its reason, 409 with its reason."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from apps.core.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied
from apps.core.middleware import DomainErrorMiddleware

pytestmark = pytest.mark.django_db


def refused(path: str, error: Exception) -> HttpResponse | None:
    request = RequestFactory().post(path)
    request.user = AnonymousUser()
    middleware = DomainErrorMiddleware(lambda request: HttpResponse())
    return middleware.process_exception(request, error)


def test_an_unknown_object_is_the_not_found_page_which_tells_nothing_more():
    response = refused("/reports/x/approve/", NotFound("Report 1234 of Germany"))
    assert response is not None and response.status_code == 404
    assert "Not found" in response.content.decode()
    assert "Germany" not in response.content.decode()


def test_a_refused_action_is_the_forbidden_page_with_its_reason():
    response = refused("/reports/x/approve/", PermissionDenied("You may not approve your own report."))
    assert response is not None and response.status_code == 403
    assert "You may not approve your own report." in response.content.decode()


def test_a_conflict_is_a_409_page_with_its_reason_as_text_not_markup():
    response = refused("/reports/x/approve/", Conflict("Already <b>approved</b> by erin."))
    assert response is not None and response.status_code == 409
    body = response.content.decode()
    assert "Already &lt;b&gt;approved&lt;/b&gt; by erin." in body
    assert "<b>approved" not in body


def test_under_the_api_an_unknown_object_is_answered_in_json():
    response = refused("/api/v1/reports/x/", NotFound("No such report."))
    assert response is not None and response.status_code == 404
    assert json.loads(response.content)["type"] == "not_found"


def test_other_errors_are_left_to_the_view_or_to_django():
    assert refused("/reports/", ApplicationError("Invalid.")) is None
    assert refused("/reports/", ValueError("a bug")) is None
