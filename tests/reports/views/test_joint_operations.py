"""The entry form offers only the joint operations the user may attach a report to."""

from __future__ import annotations

from apps.reports.models import Operation

from .conftest import must_search


def test_the_form_offers_the_operations_of_every_region_and_of_the_officers_region(
    signed_in, alice, vocab, region_we, region_cis
):
    Operation.objects.create(code="global-week", name="Global week")
    Operation.objects.create(code="ocean", name="Operation Ocean", region=region_we)
    Operation.objects.create(code="steppe", name="Operation Steppe", region=region_cis)
    page = signed_in(alice).get("/reports/new/").content.decode()
    must_search(r'<option value="ocean"', page)
    must_search(r'<option value="global-week"', page)
    assert 'value="steppe"' not in page
