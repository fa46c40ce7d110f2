from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "apps.reference"
    label = "reference"
    verbose_name = "Reference vocabularies"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system check)
