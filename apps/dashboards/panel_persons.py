"""Person-derived panels (offenders' nationality, sex and age band): only for holders of the personal-data
capability for the region, and any count below 3 shown as "< 3"."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.reports.choices import AgeBand, Sex

from .panel_defs import country_name
from .panels import PanelContext, PanelResult, col, panel, suppress_small
from .summaries import PERSONS


def _persons(ctx: PanelContext, dimension: str, names: dict[str, str]) -> PanelResult:
    rows = sorted(ctx.source.rows(PERSONS, dimension, ["value"]), key=lambda r: (-r["persons"], r["value"]))
    out = [
        {"value": r["value"], "label": names.get(r["value"], r["value"]) or _("Unknown"), "persons": r["persons"]}
        for r in rows
    ]
    ctx.notes.append(_("Counts below 3 are shown as “< 3”."))
    return PanelResult(
        [col("label", _("Value")), col("persons", _("Persons"), "persons")], suppress_small(out, "persons")
    )


@panel(
    "offender_nationality",
    gettext_lazy("Nationality of persons involved"),
    gettext_lazy("Persons named in the reports per nationality."),
    "bar",
    personal=True,
)
def offender_nationality(ctx: PanelContext) -> PanelResult:
    rows = ctx.source.rows(PERSONS, "nationality", ["value"])
    return _persons(ctx, "nationality", {r["value"]: country_name(r["value"]) for r in rows})


@panel(
    "offender_sex",
    gettext_lazy("Sex of persons involved"),
    gettext_lazy("Persons named in the reports per sex."),
    "pie",
    personal=True,
)
def offender_sex(ctx: PanelContext) -> PanelResult:
    return _persons(ctx, "sex", {value: str(label) for value, label in Sex.choices})


@panel(
    "offender_age_band",
    gettext_lazy("Age band of persons involved"),
    gettext_lazy("Persons named in the reports per age band at the seizure."),
    "bar",
    personal=True,
)
def offender_age_band(ctx: PanelContext) -> PanelResult:
    return _persons(ctx, "age_band", {value: str(label) for value, label in AgeBand.choices})
