"""French, Spanish and Russian names of the built-in currencies.

The names are committed data (``currency_labels_fr_es_ru.json`` beside this file): the Unicode CLDR names,
capitalised as every term label is, with the few CLDR lacks or gets wrong written by hand. The migration
reads the file, never a library, so it gives the same labels on every machine. As in 0007, only languages
a currency has no label in yet are filled.
"""

import json
from pathlib import Path

from django.db import migrations

NAMES_FILE = Path(__file__).with_name("currency_labels_fr_es_ru.json")


def load(apps, schema_editor):
    names = json.loads(NAMES_FILE.read_text(encoding="utf-8"))
    currency_model = apps.get_model("reference", "Currency")
    for currency in currency_model._default_manager.all():
        translations = dict(currency.translations or {})
        for language, name in names.get(currency.code, {}).items():
            translations.setdefault(language, name)
        if translations != currency.translations:
            currency.translations = translations
            currency.save(update_fields=["translations"])


class Migration(migrations.Migration):
    dependencies = [("reference", "0007_term_labels_fr_es_ru")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
