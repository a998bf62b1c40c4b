"""§2 pages of the self-review: the list of reviews, one review (its areas, their evidence and what changed since
the last), one area's form (level, commentary, a new action), starting and completing. The Headteacher and
senior leaders edit; governors read. Every write goes through a door (``oversight.services``)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saferstaff.numbers import parse_id
from saferstaff.oversight import services as doors
from saferstaff.oversight.areas import AREAS, BY_KEY, LEVEL_LABELS, LEVELS
from saferstaff.oversight.changes import changes_since, open_actions, previous_of
from saferstaff.oversight.figures import all_figures
from saferstaff.oversight.forms import AreaForm
from saferstaff.oversight.models import ReviewAction, SelfReview
from saferstaff.oversight.readers import shown_to
from saferstaff.rules.engine import Refused, show_on_form


def _review(request, pk) -> SelfReview:
    return get_object_or_404(
        SelfReview.objects.select_related("started_by", "completed_by"), school=request.school, pk=pk
    )


def _figures(request, review: SelfReview) -> dict:
    """The figures the review's evidence reads: those stored when it was completed, else the live ones."""
    if review.completed:
        return shown_to(request.actor, review.evidence)
    return shown_to(request.actor, {key: m.as_stored() for key, m in all_figures(review.school).items()})


@require_safe
def review_list(request, school):
    reviews = SelfReview.objects.filter(school=request.school).select_related("started_by", "completed_by")
    return render(
        request,
        "oversight/review_list.html",
        {"reviews": reviews, "editor": request.actor.is_senior, "levels": LEVELS},
    )


@require_POST
def review_start(request, school):
    try:
        review = doors.start_review(request.actor)
    except Refused as exc:
        messages.error(request, exc.decision.summary)
        return redirect("review_list", school=request.school.slug)
    return redirect("review_detail", school=request.school.slug, pk=review.pk)


@require_safe
def review_detail(request, school, pk):
    review = _review(request, pk)
    figures = _figures(request, review)
    judged = {j.area: j for j in review.judgements.all()}
    actions = {}
    for action in review.actions.select_related("owner__user"):
        actions.setdefault(action.area, []).append(action)
    areas = [
        {
            "area": area,
            "judgement": judged.get(area.key),
            "level": LEVEL_LABELS.get(getattr(judged.get(area.key), "level", ""), "Not judged yet"),
            "evidence": [figures[key] for key in area.figures if key in figures],
            "actions": actions.get(area.key, []),
        }
        for area in AREAS
    ]
    previous = previous_of(review)
    return render(
        request,
        "oversight/review_detail.html",
        {
            "review": review,
            "areas": areas,
            "previous": previous,
            "changes": changes_since(
                review, previous, figures, shown_to(request.actor, previous.evidence) if previous else {}
            ),
            "editor": request.actor.is_senior and not review.completed,
            "all_judged": len(judged) == len(AREAS),
            "carried": open_actions(request.school.pk, before=review.number),
            "marks_done": request.actor.is_senior,
        },
    )


@require_http_methods(["GET", "POST"])
def review_area(request, school, pk, area):
    review = _review(request, pk)
    if area not in BY_KEY:
        raise Http404
    the_area = BY_KEY[area]
    if review.completed:
        messages.error(request, "This review is completed: start a new one to change it.")
        return redirect("review_detail", school=request.school.slug, pk=review.pk)
    judgement = review.judgements.filter(area=area).first()
    initial = {"level": judgement.level, "commentary": judgement.commentary} if judgement else {}
    form = AreaForm(request.POST or None, initial=initial, school=request.school)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            action = (
                {"what": data["action_what"], "owner": data["action_owner"], "due_on": data["action_due"]}
                if form.has_action
                else None
            )
            doors.save_area(
                request.actor,
                review,
                area=area,
                level=data["level"],
                commentary=data["commentary"],
                action=action,
            )
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(request, f"{the_area.title}: saved.")
            return redirect("review_detail", school=request.school.slug, pk=review.pk)
    figures = _figures(request, review)
    return render(
        request,
        "oversight/review_area.html",
        {
            "review": review,
            "area": the_area,
            "form": form,
            "evidence": [figures[key] for key in the_area.figures if key in figures],
            "actions": review.actions.filter(area=area).select_related("owner__user"),
        },
    )


@require_POST
def review_complete(request, school, pk):
    review = _review(request, pk)
    try:
        doors.complete_review(request.actor, review)
    except Refused as exc:
        messages.error(request, exc.decision.summary)
    else:
        messages.success(
            request, f"Self-review {review.number} completed: its evidence is kept as it is now."
        )
    return redirect("review_detail", school=request.school.slug, pk=review.pk)


@require_POST
def review_action_done(request, school, pk):
    """An agreed action marked done (through the door ``complete_action``); back to the review it was marked
    on — the one that agreed it, or a later one that carried it forward."""
    action = get_object_or_404(ReviewAction, school=request.school, pk=pk)
    try:
        doors.complete_action(request.actor, action)
    except Refused as exc:
        messages.error(request, exc.decision.summary)
    else:
        messages.success(request, f"Action marked done: {action.what}")
    shown = SelfReview.objects.filter(school=request.school, pk=parse_id(request.POST.get("review"))).first()
    return redirect("review_detail", school=request.school.slug, pk=(shown or action.review).pk)
