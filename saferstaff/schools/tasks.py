from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth import get_user_model
from django.tasks import task
from django.urls import reverse

from saferstaff.notifications.outbox import send_once
from saferstaff.schools.models import School


@task(takes_context=True)
def send_invitation(context, user_id: int, school_id: int) -> None:
    """Email a new member a link to choose their password. The link is the standard single-use,
    time-limited password-reset key, so no password is ever sent. Once per job: a person added again later is
    invited again."""
    user = get_user_model().objects.get(pk=user_id)
    school = School.objects.get(pk=school_id)
    key = default_token_generator.make_token(user)
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": key})
    body = (
        f"{school.name} has added you to saferstaff, where you read and accept the school's online safety "
        "guidance and make the requests it asks for.\n\n"
        f"Choose your password here: {settings.SITE_URL}{path}\n\n"
        "The link works once. If it has expired, use 'Forgotten your password?' on the sign-in page.\n"
    )
    send_once(f"invitation:{context.task_result.id}", "You have been added to saferstaff", body, [user.email])
