from wanliu.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "wanliu.analytics"]  # noqa: F405
