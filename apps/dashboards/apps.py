from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "apps.dashboards"
    label = "dashboards"
    verbose_name = "Dashboards"

    def ready(self) -> None:
        # The panels register themselves in the registry (apps.dashboards.panels) when their module loads.
        from . import panel_defs  # noqa: F401
