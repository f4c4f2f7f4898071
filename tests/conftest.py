from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import PASSWORD, make_staff


@pytest.fixture(autouse=True)
def isolated_var_dir(tmp_path_factory, settings, monkeypatch):
    """Runtime files (models, kept feature tables) go to a fresh folder per test, never to
    the checkout's ``var/``; tests that need a models root set WANLIU_MODEL_ROOTS."""
    settings.VAR_DIR = tmp_path_factory.mktemp("var")
    monkeypatch.delenv("WANLIU_MODEL_ROOTS", raising=False)


@pytest.fixture
def api_client():
    """An HTTP client speaking to the API; ``login(user)`` gets a bearer token."""

    class ApiClient(Client):
        token: str | None = None

        def login_token(self, username: str, password: str = PASSWORD) -> str:
            response = self.post(
                "/api/v1/auth/token",
                {"username": username, "password": password},
                content_type="application/json",
            )
            assert response.status_code == 200, response.content
            self.token = response.json()["token"]
            return self.token

        def generic(self, method, path, *args, **kwargs):  # type: ignore[override]
            if self.token:
                kwargs.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
            return super().generic(method, path, *args, **kwargs)

    return ApiClient()


@pytest.fixture
def staff_of():
    """Make a staff member of a role: ``staff_of("clerk", store=...)``."""
    return make_staff
