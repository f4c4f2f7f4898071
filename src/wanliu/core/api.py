"""Authentication endpoints of the API."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError

from wanliu.core.services import (
    api_token_issue,
    client_address_of,
    login_failure_record,
    login_is_throttled,
    login_success_record,
    login_throttle_message,
)

router = Router(tags=["auth"])


class TokenRequest(Schema):
    username: str
    password: str


class TokenResponse(Schema):
    token: str


class ErrorResponse(Schema):
    detail: str


@router.post(
    "/token",
    auth=None,
    response={200: TokenResponse, 401: ErrorResponse, 429: ErrorResponse},
    summary="Issue an API token",
)
def token_create(request: HttpRequest, payload: TokenRequest) -> TokenResponse:
    """Exchange a username and password for a bearer token (valid for 30 days by default).

    Repeated failures for one username are throttled (429) for the configured window.
    """
    address = client_address_of(request)
    if login_is_throttled(username=payload.username, client_address=address):
        raise HttpError(429, login_throttle_message())
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        login_failure_record(username=payload.username, client_address=address)
        raise HttpError(401, _("Wrong username or password."))
    login_success_record(username=payload.username)
    return TokenResponse(token=api_token_issue(user=user))
