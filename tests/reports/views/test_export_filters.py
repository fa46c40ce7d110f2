"""Invalid input never comes back as markup: an export re-renders the list page with the value escaped,
and the entry form's htmx requests are refused in plain text."""

from __future__ import annotations

import pytest

from .conftest import sign_in

PAYLOAD = "<img src=x onerror=alert(document.cookie)>"


def _assert_not_reflected(response) -> None:
    content_type = response["Content-Type"]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert PAYLOAD.encode() not in body
    if content_type.startswith("text/html"):
        assert b"&lt;img src=x onerror=alert(document.cookie)&gt;" in body
    else:
        assert content_type.startswith("text/plain")


@pytest.mark.parametrize(
    ("path", "filter_name"),
    [("/reports/export.csv", "status"), ("/reports/review/export.csv", "country_of_seizure")],
)
def test_an_export_with_a_markup_filter_answers_the_list_page_with_the_value_escaped(client, erin, path, filter_name):
    sign_in(client, erin)
    response = client.get(path, {filter_name: PAYLOAD})
    assert response.status_code == 400
    _assert_not_reflected(response)
    assert "The CSV file was not made" in response.content.decode()
    assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_the_review_queue_export_refuses_a_markup_filter_the_queue_itself_refuses(client, erin):
    sign_in(client, erin)
    page = client.get("/reports/review/", {"country_of_seizure": PAYLOAD})
    _assert_not_reflected(page)
    export = client.get("/reports/review/export.csv", {"country_of_seizure": PAYLOAD})
    assert export.status_code == 400
    _assert_not_reflected(export)


def test_refusals_of_the_forms_htmx_requests_are_plain_text_never_markup(client, alice):
    sign_in(client, alice)
    refusals = [
        client.get("/reports/normalised-quantity/", {"prefix": PAYLOAD}),
        client.post("/reports/form-row/items/", {"index": PAYLOAD}),
        client.post("/reports/autosave/", {"draft_token": PAYLOAD}),
    ]
    for response in refusals:
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/plain")
        assert PAYLOAD.encode() not in response.content
