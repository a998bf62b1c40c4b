"""Request-wide context: a request id for logs and the audit trail, who is acting, and a clear answer while the
database is switching to its standby."""

import contextlib
import logging
import re
import sys
import uuid

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse
from django.template.loader import render_to_string

from saferstaff.audit.context import (
    AuditContext,
    current_context,
    reset_context,
    serving_request,
    set_context,
)

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
        with serving_request(AuditContext(actor_id=actor_id, request_id=getattr(request, "request_id", ""))):
            return self.get_response(request)


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


# --- The database is unavailable (its primary failed and the standby is taking over; ADR 0012) -------------------
# What a lost or refused connection raises, on any backend (psycopg's connection errors, a server shutting down,
# "connection already closed"; SQLite's "database is locked" too, which a retry also answers).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
SAFE_METHODS = {"GET", "HEAD"}
logger = logging.getLogger("saferstaff.database")


def _note_database_error(sender, request=None, **kwargs):
    """Django turns an exception in a view or a middleware into a 500 response where it happens, and tells this
    signal first: mark the request, for DatabaseUnavailableMiddleware to answer it."""
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, DATABASE_UNAVAILABLE):
        request.database_error = type(error).__name__


got_request_exception.connect(_note_database_error, dispatch_uid="saferstaff.database_unavailable")


class DatabaseUnavailableMiddleware:
    """A request that lost its database connection gets "saferstaff is switching to its standby database" (503,
    Retry-After) instead of a 500, and the broken connection is closed so the next request connects afresh (to
    whichever host takes writes now). A GET or HEAD is tried once more first: it changes nothing, so running it
    again is safe. A POST never is: its transaction may have committed before the connection broke, and a
    second run could save it twice; the person sees the 503 and checks."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.database_error = None
        response = self.get_response(request)
        if not request.database_error:
            return response
        close_broken_connections()
        if request.method in SAFE_METHODS:
            logger.warning(
                "database unavailable (%s) on %s: trying once more", request.database_error, _where(request)
            )
            request.database_error = None
            response = self.get_response(request)
            if not request.database_error:
                return response
            close_broken_connections()
        logger.warning(
            "database unavailable (%s) on %s %s: answered 503",
            request.database_error,
            request.method,
            _where(request),
        )
        response = HttpResponse(render_to_string("errors/503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response._has_been_logged = True  # by the line above; Django would log the path again, as an error
        return response


def close_broken_connections() -> None:
    """Close this thread's connections: a closed one reconnects on its next query; a broken one never would."""
    for connection in connections.all(initialized_only=True):
        with contextlib.suppress(DatabaseError):
            connection.close()


def _where(request) -> str:
    """The view's name, not its path: paths carry guardians' portal tokens and object ids of children."""
    match = getattr(request, "resolver_match", None)
    return match.view_name if match else "an unresolved page"


class DatabaseUnavailableLogFilter(logging.Filter):
    """Keeps Django's "Internal Server Error" and its stack trace out of the log for a lost database connection:
    DatabaseUnavailableMiddleware logs one line of its own and answers 503."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DATABASE_UNAVAILABLE))
