"""§8 (UK GDPR art. 33–34): the breach log. Any member of staff reports a breach on one short form; the DPO and
the Headteacher are told at once with the deadline; the 72 hours run from awareness in real hours (across the
change of the clocks); they are chased once when 24 hours are left and once when the deadline passes; the
officers assess, decide (with reasons), record the ICO's reference and who was told, and close it."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from saferstaff.clocks import UK
from saferstaff.notifications.models import Notification
from saferstaff.privacy import breaches as doors
from saferstaff.privacy.models import Breach
from saferstaff.rules.engine import Refused
from saferstaff.schools.roles import Actor

from .conftest import signed_in

FRIDAY_BEFORE_BST = datetime.datetime(2027, 3, 26, 17, 0, tzinfo=UK)  # the clocks go forward on Sun 28 March


def url(cast, name, **kwargs):
    return reverse(name, kwargs={"school": cast.school.slug, **kwargs})


def report(cast, by=None, *, aware_at=None, **extra):
    return doors.report_breach(
        Actor.of(by or cast.teacher, cast.school),
        what="A pupil's report was emailed to the wrong parent",
        aware_at=aware_at or timezone.now() - datetime.timedelta(minutes=5),
        **extra,
    )


def notices(user, kind=doors.NOTICE_KIND):
    return list(Notification.objects.filter(user=user, kind=kind).values_list("title", flat=True))


# --- Reporting ------------------------------------------------------------------------------------------------
def test_a_teacher_reports_a_breach_on_the_form_and_the_officers_are_told_at_once(cast):
    client = signed_in(cast.teacher)
    assert client.get(url(cast, "breach_report")).status_code == 200
    aware = timezone.localtime() - datetime.timedelta(minutes=10)
    response = client.post(
        url(cast, "breach_report"),
        {
            "what": "A report sent to the wrong parent",
            "aware_at": aware.strftime("%Y-%m-%dT%H:%M"),
            "categories": ["education", "identity"],
            "people_count": "1",
        },
    )
    breach = Breach.objects.get()
    assert response.status_code == 302 and response["Location"] == url(cast, "breach_detail", pk=breach.pk)
    assert breach.logged_by == cast.teacher and breach.categories == ["education", "identity"]
    assert breach.ico_due - breach.aware_at == datetime.timedelta(hours=72)
    for officer in (cast.dpo, cast.head):
        (title,) = notices(officer)
        assert "decide by" in title and "tell the ICO" in title and "A report" not in title  # content-free
    assert notices(cast.teacher) == [] and notices(cast.dsl) == []
    # The reporter reads their report and its status, not the officers' forms.
    page = client.get(url(cast, "breach_detail", pk=breach.pk)).content.decode()
    assert "A report sent to the wrong parent" in page and "Being looked at" in page
    assert "Record the decision" not in page and "Likely risk" not in page
    # The deadline is not the reporter's to meet: the page says whose it is.
    assert "Decide by" not in page
    assert "The data-protection officer and the Headteacher decide by" in page


def test_aware_in_the_future_and_happened_after_aware_are_refused_beside_their_fields(cast):
    client = signed_in(cast.teacher)
    later = (timezone.localtime() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url(cast, "breach_report"), {"what": "Lost a memory stick", "aware_at": later})
    assert response.status_code == 400
    assert "aware_at" in response.context["form"].errors
    aware = timezone.localtime() - datetime.timedelta(hours=2)
    response = client.post(
        url(cast, "breach_report"),
        {
            "what": "Lost a memory stick",
            "aware_at": aware.strftime("%Y-%m-%dT%H:%M"),
            "happened_at": (aware + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 400 and "happened_at" in response.context["form"].errors
    response = client.post(url(cast, "breach_report"), {"what": "", "aware_at": "not a date"})
    assert set(response.context["form"].errors) == {"what", "aware_at"}
    assert not Breach.objects.exists()


def test_the_door_refuses_the_future_by_the_worker_path_too(cast):
    with pytest.raises(Refused) as exc:
        report(cast, aware_at=timezone.now() + datetime.timedelta(minutes=1))
    assert exc.value.decision.reasons[0].field == "aware_at"
    with pytest.raises(Refused):
        report(cast, cast.nobody)  # someone with no place at the school
    with pytest.raises(Refused) as exc:
        report(cast, categories=["gossip"])
    assert exc.value.decision.reasons[0].field == "categories"


def test_17_00_bst_on_the_friday_before_the_clocks_go_back_is_due_at_16_00_gmt_on_monday(cast):
    aware = datetime.datetime(2026, 10, 23, 17, 0, tzinfo=UK)  # the clocks go back on Sun 25 October
    breach = report(cast, aware_at=aware, now=aware)
    assert doors.when(breach.ico_due) == "Mon 26 Oct 2026, 16:00 (GMT)"


def test_17_00_on_the_friday_before_the_clocks_change_is_due_at_18_00_bst_on_monday(cast):
    breach = report(cast, aware_at=FRIDAY_BEFORE_BST, now=FRIDAY_BEFORE_BST + datetime.timedelta(hours=1))
    due = breach.ico_due.astimezone(UK)
    assert (due.date(), due.hour, due.minute, due.tzname()) == (datetime.date(2027, 3, 29), 18, 0, "BST")
    assert doors.when(breach.ico_due) == "Mon 29 Mar 2027, 18:00 (BST)"


# --- Chasing --------------------------------------------------------------------------------------------------
def test_the_officers_are_chased_once_at_24_hours_left_and_once_when_it_is_overdue(cast):
    breach = report(cast)
    Notification.objects.all().delete()
    due = breach.ico_due
    assert doors.chase_all(now=due - datetime.timedelta(hours=30)) == 0  # not yet
    assert doors.chase_all(now=due - datetime.timedelta(hours=20)) == 1
    assert doors.chase_all(now=due - datetime.timedelta(hours=10)) == 0  # at most once
    (title,) = notices(cast.dpo)
    assert title.startswith("24 hours left")
    assert doors.chase_all(now=due + datetime.timedelta(minutes=1)) == 1
    assert doors.chase_all(now=due + datetime.timedelta(days=1)) == 0
    assert sorted(t.split(" ")[0] for t in notices(cast.head)) == ["24", "Overdue"]
    breach.refresh_from_db()
    assert breach.chased_last_day_at and breach.chased_overdue_at


def test_a_decided_breach_is_not_chased_and_the_task_is_safe_to_run_early_or_twice(cast):
    breach = report(cast)
    assert doors.chase_breach_now(breach.pk, doors.CHASE_OVERDUE) is False  # early: nothing
    on_time = breach.ico_due - datetime.timedelta(hours=2)
    assert doors.chase_breach_now(breach.pk, doors.CHASE_LAST_DAY, on_time) is True
    assert doors.chase_breach_now(breach.pk, doors.CHASE_LAST_DAY, on_time) is False  # a task run twice
    doors.decide_breach(
        Actor.of(cast.dpo, cast.school), breach, decision="dont_report", reasons="Recalled unopened"
    )
    assert doors.chase_all(now=breach.ico_due + datetime.timedelta(hours=1)) == 0


def test_the_daily_job_chases_an_overdue_breach(cast):
    breach = report(cast, aware_at=timezone.now() - datetime.timedelta(hours=80))
    call_command("run_daily")
    breach.refresh_from_db()
    assert breach.chased_overdue_at is not None
    assert any(t.startswith("Overdue") for t in notices(cast.dpo))


def test_with_a_backend_that_defers_the_chases_are_queued_for_their_moments(cast, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    doors.schedule_chases(report(cast))
    queued = sorted(
        DBTaskResult.objects.filter(task_path__endswith="chase_breach").values_list("run_after", flat=True)
    )
    breach = Breach.objects.get()
    assert queued == [breach.ico_due - doors.LAST_DAY, breach.ico_due]


# --- Managing ------------------------------------------------------------------------------------------------
def manage(client, cast, breach, step, **data):
    return client.post(
        url(cast, "breach_manage", pk=breach.pk),
        {"step": step, **{f"{step}-{k}": v for k, v in data.items()}},
    )


def test_the_dpo_assesses_decides_records_the_report_and_closes_it_on_the_page(cast):
    breach = report(cast)
    client = signed_in(cast.dpo)
    page = client.get(url(cast, "breach_detail", pk=breach.pk)).content.decode()
    assert "hours left" in page and "Record the decision" in page
    assert (
        manage(
            client, cast, breach, "assess", risk="high", categories=["health"], people_count="3"
        ).status_code
        == 302
    )
    response = manage(client, cast, breach, "decide", decision="report", decision_reasons="")
    assert response.status_code == 400 and "decision_reasons" in response.context["forms"]["decide"].errors
    assert (
        manage(client, cast, breach, "decide", decision="report", decision_reasons="Health data").status_code
        == 302
    )
    response = manage(client, cast, breach, "close")
    assert response.status_code == 400  # no ICO reference yet
    when = (timezone.localtime() - datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    response = manage(client, cast, breach, "reported", reported_at=when, ico_reference="")
    assert "ico_reference" in response.context["forms"]["reported"].errors
    assert (
        manage(client, cast, breach, "reported", reported_at=when, ico_reference="IC-123").status_code == 302
    )
    response = manage(client, cast, breach, "told", people_told="not_needed")
    assert "people_told" in response.context["forms"]["told"].errors  # high risk: art. 34
    assert manage(client, cast, breach, "told", people_told="told").status_code == 302
    assert manage(client, cast, breach, "close").status_code == 302
    breach.refresh_from_db()
    assert (breach.decision, breach.ico_reference, breach.people_told) == ("report", "IC-123", "told")
    assert breach.closed_at is not None and breach.decided_by == cast.dpo
    response = manage(client, cast, breach, "assess", risk="unlikely")  # closed: said above the breach
    assert response.status_code == 302
    assert "The breach is closed" in client.get(response["Location"]).content.decode()
    breach.refresh_from_db()
    assert breach.risk == "high"


def test_a_risk_to_people_cannot_be_decided_not_reported(cast):
    breach = report(cast)
    officer = Actor.of(cast.head, cast.school)
    doors.assess_breach(officer, breach, people_count=30, categories=["contact"], risk="risk", contained="")
    with pytest.raises(Refused) as exc:
        doors.decide_breach(officer, breach, decision="dont_report", reasons="Only addresses")
    assert exc.value.decision.reasons[0].field == "decision"


def test_only_the_officers_manage_and_list_and_the_reporter_alone_reads_their_own(cast):
    breach = report(cast)
    assert signed_in(cast.office).get(url(cast, "breach_detail", pk=breach.pk)).status_code == 404
    assert signed_in(cast.dsl).get(url(cast, "breach_list")).status_code == 403
    response = manage(
        signed_in(cast.teacher), cast, breach, "decide", decision="report", decision_reasons="x"
    )
    assert response.status_code in (403, 404)
    with pytest.raises(Refused):
        doors.decide_breach(Actor.of(cast.teacher, cast.school), breach, decision="report", reasons="x")
    assert signed_in(cast.head).get(url(cast, "breach_detail", pk=999_999_999)).status_code == 404
    response = signed_in(cast.dpo).post(url(cast, "breach_manage", pk=breach.pk), {"step": "explode"})
    assert response.status_code == 400
    breach.refresh_from_db()
    assert breach.decision == "undecided"


def test_the_list_puts_what_waits_first_with_its_countdown_and_overdue_in_red(cast):
    late = report(cast, aware_at=timezone.now() - datetime.timedelta(hours=75))
    fresh = report(cast)
    page = signed_in(cast.dpo).get(url(cast, "breach_list"))
    assert [w["breach"].pk for w in page.context["waiting"]] == [late.pk, fresh.pk]
    html = page.content.decode()
    assert "Overdue by 3 hours" in html and "govuk-tag--red" in html and "71 hours left" in html


def test_a_breach_overdue_for_days_says_days_not_thousands_of_hours(cast):
    report(cast, aware_at=timezone.now() - datetime.timedelta(days=10, hours=73))
    html = signed_in(cast.dpo).get(url(cast, "breach_list")).content.decode()
    assert "Overdue by 10 days" in html and "hours" not in html.split("Overdue by")[1][:20]


@pytest.mark.parametrize(
    "name",
    ["breach_list", "sar_list", "sharing_list", "seen_search", "retention_schedule", "retention_due",
     "retention_certificates", "hold_list"],
)  # fmt: skip
def test_every_register_leads_back_to_the_data_protection_page(cast, name):
    html = signed_in(cast.dpo).get(url(cast, name)).content.decode()
    back = f'class="govuk-back-link" href="{url(cast, "privacy_home")}"'
    assert back in html, name


def test_the_home_page_offers_everyone_the_report_and_the_officers_the_registers(cast):
    report(cast)
    teacher = signed_in(cast.teacher).get(url(cast, "privacy_home")).content.decode()
    assert "Report a data breach" in teacher and "Breach log" not in teacher
    dpo = signed_in(cast.dpo).get(url(cast, "privacy_home"))
    assert dpo.context["counts"]["breaches"] == 1 and "Breach log" in dpo.content.decode()
    assert "71 hours left" in dpo.content.decode()  # the deadline, shown wherever the officers look
    dsl = signed_in(cast.dsl).get(url(cast, "privacy_home")).content.decode()
    assert "Sharing log" in dsl and "Breach log" not in dsl
