"""Services shared by every app: the audit trail, tokens and login throttling."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from wanliu.core.models import ApiToken, AuditEvent, LoginAttempt


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    obj: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    """Append one audit row. Call it inside the transaction of the change it records."""
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    return AuditEvent.objects.create(
        actor_id=actor_id,
        action=action,
        object_type=obj._meta.label_lower if hasattr(obj, "_meta") else type(obj).__name__,
        object_id=str(getattr(obj, "pk", obj)),
        before=before,
        after=after,
        note=note[:255],
    )


def _digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, user: Any) -> str:
    """Create a token for ``user`` and return the raw value (shown once, stored hashed)."""
    raw = "wl_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        digest=_digest(raw),
        expires_at=timezone.now() + timedelta(days=settings.WANLIU_API_TOKEN_DAYS),
    )
    audit_record(actor=user, action="api_token.issue", obj=token)
    return raw


def api_token_user(*, raw_token: str) -> AbstractBaseUser | None:
    """The active user a raw token belongs to, or None when unknown or expired."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(raw_token), expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def login_is_throttled(*, username: str, client_address: str) -> bool:
    """True when the username or the address has too many recent failures."""
    since = timezone.now() - timedelta(seconds=settings.WANLIU_LOGIN_WINDOW_SECONDS)
    recent = LoginAttempt.objects.filter(at__gte=since)
    limit = settings.WANLIU_LOGIN_MAX_FAILURES
    return (
        recent.filter(username=username.lower()).count() >= limit
        or recent.filter(client_address=client_address).count() >= limit * 4
    )


def login_throttle_message() -> str:
    """What a throttled login is told, in the request's language, with the real window
    (``WANLIU_LOGIN_WINDOW_SECONDS``, in whole minutes rounded up)."""
    minutes = max(1, math.ceil(settings.WANLIU_LOGIN_WINDOW_SECONDS / 60))
    return ngettext(
        "Too many failed logins. Wait %(minutes)d minute and try again.",
        "Too many failed logins. Wait %(minutes)d minutes and try again.",
        minutes,
    ) % {"minutes": minutes}


def login_failure_record(*, username: str, client_address: str) -> None:
    LoginAttempt.objects.create(username=username.lower()[:150], client_address=client_address)


def login_success_record(*, username: str) -> None:
    LoginAttempt.objects.filter(username=username.lower()).delete()


def client_address_of(request: Any) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")[:64]
