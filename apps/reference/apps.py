from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferenceConfig(AppConfig):
    name = "apps.reference"
    label = "reference"
    verbose_name = _("Reference vocabularies")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system check)
