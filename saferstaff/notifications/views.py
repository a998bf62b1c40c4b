from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe

from saferstaff.notifications.models import Notification
from saferstaff.paging import page_of


@require_safe
def notification_list(request):
    items = Notification.objects.filter(user=request.user).select_related("school")
    page = page_of(request, items, 30)
    return render(request, "notifications/list.html", {"page": page})


@require_safe
def notification_open(request, pk):
    # Someone else's notification is a 404: its id says nothing.
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    if notification.read_at is None:
        Notification.objects.filter(pk=pk).update(read_at=timezone.now())
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notification_list")
