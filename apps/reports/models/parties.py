"""Persons and companies involved in a case: personal data, in its own table behind its own permission."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from apps.core.history import History

from ..choices import IdDocumentType, PartyKind, PartyRole, Sex
from .report import Report


class Party(models.Model):
    """A person or a company involved in a case. Every value here is personal data.

    Read only through ``apps.reports.selectors.parties_for`` (permission-gated, audited).
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="parties")
    position = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(max_length=8, choices=PartyKind.choices, default=PartyKind.PERSON)
    role = models.CharField(max_length=16, choices=PartyRole.choices, default=PartyRole.OFFENDER)
    # person
    family_name = models.CharField(max_length=120, blank=True)
    given_names = models.CharField(max_length=120, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    nationality = CountryField(blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    id_document_type = models.CharField(max_length=20, choices=IdDocumentType.choices, blank=True)
    id_document_number = models.CharField(max_length=64, blank=True)
    id_document_country = CountryField(blank=True)
    # company
    company_name = models.CharField(max_length=200, blank=True)
    registration_number = models.CharField(max_length=64, blank=True)
    eori = models.CharField(_("EORI"), max_length=17, blank=True)
    company_country = CountryField(blank=True)

    history = History(indexed=("report",))

    class Meta:
        ordering = ["report", "position", "pk"]
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        if self.kind == PartyKind.COMPANY:
            return self.company_name
        return f"{self.family_name}, {self.given_names}".strip(", ")
