"""French, Spanish and Russian names of the built-in currencies, from the Unicode CLDR names Babel ships.

CLDR has no name in some languages for a few funds and units of account; those are written here. As in
0007, only languages a currency has no label in yet are filled.
"""

from babel.numbers import get_currency_name
from django.db import migrations

LANGUAGES = ("fr", "es", "ru")

# Where CLDR gives no name (it answers with the code itself).
MISSING_IN_CLDR = {
    "UYW": {"ru": "Номинальная единица заработной платы Уругвая"},
    "VED": {
        "fr": "bolivar souverain (numérique)",
        "es": "bolívar soberano (digital)",
        "ru": "Суверенный боливар (цифровой)",
    },
    "XSU": {"es": "sucre", "ru": "Сукре"},
    "XUA": {"es": "unidad de cuenta del BAfD", "ru": "Расчётная единица АфБР"},
}


def currency_name(code, language):
    written = MISSING_IN_CLDR.get(code, {}).get(language)
    if written:
        return written
    name = get_currency_name(code, locale=language)
    return name if name != code else ""


def load(apps, schema_editor):
    currency_model = apps.get_model("reference", "Currency")
    for currency in currency_model._default_manager.all():
        translations = dict(currency.translations or {})
        for language in LANGUAGES:
            name = currency_name(currency.code, language)
            if name:
                translations.setdefault(language, name[:1].upper() + name[1:])
        if translations != currency.translations:
            currency.translations = translations
            currency.save(update_fields=["translations"])


class Migration(migrations.Migration):
    dependencies = [("reference", "0007_term_labels_fr_es_ru")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
