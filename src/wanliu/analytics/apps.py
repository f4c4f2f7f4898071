from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "wanliu.analytics"
    label = "analytics"
    verbose_name = _("Supervision analytics")

    def ready(self) -> None:
        from wanliu.analytics.receivers import connect

        connect()
