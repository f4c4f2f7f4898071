"""Activate the language a signed-in user chose in their profile."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

LANGUAGE_SESSION_KEY = "wanliu_language"


class UserLanguageMiddleware:
    """After authentication: the session's or the staff profile's language wins."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.known = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = None
        if hasattr(request, "session"):
            language = request.session.get(LANGUAGE_SESSION_KEY)
        user = getattr(request, "user", None)
        if not language and user is not None and user.is_authenticated:
            staff = getattr(user, "staff", None)
            language = getattr(staff, "language", None)
        if language in self.known:
            translation.activate(language)
            request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        return response
