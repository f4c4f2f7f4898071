from importlib.util import find_spec

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from wanliu.api import api
from wanliu.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("login/", core_views.login_view, name="login"),
    path("logout/", core_views.logout_view, name="logout"),
    path("language/", core_views.language_set, name="language_set"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

# Each Wanliu app with a ``urls`` module is mounted at /<app label>/.
urlpatterns += [
    path(f"{config.label}/", include(f"{config.name}.urls"))
    for config in apps.get_app_configs()
    if config.name.startswith("wanliu.") and find_spec(f"{config.name}.urls") is not None
]
