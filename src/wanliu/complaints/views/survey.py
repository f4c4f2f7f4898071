"""The public satisfaction survey page: no login, a signed single-use link, mobile first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wanliu.complaints.services.errors import ComplaintError
from wanliu.complaints.services.followup import (
    SurveyAlreadyAnswered,
    SurveyTokenInvalid,
    survey_answer,
    survey_for_token,
)


@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        survey = survey_for_token(token=token)
    except SurveyTokenInvalid:
        return render(request, "complaints/survey_done.html", {"invalid": True}, status=404)
    if "django_language" not in request.COOKIES:
        # The customer sees the survey in the language of their notices, unless they chose.
        translation.activate(survey.order.notice_language)
    if survey.responded_at is not None:
        return render(request, "complaints/survey_done.html", {"already": True}, status=409)
    error = ""
    if request.method == "POST":
        csat = request.POST.get("csat", "")
        solved = request.POST.get("solved", "")
        if csat not in {"1", "2", "3", "4", "5"} or solved not in {"yes", "no"}:
            error = _("Please choose a score and say whether it was solved.")
        else:
            try:
                survey_answer(
                    token=token,
                    csat=int(csat),
                    solved=solved == "yes",
                    comment=request.POST.get("comment", ""),
                )
            except SurveyAlreadyAnswered:
                return render(request, "complaints/survey_done.html", {"already": True}, status=409)
            except ComplaintError as exc:
                error = str(exc)
            else:
                return render(request, "complaints/survey_done.html", {"thanks": True})
    return render(
        request,
        "complaints/survey.html",
        {"survey": survey, "order": survey.order, "error": error, "scores": range(1, 6)},
        status=400 if error else 200,
    )
