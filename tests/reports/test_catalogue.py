"""The personal-data catalogue: every field of every report and audit model is tagged one way or the other."""

from __future__ import annotations

import pytest
from django.apps import apps

from apps.core.personal import field_names, is_personal, non_personal_fields, personal_fields
from apps.reports.models import Conveyance, Party, Report, ReportItem


@pytest.mark.parametrize("app_label", ["reports", "audit"])
def test_every_field_of_every_model_is_tagged_personal_or_not(app_label):
    for model in apps.get_app_config(app_label).get_models():
        names = field_names(model)
        personal, non_personal = personal_fields(model), non_personal_fields(model)
        assert not personal & non_personal, f"{model.__name__}: tagged both ways: {personal & non_personal}"
        assert names - personal - non_personal == set(), f"{model.__name__}: untagged fields"
        assert (personal | non_personal) - names == set(), f"{model.__name__}: tags name no field"


def test_it_tags_parties_free_text_and_identifiers_as_personal():
    assert is_personal(Party, "family_name")
    assert is_personal(Party, "id_document_number")
    assert is_personal(Report, "modus_operandi")
    assert is_personal(ReportItem, "concealment_detail")
    assert is_personal(Conveyance, "identifier")
    assert not is_personal(Report, "national_reference")
    assert not is_personal(ReportItem, "quantity")


def test_history_models_inherit_the_tags_of_the_model_they_record():
    history = Report.history.model
    assert is_personal(history, "modus_operandi")
    assert is_personal(history, "history_user")
    assert not is_personal(history, "seizure_date")


def test_a_model_left_out_of_a_non_empty_catalogue_counts_as_entirely_personal(monkeypatch):
    from apps.reports import models as report_models

    monkeypatch.setitem(report_models.PERSONAL_FIELDS, "ReportItem", frozenset())
    monkeypatch.delitem(report_models.PERSONAL_FIELDS, "ReportItem")
    assert personal_fields(ReportItem) == field_names(ReportItem)
