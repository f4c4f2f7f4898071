"""The case library (anonymised, searchable by reason) and the win-back list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.retention.conftest import through_step
from wanliu.retention import services as s
from wanliu.retention.models import RetentionCase, Status, WinBackEntry
from wanliu.retention.selectors import cases_search, win_back_list

pytestmark = pytest.mark.django_db


def _retained_with_offer(world):
    request = through_step(world, 4)
    grant = s.offer_grant(request=request, offer=world.level2, actor=world.manager.user)
    return s.cancellation_request_outcome(
        request=request, outcome=Status.RETAINED_WITH_OFFER, actor=world.clerk.user, grant=grant
    )


def test_anonymise_drops_names_and_numbers_but_keeps_amounts():
    text = "王秀英（13305710001，王女士）说移动59元，我们给她129→90.30元，账户A0000123456"
    out = s.anonymise(text, names=["王秀英"])
    assert "王秀英" not in out and "王女士" not in out
    assert "13305710001" not in out and "A0000123456" not in out
    assert "59" in out and "129" in out and "90.30" in out


def test_a_successful_retention_is_published_without_names_or_numbers(world):
    # given the worked example retained with 30 % off, whose words name the customer
    request = _retained_with_offer(world)
    words = f"{world.customer.name}您好，您的号码{world.lines[0].number}在网6年，118元才是真实价格"
    # when the branch manager publishes it
    case = s.retention_case_publish(
        request=request,
        actor=world.manager.user,
        title="竞对低价：七折36个月挽留",
        words_used=words,
    )
    # then the case has the reason, the comparison and the words, without name or number
    assert case.reason == "competitor_offer" and case.outcome == Status.RETAINED_WITH_OFFER
    assert case.comparison["break_even_month"] == 26
    assert case.comparison["offer_total"] == "3250.80"
    text = " ".join(
        [case.title, case.situation, case.words_used, case.customer_profile, str(case.comparison)]
    )
    assert world.customer.name not in text
    assert world.lines[0].number not in text
    assert world.clerk.name not in text
    assert "118元才是真实价格" in case.words_used
    assert "90.30" in case.offer_summary


def test_only_successful_retentions_by_roles_that_publish(world):
    request = _retained_with_offer(world)
    with pytest.raises(s.NotAllowed):
        s.retention_case_publish(request=request, actor=world.clerk.user, title="x")
    cancelled = s.cancellation_request_insist(
        request=s.cancellation_request_open(
            actor=world.clerk.user,
            customer=world.customer,
            kind="cancel",
            target="line",
            line=world.lines[1],
        ),
        actor=world.clerk.user,
    )
    with pytest.raises(s.IllegalTransition):
        s.retention_case_publish(request=cancelled, actor=world.supervisor.user, title="x")
    s.retention_case_publish(request=request, actor=world.supervisor.user, title="七折挽留")
    with pytest.raises(s.IllegalTransition):
        s.retention_case_publish(request=request, actor=world.supervisor.user, title="again")


def test_cases_are_searchable_by_reason_and_words(world):
    request = _retained_with_offer(world)
    s.retention_case_publish(request=request, actor=world.manager.user, title="七折挽留")
    assert cases_search(reason="competitor_offer").count() == 1
    assert cases_search(reason="relocation").count() == 0
    assert cases_search(q="真实价格").count() == 1
    assert RetentionCase.objects.count() == 1


def test_the_win_back_list_with_re_contact_dates_and_outcomes(world):
    # given a cancelled customer on the win-back list
    request = s.cancellation_request_insist(request=through_step(world, 1), actor=world.clerk.user)
    day = timezone.localdate() + dt.timedelta(days=30)
    s.step_part_well_record(request=request, actor=world.clerk.user, allowed_recontact_on=day)
    entry = WinBackEntry.objects.get(request=request)
    # then it is listed (open), and among those that may be contacted on the day
    assert list(win_back_list(user=world.clerk.user, status="open")) == [entry]
    assert list(win_back_list(user=world.clerk.user, due_on=day)) == [entry]
    assert list(win_back_list(user=world.clerk.user, due_on=day - dt.timedelta(days=1))) == []
    assert list(win_back_list(user=world.far_clerk.user)) == []
    # when the customer comes back, the outcome is recorded and it leaves the open list
    with pytest.raises(s.StepIncomplete):
        s.win_back_outcome_record(entry=entry, actor=world.clerk.user, status="won_back", note="")
    entry = s.win_back_outcome_record(
        entry=entry, actor=world.clerk.user, status="won_back", note="重新办理融合套餐"
    )
    assert entry.status == WinBackEntry.Status.WON_BACK and entry.outcome_at is not None
    assert list(win_back_list(user=world.clerk.user, status="open")) == []
    with pytest.raises(s.IllegalTransition):
        s.win_back_outcome_record(entry=entry, actor=world.clerk.user, status="declined", note="x")


def test_an_opted_out_customer_is_listed_as_do_not_contact(world):
    world.customer.marketing_opt_out = True
    world.customer.save()
    request = s.cancellation_request_insist(request=through_step(world, 1), actor=world.clerk.user)
    s.step_part_well_record(
        request=request,
        actor=world.clerk.user,
        allowed_recontact_on=timezone.localdate() + dt.timedelta(days=30),
    )
    assert WinBackEntry.objects.get(request=request).status == WinBackEntry.Status.DO_NOT_CONTACT
