from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "apps.dashboards"
    label = "dashboards"
    verbose_name = "Dashboards"

    def ready(self) -> None:
        # The panels register themselves in the registry (apps.dashboards.panels) when their module loads.
        from . import panel_activity, panel_commodities, panel_defs, panel_persons, panel_quality  # noqa: F401
