"""Request-wide context: a request id for logs and the audit trail, and who is acting."""

import logging
import re
import uuid

from django.conf import settings

from saferstaff.audit.context import AuditContext, current_context, reset_context, set_context

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9-]{8,36}$")


class RequestIdMiddleware:
    """Takes a well-formed X-Request-ID from the proxy in front (when TRUST_REQUEST_ID_HEADER says there is
    one that sets it), or makes one; echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "") if settings.TRUST_REQUEST_ID_HEADER else ""
        request.request_id = incoming if _REQUEST_ID_OK.match(incoming) else uuid.uuid4().hex
        token = set_context(AuditContext(request_id=request.request_id))
        try:
            response = self.get_response(request)
        finally:
            reset_context(token)
        response["X-Request-ID"] = request.request_id
        return response


class PermissionsPolicyMiddleware:
    """Switches off the browser features no page uses (settings.PERMISSIONS_POLICY), on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class AuditContextMiddleware:
    """After authentication: the signed-in user becomes the actor of every audit event of this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        actor_id = request.user.pk if request.user.is_authenticated else None
        token = set_context(AuditContext(actor_id=actor_id, request_id=getattr(request, "request_id", "")))
        try:
            return self.get_response(request)
        finally:
            reset_context(token)


class RequestIdLogFilter(logging.Filter):
    """Adds the request id to every line, and keeps guardians' portal links out of the logs: a link is a
    key to a family's consent choices (Django logs the path of every 4xx response)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_context().request_id or "-"
        if record.args and any(isinstance(a, str) and "/portal/" in a for a in record.args):
            record.args = tuple(
                _PORTAL_TOKEN.sub("/portal/…/", a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str) and "/portal/" in record.msg:
            record.msg = _PORTAL_TOKEN.sub("/portal/…/", record.msg)
        return True


_PORTAL_TOKEN = re.compile(r"/portal/[^/\s]+/")
