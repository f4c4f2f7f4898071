"""The one JSON API of Wanliu (django-ninja), mounted at /api/v1/."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.security import APIKeyCookie, HttpBearer

from wanliu.core.services import api_token_user


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>`` from ``POST /api/v1/auth/token``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_user(raw_token=token)
        if user is None:
            return None
        request.user = user  # type: ignore[assignment]
        return user


class SessionCookie(APIKeyCookie):
    """The browser's session (CSRF checked on unsafe methods)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


api = NinjaAPI(
    title="Wanliu API",
    version="1",
    description=(
        "Wanliu (挽留) retention and customer-service API. Authenticate with a bearer token "
        "from `POST /api/v1/auth/token`, or with the browser session. Every list and detail "
        "is scoped to what the caller's organisation unit may see: objects outside it answer 404."
    ),
    auth=[BearerToken(), SessionCookie(csrf=True)],
    urls_namespace="api",
)


def _register_routers() -> None:
    """Mount each Wanliu app's ``api.router`` at ``/api/v1/<app label>/`` (core's at /auth)."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("wanliu.") or find_spec(f"{config.name}.api") is None:
            continue
        module = import_module(f"{config.name}.api")
        prefix = "/auth" if config.label == "core" else f"/{config.label}"
        api.add_router(prefix, module.router)


_register_routers()
