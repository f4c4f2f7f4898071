from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from tests.factories import PASSWORD
from tests.retention.world import World, world_create
from wanliu.retention import services as s
from wanliu.retention.models import CancellationRequest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Test logins need no slow key stretching (a world makes about ten of them)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english_messages() -> Any:
    """Service refusals are translated; the tests read them in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def world(db: None) -> World:
    return world_create()


@pytest.fixture
def client_as():
    """A Django test client logged in (session) as ``username``."""

    def make(username: str) -> Client:
        client = Client()
        assert client.login(username=username, password=PASSWORD)
        return client

    return make


def open_request(world: World, *, user: Any = None, kind: str = "cancel") -> CancellationRequest:
    return s.cancellation_request_open(
        actor=user or world.clerk.user,
        customer=world.customer,
        kind=kind,
        target="subscription",
        subscription=world.bundle,
    )


def through_step(
    world: World, upto: int, *, request: CancellationRequest | None = None, user: Any = None
) -> CancellationRequest:
    """A request of the worked example with steps 1..``upto`` (at most 4) recorded."""
    user = user or world.clerk.user
    request = request or open_request(world, user=user)
    if upto >= 1:
        s.step_calm_record(
            request=request, actor=user, stated_complaint="移动59元，我要拆机", mood="angry"
        )
    if upto >= 2:
        s.step_consumption_record(request=request, actor=user, reviewed_with_customer=True)
    if upto >= 3:
        s.step_reason_record(
            request=request,
            actor=user,
            reason="competitor_offer",
            competitor_operator="中国移动",
            competitor_promo_monthly=Decimal("59"),
            competitor_promo_months=12,
            competitor_regular_monthly=Decimal("118"),
            competitor_switchers_only=True,
        )
    if upto >= 4:
        s.step_compare_record(
            request=request, actor=user, words_used="118元才是真实价格", horizon_months=36
        )
    return CancellationRequest.objects.get(pk=request.pk)
