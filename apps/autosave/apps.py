from django.apps import AppConfig


class AutosaveConfig(AppConfig):
    name = "apps.autosave"
    label = "autosave"
    verbose_name = "Form autosave"
