"""Login, logout, language and the home page: thin views over core services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wanliu.core.middleware import LANGUAGE_SESSION_KEY
from wanliu.core.services import (
    client_address_of,
    login_failure_record,
    login_is_throttled,
    login_success_record,
    login_throttle_message,
)
from wanliu.org.services import staff_language_set


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    error = ""
    status = 200
    username = ""
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        password = request.POST.get("password", "")
        address = client_address_of(request)
        if login_is_throttled(username=username, client_address=address):
            error = login_throttle_message()
            status = 429
        else:
            user = authenticate(request, username=username, password=password)
            if user is None:
                login_failure_record(username=username, client_address=address)
                error = _("Wrong username or password.")
                status = 401
            else:
                login_success_record(username=username)
                login(request, user)
                return redirect(_safe_next(request, "/"))
    return render(
        request,
        "core/login.html",
        {"error": error, "username": username, "next": request.GET.get("next", "")},
        status=status,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in staff member keeps it in their profile."""
    language = request.POST.get("language", "")
    if language not in {"zh-hans", "en"}:
        messages.error(request, _("Unknown language."))
        return redirect(_safe_next(request, "/"))
    request.session[LANGUAGE_SESSION_KEY] = language
    staff = getattr(request.user, "staff", None) if request.user.is_authenticated else None
    if staff is not None and staff.language != language:
        staff_language_set(staff=staff, language=language)
    translation.activate(language)
    response = HttpResponseRedirect(_safe_next(request, "/"))
    response.set_cookie("django_language", language, samesite="Lax")
    return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")
