"""Non-personal attributes derived from a report's parties (DESIGN.md 4.1).

Partners that receive only non-personal data get at most these for each party: kind, role,
nationality, sex and age band (the age at the seizure, never the birth date). Companies have no
nationality, sex or age. A user who may see a report but not its personal data gets kind and role
only (:func:`without_person_attributes`), as its web page shows such a user no party at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Case, CharField, FloatField, Func, Value, When
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from .choices import AgeBand, PartyKind

# (lowest age in the band, band), highest first.
_BANDS: tuple[tuple[int, AgeBand], ...] = (
    (65, AgeBand.FROM_65),
    (55, AgeBand.FROM_55),
    (45, AgeBand.FROM_45),
    (35, AgeBand.FROM_35),
    (25, AgeBand.FROM_25),
    (18, AgeBand.FROM_18),
    (0, AgeBand.UNDER_18),
)

# The Party columns a profile is derived from: the only ones loaded to build profiles.
PROFILE_COLUMNS = ("id", "report_id", "position", "kind", "role", "nationality", "sex", "birth_date")


def age_band_sql(birth_date: Any, *, on: Any) -> Case:
    """:func:`age_band` as a database expression over the expressions ``birth_date`` and ``on`` (dates): the same
    bands, the age taken as PostgreSQL's ``age()`` counts whole years (as :func:`age_band` does)."""
    age = Func(Value("year"), Func(on, birth_date, function="AGE"), function="DATE_PART", output_field=FloatField())
    bands = Case(
        *(When(GreaterThanOrEqual(age, lowest), then=Value(str(band))) for lowest, band in _BANDS),
        output_field=CharField(),
    )
    return Case(When(LessThanOrEqual(birth_date, on), then=bands), output_field=CharField())  # none if born later


def age_band(birth_date: dt.date | None, *, on: dt.date) -> str | None:
    """The band of the age a person born on ``birth_date`` had ``on`` that day; None when unknown."""
    if birth_date is None or birth_date > on:
        return None
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    return next(str(band) for lowest, band in _BANDS if age >= lowest)


@dataclass(frozen=True)
class PartyProfile:
    """What may be known of a party without access to personal data."""

    position: int
    kind: str
    role: str
    nationality: str | None
    sex: str | None
    age_band: str | None


def _profile(
    position: int, kind: str, role: str, nationality: str, sex: str, birth_date: dt.date | None, on: dt.date
) -> PartyProfile:
    if kind != PartyKind.PERSON:
        return PartyProfile(position, kind, role, None, None, None)
    return PartyProfile(position, kind, role, nationality or None, sex or None, age_band(birth_date, on=on))


def party_profile(party: Any, *, on: dt.date) -> PartyProfile:
    """The profile of one party (a :class:`~apps.reports.models.Party` loaded with at least PROFILE_COLUMNS)."""
    nationality = str(getattr(party.nationality, "code", party.nationality) or "")
    return _profile(party.position, party.kind, party.role, nationality, party.sex, party.birth_date, on)


def without_person_attributes(profile: PartyProfile) -> PartyProfile:
    """The profile without what is derived from a person's data (nationality, sex, age band): what a reader who
    may not see the report's personal data gets (the web page shows such a reader no party at all)."""
    return replace(profile, nationality=None, sex=None, age_band=None)


def profile_of_row(row: Mapping[str, Any], *, on: dt.date) -> PartyProfile:
    """The profile from a row of PROFILE_COLUMNS as JSON gives it (the birth date an ISO string)."""
    birth_date = dt.date.fromisoformat(row["birth_date"]) if row["birth_date"] else None
    return _profile(row["position"], row["kind"], row["role"], row["nationality"], row["sex"], birth_date, on)
