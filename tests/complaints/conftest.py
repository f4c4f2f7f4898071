"""Fixtures of the complaint tests (the world itself is built in ``world.py``)."""

from __future__ import annotations

import pytest

from tests.complaints.world import World, build_world


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Staff logins are made in every test here: hash their passwords cheaply."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_client(api_client):
    """The project's API client, asking for English answers (error texts are translated)."""
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return api_client


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
