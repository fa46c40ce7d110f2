"""The non-personal profile of a party: what may be known of it without access to personal data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import DateField, Value

from apps.reports.models import Party
from apps.reports.profiles import age_band, age_band_sql, party_profile, profile_of_row

SEIZED = dt.date(2025, 6, 15)

AGES = pytest.mark.parametrize(
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


@AGES
def test_the_age_band_is_the_age_at_the_seizure(birth_date, band):
    assert age_band(birth_date, on=SEIZED) == band


def _band_in_database(birth_date: dt.date | None, *, on: dt.date) -> str | None:
    """What PostgreSQL makes of :func:`age_band_sql` (the list of reports has it derive the bands)."""
    expression = age_band_sql(Value(birth_date, output_field=DateField()), on=Value(on, output_field=DateField()))
    query = Party.objects.all().query
    sql, params = expression.resolve_expression(query).as_sql(query.get_compiler(connection=connection), connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        return cursor.fetchone()[0]  # type: ignore[no-any-return]


@AGES
@pytest.mark.django_db
def test_the_database_gives_the_same_age_band(birth_date, band):
    assert _band_in_database(birth_date, on=SEIZED) == band


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("birth_date", "on"),
    [
        (dt.date(2000, 2, 29), dt.date(2018, 2, 28)),  # a leap-day birthday in a common year: not yet 18
        (dt.date(2000, 2, 29), dt.date(2018, 3, 1)),
        (dt.date(2000, 2, 29), dt.date(2020, 2, 29)),
        (dt.date(2007, 12, 31), dt.date(2025, 12, 31)),
        (dt.date(2008, 1, 1), dt.date(2025, 12, 31)),
    ],
)
def test_the_database_counts_birthdays_as_python_does(birth_date, on):
    assert _band_in_database(birth_date, on=on) == age_band(birth_date, on=on)


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
