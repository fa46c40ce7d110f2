"""The non-personal profile of a party: what may be known of it without access to personal data."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.reports.models import Party
from apps.reports.profiles import age_band, party_profile, profile_of_row

SEIZED = dt.date(2025, 6, 15)


@pytest.mark.parametrize(
    ("birth_date", "band"),
    [
        (dt.date(2007, 6, 16), "<18"),  # 17, one day before the birthday
        (dt.date(2007, 6, 15), "18-24"),  # 18 on the day
        (dt.date(2000, 6, 16), "18-24"),
        (dt.date(2000, 6, 15), "25-34"),
        (dt.date(1990, 6, 15), "35-44"),
        (dt.date(1980, 6, 15), "45-54"),
        (dt.date(1970, 6, 15), "55-64"),
        (dt.date(1960, 6, 15), "65+"),
        (dt.date(2025, 6, 16), None),  # born after the seizure: not believable, no band
        (None, None),
    ],
)
def test_the_age_band_is_the_age_at_the_seizure(birth_date, band):
    assert age_band(birth_date, on=SEIZED) == band


def test_a_person_shows_nationality_sex_age_band_and_role_and_a_company_only_its_role():
    person = Party(
        position=1, kind="person", role="courier", nationality="FR", sex="M", birth_date=dt.date(1980, 5, 17)
    )
    company = Party(position=2, kind="company", role="consignee", company_country="NL", nationality="", sex="")
    assert party_profile(person, on=SEIZED) == profile_of_row(
        {
            "position": 1,
            "kind": "person",
            "role": "courier",
            "nationality": "FR",
            "sex": "M",
            "birth_date": "1980-05-17",
        },
        on=SEIZED,
    )
    profile = party_profile(person, on=SEIZED)
    assert (profile.nationality, profile.sex, profile.age_band, profile.role) == ("FR", "M", "45-54", "courier")
    company_profile = party_profile(company, on=SEIZED)
    assert (company_profile.kind, company_profile.role) == ("company", "consignee")
    assert (company_profile.nationality, company_profile.sex, company_profile.age_band) == (None, None, None)
