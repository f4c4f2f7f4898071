from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "wanliu.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from wanliu.org.roles import roles_sync

        # After every app's migrate: permissions of later apps exist only then.
        post_migrate.connect(roles_sync, dispatch_uid="wanliu.org.roles_sync")
