"""Signed JSON POSTs for the HTTP channels (SMS gateway, outbound webhooks).

Every request carries:

- ``Idempotency-Key``: the message's key; a repeated key must not be acted on twice;
- ``X-Wanliu-Timestamp``: Unix seconds when the request was signed;
- ``X-Wanliu-Signature``: ``sha256=`` + hex HMAC-SHA256 over ``"<timestamp>." + body``
  with the shared secret. The receiver recomputes it and should reject old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

from wanliu.notify.channels.base import ChannelError, HandOver, Receipt

SIGNATURE_HEADER = "X-Wanliu-Signature"
TIMESTAMP_HEADER = "X-Wanliu-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"

# Answers after which the same request may succeed later.
_TRANSIENT_STATUS = frozenset({408, 409, 425, 429})


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` signed at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_valid(*, secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret=secret, timestamp=timestamp, body=body), signature)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer of its own (an error), never followed


_OPENER = urllib.request.build_opener(_NoRedirect)


def signed_post(
    *,
    url: str,
    secret: str,
    payload: dict[str, Any],
    idempotency_key: str,
    timeout: float,
    hand_over: HandOver,
    what: str,
) -> Receipt:
    """POST ``payload`` as signed JSON; raise :class:`ChannelError` unless a 2xx comes back."""
    if not url:
        raise ChannelError(f"{what}: no URL is configured")
    if not secret:
        raise ChannelError(f"{what}: no signing secret is configured")
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "wanliu-notify",
            IDEMPOTENCY_HEADER: idempotency_key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret=secret, timestamp=timestamp, body=body),
        },
    )
    hand_over()
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status = response.status
            text = response.read(512).decode(errors="replace")
    except urllib.error.HTTPError as error:
        status = error.code
        text = error.read(512).decode(errors="replace") if error.fp else ""
        answer = f"HTTP {status} {text}".strip()[:255]
        permanent = 400 <= status < 500 and status not in _TRANSIENT_STATUS
        raise ChannelError(f"{what}: {answer}", permanent=permanent, response=answer) from error
    except (urllib.error.URLError, OSError) as error:
        # Sent or not, the far side honours the idempotency key: a retry is safe.
        raise ChannelError(f"{what}: {error}", outcome_unknown=True) from error
    answer = f"HTTP {status} {text}".strip()[:255]
    if not 200 <= status < 300:
        raise ChannelError(f"{what}: {answer}", response=answer)
    return Receipt(response=answer)
