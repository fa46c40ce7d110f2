from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutosaveConfig(AppConfig):
    name = "apps.autosave"
    label = "autosave"
    verbose_name = _("Form autosave")
