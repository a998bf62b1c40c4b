import csv

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_ratelimit.decorators import ratelimit

from saferstaff import scans
from saferstaff.access import allowed_for
from saferstaff.accounts.stepup import step_up
from saferstaff.acknowledgements.models import Acceptance
from saferstaff.acknowledgements.status import (
    ACCEPTED,
    DECLINED,
    TO_ACCEPT,
    accept,
    outstanding_compulsory,
    policies_for,
    school_overview,
    state_of,
)
from saferstaff.audit.log import record
from saferstaff.exports import csv_safe
from saferstaff.policy.access import can_see_drafts, get_policy_version
from saferstaff.policy.diff import compare
from saferstaff.policy.engine import show_on_form
from saferstaff.policy.models import Policy, PolicyKind, PolicyVersion, QuizQuestion
from saferstaff.policy.rules import may_accept, may_accept_on_behalf, may_decline
from saferstaff.policy.search import search_sections, terms
from saferstaff.policy.service import (
    DocumentError,
    delete_draft,
    import_policy,
    publish_to_trust,
    publish_version,
)
from saferstaff.schools.access import sees_pupils
from saferstaff.schools.models import EmploymentType, Membership, Role

MAX_POLICY_BYTES = 10 * 1024 * 1024


class PolicyImportForm(forms.Form):
    title = forms.CharField(
        max_length=200, help_text="As staff will see it, e.g. 'Online Safety and Social Media Guidance'"
    )
    kind = forms.ChoiceField(
        choices=PolicyKind.choices,
        widget=forms.RadioSelect,
        initial=PolicyKind.ONLINE_SAFETY,
        label="What kind of policy is it?",
    )
    file = forms.FileField(
        label="The document", help_text="Word (.docx), plain text (.txt) or Markdown (.md), up to 10 MB"
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_POLICY_BYTES:  # refused before a byte of it is read
            raise forms.ValidationError(
                f"The file is {upload.size / (1024 * 1024):.1f} MB; the limit is 10 MB. Save the document "
                "without embedded pictures, or as plain text, and upload that."
            )
        return upload

    def document(self) -> dict:
        """What ``import_policy`` and ``publish_to_trust`` take from this form."""
        upload = self.cleaned_data["file"]
        return {
            "title": self.cleaned_data["title"],
            "kind": self.cleaned_data["kind"],
            "filename": upload.name,
            "data": upload.read(),
        }


@require_safe
def policy_list(request, school):
    versions = (
        PolicyVersion.objects.filter(school=request.school)
        .select_related("policy")
        .order_by("policy__title", "-number")
    )
    if not can_see_drafts(request):
        versions = versions.exclude(status=PolicyVersion.Status.DRAFT)
    policies: dict[int, dict] = {}
    for version in versions:
        entry = policies.setdefault(
            version.policy_id, {"policy": version.policy, "versions": [], "published": False}
        )
        entry["versions"].append(version)
        entry["published"] |= version.status != PolicyVersion.Status.DRAFT
    return render(request, "policy/list.html", {"policies": list(policies.values())})


@require_http_methods(["GET", "POST"])
def policy_import(request, school):
    form = PolicyImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            version, notes = import_policy(request.school, **form.document(), by=request.user)
        except DocumentError as exc:
            form.add_error("file", str(exc))
            record("policy.import_refused", ("schools.school", request.school.pk))
        else:
            sections = version.sections.count()
            messages.success(
                request,
                f"Draft version {version.number} imported with {sections} section{'' if sections == 1 else 's'}. "
                + " ".join(notes),
            )
            return redirect(
                "policy_version", school=request.school.slug, pk=version.policy_id, number=version.number
            )
    return render(request, "policy/import.html", {"form": form})


class PublishForm(forms.Form):
    minor_change = forms.ChoiceField(
        required=False,  # not said: a text the same as the version in force is a minor change
        choices=[
            (
                "on",
                "A minor change (for example a typo): staff who accepted the last version need not accept again",
            ),
            ("off", "A change staff must read and accept again"),
        ],
        widget=forms.RadioSelect,
        label="What kind of change is it?",
    )
    change_note = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What changed (optional)",
        help_text="Staff see this on 'What changed'. Needed when the text is the same but staff must accept again.",
    )
    review_date = forms.DateField(
        required=False,
        label="Review date",
        help_text="When the school will next review this policy, for example 31/08/2027",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
    )

    def clean_review_date(self):
        return _future_review_date(self.cleaned_data["review_date"])

    def minor(self) -> bool | None:
        return {"on": True, "off": False}.get(self.cleaned_data.get("minor_change") or "")


def _future_review_date(value):
    """A review date is a plan: one already past would print as due in the governors' report."""
    if value is not None and value <= timezone.localdate():
        raise forms.ValidationError("Enter a review date in the future, for example 31/08/2027")
    return value


class ReviewDateForm(forms.Form):
    review_date = forms.DateField(
        label="Review date",
        help_text="When the school will next review this policy, for example 31/08/2027",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
    )

    def clean_review_date(self):
        return _future_review_date(self.cleaned_data["review_date"])


class AcceptForm(forms.Form):
    def __init__(self, *args, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for n, q in enumerate(self.questions, start=1):
            self.fields[f"q{q.pk}"] = forms.ChoiceField(
                choices=list(enumerate(q.answers)),
                widget=forms.RadioSelect,
                required=False,
                label=f"Question {n}: {q.text}",
            )

    def wrong_questions(self) -> list[tuple[int, QuizQuestion]]:
        """(number on the page, question) for each question not answered rightly."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return [
            (n, q)
            for n, q in enumerate(self.questions, start=1)
            if str(data.get(f"q{q.pk}", "")) != str(q.correct)
        ]

    understood = forms.BooleanField(
        required=False, label="I have read and understood this policy, and I will follow it"
    )
    typed_name = forms.CharField(
        max_length=200, label="Your full name", help_text="Typing your name is your signature"
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea, max_length=2000, label="Why are you declining it?", required=False
    )


class AcceptOnBehalfForm(forms.Form):
    member = forms.ModelChoiceField(queryset=Membership.objects.none(), label="Who accepted it")
    note = forms.CharField(
        widget=forms.Textarea,
        max_length=2000,
        required=False,
        label="How they accepted it",
        help_text="For example: signed the paper copy at the volunteers' induction on 3 March",
    )
    evidence = forms.FileField(
        required=False, label="The scanned, signed form", help_text="PDF, JPEG or PNG, up to 10 MB"
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = lambda m: (
            f"{m.user.display_name} ({m.get_employment_type_display()})"
        )

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        if upload is not None and (problem := scans.problem(upload)):
            raise forms.ValidationError(problem)
        return upload


class AudienceForm(forms.ModelForm):
    audience_roles = forms.MultipleChoiceField(
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Roles who must read it",
        help_text="Tick none for everyone",
    )
    audience_employment = forms.MultipleChoiceField(
        choices=EmploymentType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Kinds of staff who must read it",
        help_text="Tick none for everyone (§1 covers employees, agency staff, contractors and volunteers)",
    )

    class Meta:
        model = Policy
        fields = ["compulsory", "audience_roles", "audience_employment"]
        labels = {"compulsory": "Staff must accept it before they can use the rest of saferstaff"}


def _version_page(
    request,
    version,
    publish_form=None,
    accept_form=None,
    decline_form=None,
    status=200,
    to_reread=(),
    review_form=None,
):
    others = Policy.objects.get(pk=version.policy_id).versions.order_by("-number")
    if not can_see_drafts(request):
        others = others.exclude(status=PolicyVersion.Status.DRAFT)
    in_force = version.in_force() if version.status == PolicyVersion.Status.DRAFT else None
    same_text = version.same_text_as(in_force)
    if publish_form is None and version.status == PolicyVersion.Status.DRAFT:
        if allowed_for("policy_publish", request.roles):
            publish_form = PublishForm(initial={"minor_change": "on" if same_text else "off"})
    if review_form is None and version.status != PolicyVersion.Status.ARCHIVED:
        if (
            allowed_for("policy_review_date", request.roles)
            and version.status == PolicyVersion.Status.PUBLISHED
        ):
            review_form = ReviewDateForm(initial={"review_date": version.review_date})
    state = state_of(request.membership, version) if request.membership is not None else None
    needs_acceptance = state == TO_ACCEPT
    if needs_acceptance and accept_form is None:
        accept_form = AcceptForm(questions=version.questions.all())
    if needs_acceptance and not version.policy.compulsory and decline_form is None:
        decline_form = DeclineForm()
    context = {
        "version": version,
        "sections": list(version.sections.all()),
        "others": others,
        "publish_form": publish_form,
        "same_text_as": in_force if same_text else None,  # the version in force, when the text is the same
        "review_form": review_form,
        "accept_form": accept_form,  # its errors are summarised even when the form itself is not shown
        "show_accept_form": needs_acceptance,
        "decline_form": decline_form,
        "accepted": state == ACCEPTED,
        "to_reread": to_reread,  # (question number, its section or None) for answers that were wrong
        "declined": state == DECLINED,
        "can_accept_for_others": version.status == PolicyVersion.Status.PUBLISHED
        and allowed_for("policy_accept_for", request.roles),
    }
    return render(request, "policy/version.html", context, status=status)


@require_safe
def policy_version(request, school, pk, number):
    return _version_page(request, get_policy_version(request, pk, number))


@require_POST
def policy_publish(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    form = PublishForm(request.POST)
    if not form.is_valid():
        return _version_page(request, version, publish_form=form)
    same_as = version.same_text_as(version.in_force())
    decision = publish_version(
        version,
        by=request.user,
        minor_change=form.minor(),
        review_date=form.cleaned_data["review_date"],
        change_note=form.cleaned_data["change_note"],
    )
    if not decision:
        show_on_form(form, decision)
        return _version_page(request, version, publish_form=form)
    if same_as and version.minor_change:
        messages.warning(
            request,
            f"The text of version {version.number} is the same as the version it replaces: it is published as "
            "a minor change, so everyone's acceptance still counts.",
        )
    messages.success(request, f"Version {version.number} is published. Earlier versions are archived.")
    return redirect("policy_version", school=request.school.slug, pk=pk, number=number)


@require_POST
def policy_review_date(request, school, pk, number):
    """The Headteacher or a senior leader moves the review date of the version in force (audited)."""
    version = get_policy_version(request, pk, number)
    form = ReviewDateForm(request.POST)
    if version.status != PolicyVersion.Status.PUBLISHED:
        form.add_error(None, "Only the version in force has a review date to change (§2)")
    if not form.is_valid():
        return _version_page(request, version, review_form=form, status=400)
    version.set_review_date(form.cleaned_data["review_date"], by=request.user)
    messages.success(request, f"The review date is now {version.review_date:%-d %B %Y}.")
    return redirect("policy_version", school=request.school.slug, pk=pk, number=number)


@require_POST
def policy_draft_delete(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    decision = delete_draft(version, by=request.user)
    if not decision:
        messages.error(request, decision.summary)
        return redirect("policy_version", school=request.school.slug, pk=pk, number=number)
    messages.success(request, f"Draft version {number} of {version.policy.title} is deleted.")
    return redirect("policy_list", school=request.school.slug)


@require_safe
def policy_changes(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    previous = version.previous()
    if previous is not None and previous.status == PolicyVersion.Status.DRAFT and not can_see_drafts(request):
        previous = None
    changes = compare(previous.sections.all(), version.sections.all()) if previous else []
    return render(
        request, "policy/changes.html", {"version": version, "previous": previous, "changes": changes}
    )


def _back_to_the_version(version):
    """The address a form with a mistake stays on, opened again (reloaded, bookmarked): the policy itself,
    rather than an empty "method not allowed" page."""
    return redirect("policy_version", school=version.school.slug, pk=version.policy_id, number=version.number)


@require_http_methods(["GET", "POST"])
def policy_accept(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    if request.method == "GET":
        return _back_to_the_version(version)
    form = AcceptForm(request.POST, questions=version.questions.all())
    form.is_valid()
    wrong = form.wrong_questions()
    decision = may_accept(
        request.membership,
        subject=version,
        typed_name=form.cleaned_data.get("typed_name", ""),
        understood=form.cleaned_data.get("understood", False),
        wrong_answers=len(wrong),
    )
    if not decision:
        show_on_form(form, decision)
        sections = {s.number: s for s in version.sections.all() if s.number}
        to_reread = []
        for n, question in wrong:
            section = sections.get(question.section)
            where = f": read {section} again" if section else ""
            form.add_error(f"q{question.pk}", f"Question {n} was not answered rightly{where}")
            to_reread.append((n, section))
        return _version_page(request, version, accept_form=form, to_reread=to_reread)
    accept(
        request.membership,
        version,
        typed_name=form.cleaned_data["typed_name"],
        ip_address=request.META.get("REMOTE_ADDR"),
    )
    messages.success(request, f"Thank you. You accepted {version.policy.title} (version {version.number}).")
    if outstanding_compulsory(request.membership):
        return redirect("policies_to_accept", school=request.school.slug)
    return redirect("school_dashboard", school=request.school.slug)


@require_http_methods(["GET", "POST"])
def policy_decline(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    if request.method == "GET":
        return _back_to_the_version(version)
    form = DeclineForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    decision = may_decline(request.membership, subject=version, reason=reason)
    if not decision:
        form.add_error("reason" if "Say why" in decision.summary else None, decision.summary)
        return _version_page(request, version, decline_form=form)
    accept(
        request.membership,
        version,
        typed_name=request.user.get_full_name(),
        ip_address=request.META.get("REMOTE_ADDR"),
        outcome=Acceptance.Outcome.DECLINED,
        decline_reason=reason,
    )
    messages.success(request, f"You declined {version.policy.title}. The school can see your reason.")
    return redirect("policies_to_accept", school=request.school.slug)


@require_http_methods(["GET", "POST"])
def policy_accept_for(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    # Only other people in the audience who have not accepted it yet: the Back button or a second paper form
    # for someone already recorded is refused as a choice that is not offered, and so is the Headteacher.
    waiting = next(
        (
            [m.pk for m, state in item["members"] if state != ACCEPTED]
            for item in school_overview(request.school)
            if item["version"].pk == version.pk
        ),
        [],
    )
    members = (
        Membership.objects.filter(pk__in=waiting)
        .exclude(user=request.user)
        .select_related("user")
        .order_by("user__last_name")
    )
    form = AcceptOnBehalfForm(request.POST or None, request.FILES or None, members=members)
    form.fields["member"].error_messages["invalid_choice"] = (
        f"Choose someone who must read this policy and has not accepted version {version.number} yet"
    )
    if request.method == "POST" and form.is_valid():
        member = form.cleaned_data["member"]
        decision = may_accept_on_behalf(
            request.user,
            subject=version,
            member=member,
            note=form.cleaned_data["note"],
            has_evidence=form.cleaned_data["evidence"] is not None,
        )
        if not decision:
            show_on_form(form, decision)
        else:
            accept(
                member,
                version,
                typed_name=member.user.get_full_name(),
                ip_address=None,
                on_behalf_by=request.user,
                note=form.cleaned_data["note"],
                evidence=form.cleaned_data["evidence"],
            )
            messages.success(
                request, f"Recorded that {member.user.display_name} accepted version {version.number}."
            )
            return redirect("policy_version", school=request.school.slug, pk=pk, number=number)
    on_paper = version.acceptances.filter(on_behalf_by__isnull=False).select_related("user", "on_behalf_by")
    return render(
        request,
        "policy/accept_for.html",
        {"version": version, "form": form, "on_paper": on_paper, "nobody_waiting": not waiting},
    )


@require_safe
def policy_acceptance_scan(request, school, pk):
    acceptance = get_object_or_404(Acceptance, school=request.school, pk=pk)
    return scans.audited_download(
        acceptance,
        acceptance.evidence,
        action="policy.acceptance.scan_viewed",
        stem=f"acceptance-{acceptance.pk}",
    )


@require_safe
def policies_to_accept(request, school):
    items = policies_for(request.membership) if request.membership else []
    return render(request, "policy/to_accept.html", {"items": items})


@require_http_methods(["GET", "POST"])
def policy_audience(request, school, pk):
    policy = get_object_or_404(Policy, school=request.school, pk=pk)
    form = AudienceForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        form.save()
        record("policy.audience_changed", policy, detail={"fields": form.changed_data})
        messages.success(request, "Saved who must read it.")
        return redirect("policy_list", school=request.school.slug)
    return render(request, "policy/audience.html", {"policy": policy, "form": form})


@require_safe
def policy_dashboard(request, school):
    return render(request, "policy/dashboard.html", {"overview": school_overview(request.school)})


@require_safe
def policy_dashboard_csv(request, school):
    if confirm := step_up(request, "downloading who has accepted the guidance"):  # exports: step-up first
        return confirm
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="policy-acceptance-{request.school.slug}.csv"'
    writer = csv.writer(response)
    writer.writerow(["Policy", "Version", "Name", "Email", "Roles", "Employment", "Status"])
    labels = {ACCEPTED: "Accepted", DECLINED: "Declined", TO_ACCEPT: "Not yet accepted"}
    for item in school_overview(request.school):
        for m, state in item["members"]:
            writer.writerow(
                [
                    csv_safe(item["policy"].title),
                    item["version"].number,
                    csv_safe(m.user.display_name),
                    csv_safe(m.user.email),
                    csv_safe("; ".join(m.role_labels())),
                    m.get_employment_type_display(),
                    labels[state],
                ]
            )
    record("policy.report_exported", ("schools.school", request.school.pk))
    return response


@require_safe
def policy_search(request, school):
    question = request.GET.get("q", "").strip()[:300]
    hits = search_sections(request.school, question) if question else []
    return render(
        request, "policy/search.html", {"question": question, "hits": hits, "terms": terms(question)}
    )


class QuestionForm(forms.Form):
    text = forms.CharField(max_length=300, label="Question")
    answers = forms.CharField(
        widget=forms.Textarea,
        max_length=2000,
        label="Answers, one per line",
        help_text="Two to five answers. Put * in front of the right one.",
    )
    section = forms.CharField(
        max_length=20,
        required=False,
        label="Section that answers it (optional)",
        help_text="For example 4 or 7.1",
    )

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version

    def clean_answers(self):
        lines = [line.strip() for line in self.cleaned_data["answers"].splitlines() if line.strip()]
        right = [i for i, line in enumerate(lines) if line.startswith("*")]
        if not 2 <= len(lines) <= 5:
            raise forms.ValidationError("Give between two and five answers, one per line")
        if len(right) != 1:
            raise forms.ValidationError("Put * in front of exactly one answer: the right one")
        answers = [line.lstrip("*").strip() for line in lines]
        if any(len(answer) > 200 for answer in answers):
            raise forms.ValidationError("Keep each answer under 200 characters")
        return answers, right[0]

    def clean_section(self):
        """A question may cite only a section this version has (staff who get it wrong are sent there)."""
        number = self.cleaned_data["section"].strip().lstrip("§").strip()
        numbers = [n for n in self.version.sections.values_list("number", flat=True) if n]
        if number and number not in numbers:
            example = (
                f": one of {', '.join(numbers[:8])}{' …' if len(numbers) > 8 else ''}" if numbers else ""
            )
            raise forms.ValidationError(
                f"Version {self.version.number} has no §{number}. Enter the number of one of its sections{example}"
            )
        return number


class DeleteQuestionForm(forms.Form):
    delete = forms.IntegerField(min_value=1, max_value=2**31 - 1)


@require_http_methods(["GET", "POST"])
def policy_questions(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    questions = list(version.questions.all())
    form = QuestionForm(request.POST if request.method == "POST" else None, version=version)
    if request.method == "POST":
        if version.status != PolicyVersion.Status.DRAFT:
            form.add_error(None, "Questions can only be changed while the version is a draft (§2).")
        elif "delete" in request.POST:
            removal = DeleteQuestionForm(request.POST)
            if not removal.is_valid():
                return HttpResponseBadRequest("Choose a question to remove.")
            question = get_object_or_404(QuizQuestion, version=version, pk=removal.cleaned_data["delete"])
            record("policy.question_removed", version, detail={"question": question.pk})
            question.delete()
            return redirect("policy_questions", school=request.school.slug, pk=pk, number=number)
        elif len(questions) >= 5:
            form.add_error(None, "A version has at most five questions: remove one first.")
        elif form.is_valid():
            answers, correct = form.cleaned_data["answers"]
            QuizQuestion.objects.create(
                school=request.school,
                version=version,
                position=max((q.position for q in questions), default=0) + 1,
                text=form.cleaned_data["text"],
                answers=answers,
                correct=correct,
                section=form.cleaned_data["section"],
            )
            record("policy.question_added", version)
            return redirect("policy_questions", school=request.school.slug, pk=pk, number=number)
    return render(
        request, "policy/questions.html", {"version": version, "questions": questions, "form": form}
    )


@require_safe
def policy_dashboard_pdf(request, school):
    """The same overview as a PDF for the governors' meeting pack (WeasyPrint, fonts from the system)."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    if confirm := step_up(request, "downloading who has accepted the guidance"):
        return confirm
    html = render_to_string(
        "policy/dashboard_pdf.html",
        {"overview": school_overview(request.school), "school": request.school, "now": timezone.now()},
    )
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="policy-acceptance-{request.school.slug}.pdf"'
    record("policy.report_exported", ("schools.school", request.school.pk), detail={"format": "pdf"})
    return response


@require_http_methods(["GET", "POST"])
def trust_policy_publish(request, trust):
    form = PolicyImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            versions = publish_to_trust(request.trust, **form.document(), by=request.user)
        except DocumentError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, f"Published to {len(versions)} schools. Each shows its own name.")
            return redirect("trust_dashboard", trust=request.trust.slug)
    return render(request, "policy/trust_publish.html", {"form": form, "trust": request.trust})


# --- Check before you post (§4) ------------------------------------------------------------------------------


class DraftForm(forms.Form):
    text = forms.CharField(
        label="Your draft",
        help_text="A post, a comment or your profile's bio, as you would publish it.",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "true"}),
        strip=False,
    )
    form = forms.ChoiceField(
        label="What is it?",
        choices=[("post", "A post or comment"), ("bio", "My profile or bio")],
        initial="post",
        widget=forms.RadioSelect,
    )
    photo = forms.FileField(
        label="A photo you want to post with it (optional)",
        help_text="Checked for faces, then forgotten: it is not kept.",
        required=False,
    )
    save = forms.BooleanField(
        label="Keep this check in my saved checks",
        help_text="For 90 days, for you alone (the photo is never kept). Otherwise nothing you type or attach is kept.",
        required=False,
    )

    def clean_text(self):
        from saferstaff.screening.check import MAX_CHARS

        text = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError("Enter your draft")
        if len(text) > MAX_CHARS:
            raise forms.ValidationError(
                f"Check one post or profile at a time: this is {len(text):,} characters, the most is {MAX_CHARS:,}"
            )
        return text

    def clean_photo(self):
        from django.conf import settings

        photo = self.cleaned_data.get("photo")
        if photo and photo.size > settings.IMAGE_MAX_BYTES:
            raise forms.ValidationError(
                f"The photo must be smaller than {settings.IMAGE_MAX_BYTES // 1024 // 1024} MB"
            )
        return photo


DRAFT_PHOTO_SIDE = 1000  # a JPEG is decoded with both sides at least this: a 4000 × 3000 photo at 2000 × 1500
DRAFT_PHOTO_PIXELS = 40_000_000  # a photo with more pixels is not opened at all


def _faces_in(upload) -> int:
    """How many faces the blurring detectors find in an attached photo (never stored). The decoding is
    bounded (a 12-megapixel JPEG is decoded at a quarter of its pixels); see benchmarks/publish_blur.py."""
    from saferstaff.faces import FaceError
    from saferstaff.faces.blur import find_faces
    from saferstaff.faces.images import load_scaled
    from saferstaff.images.biometrics import blur_detectors

    try:
        image, _scale = load_scaled(upload.read(), max_side=DRAFT_PHOTO_SIDE, max_pixels=DRAFT_PHOTO_PIXELS)
    except FaceError as problem:
        raise forms.ValidationError(str(problem)) from None
    return len(find_faces(image, blur_detectors()))


def _marked(text: str, findings) -> list[tuple[str, int | None]]:
    """The draft in pieces: (text, number of the finding it belongs to, or None)."""
    pieces, at = [], 0
    for n, f in enumerate(findings, start=1):
        if f.end <= f.start or f.start < at:
            continue
        pieces.append((text[at : f.start], None))
        pieces.append((text[f.start : f.end], n))
        at = f.end
    pieces.append((text[at:], None))
    return [p for p in pieces if p[0]]


CHECKS_PER_MINUTE = 30  # far more than anyone types; far fewer than a script guessing names would need


def _checks_rate(group, request) -> str:
    return f"{CHECKS_PER_MINUTE}/m"


# One count per person across the page and the API, kept by django-ratelimit in the shared cache; the view
# answers an over-limit request itself (request.limited), with a message to show.
checks_per_person = ratelimit(
    group="policy.draft_checks", key="user", rate=_checks_rate, method="POST", block=False
)


@sensitive_post_parameters("text")  # an error report never carries the draft
@sensitive_variables("text", "form")
@require_http_methods(["GET", "POST"])
@checks_per_person
def draft_check(request, school):
    from saferstaff.policy.drafts import check_draft
    from saferstaff.policy.models import SavedCheck

    form = DraftForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and request.limited:
        form.add_error(None, "Too many checks in a minute: wait a moment, then check again")
    if request.method == "POST" and form.is_valid():
        faces = 0
        if form.cleaned_data["photo"]:
            try:
                faces = _faces_in(form.cleaned_data["photo"])
            except forms.ValidationError as problem:
                form.add_error("photo", problem)
        if form.is_valid():
            text, kind = form.cleaned_data["text"], form.cleaned_data["form"]
            result = check_draft(
                request.school, text, with_pupils=sees_pupils(request), form=kind, faces=faces
            )
            if form.cleaned_data["save"]:
                saved = SavedCheck.objects.create(
                    school=request.school, author=request.user, form=kind, text=text, verdict=result.verdict,
                    findings=[f.as_json(identify=False) for f in result.findings],
                )  # fmt: skip
                record("drafts.check_saved", saved, detail={"verdict": result.verdict})
    saved_checks = SavedCheck.objects.filter(school=request.school, author=request.user)[:10]
    sections = {}
    if result is not None:
        from saferstaff.policy.drafts import cited_sections

        cited = cited_sections(request.school).filter(number__in=result.sections).select_related("version")
        sections = {section.number: section for section in cited}
    return render(
        request,
        "policy/draft_check.html",
        {
            "form": form,
            "result": result,
            "pieces": _marked(form.cleaned_data["text"], result.findings) if result else [],
            "sections": sections,
            "saved_checks": saved_checks,
        },
        status=400 if form.errors else 200,
    )


@sensitive_variables("body", "text")
@require_POST
@checks_per_person
def draft_check_api(request, school):
    """The same check as a JSON API for the signed-in member of staff (a browser extension, the page's own
    script): POST {"text": ..., "form": "post" | "bio"} → {"verdict", "sections", "findings": [...]}.
    Nothing is stored. Errors are JSON too, with a message to show. ``start``/``end`` count Unicode code
    points, as Python does (JavaScript strings count UTF-16 units: convert before slicing after an emoji).
    A pupil finding does not say which pupil: a check must not become a way to look pupils up."""
    import json

    from django.core.exceptions import RequestDataTooBig
    from django.http import JsonResponse

    from saferstaff.policy.drafts import check_draft
    from saferstaff.screening.check import MAX_CHARS

    if request.limited:
        return JsonResponse(
            {"error": "Too many checks in a minute: wait a moment, then try again"}, status=429
        )
    try:
        body = json.loads(request.body or b"{}")
    except RequestDataTooBig:
        return JsonResponse(
            {"error": f"Check one post or profile at a time: the most is {MAX_CHARS:,} characters"},
            status=413,
        )
    except (ValueError, UnicodeDecodeError, RecursionError):
        return JsonResponse({"error": 'Send JSON: {"text": "your draft"}'}, status=400)
    text = body.get("text") if isinstance(body, dict) else None
    kind = body.get("form", "post") if isinstance(body, dict) else "post"
    if not isinstance(text, str) or kind not in ("post", "bio"):
        return JsonResponse({"error": 'Send {"text": "your draft", "form": "post" or "bio"}'}, status=400)
    if len(text) > MAX_CHARS:
        return JsonResponse(
            {"error": f"Check one post or profile at a time: the most is {MAX_CHARS:,} characters"},
            status=413,
        )
    result = check_draft(request.school, text, with_pupils=sees_pupils(request), form=kind)
    return JsonResponse(
        {**result.as_json(identify=False), "sections": result.sections},
        json_dumps_params={"ensure_ascii": False},
    )


@require_POST
def draft_check_delete(request, school, pk):
    """A member of staff deletes one of their own saved checks."""
    from saferstaff.policy.models import SavedCheck

    saved = get_object_or_404(SavedCheck, school=request.school, author=request.user, pk=pk)
    record("drafts.check_deleted", saved)
    saved.delete()
    messages.success(request, "Deleted.")
    return redirect("draft_check", school=request.school.slug)
