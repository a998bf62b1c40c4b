"""Who is acting, for which school, in which request — kept in a context variable so that audit events
and log lines can name them without passing the request everywhere. No model imports here: the logging
configuration loads this module before Django's apps are ready."""

import contextlib
import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class AuditContext:
    actor_id: int | None = None
    school_id: int | None = None
    request_id: str = ""


_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "audit_context", default=AuditContext()
)


def current_context() -> AuditContext:
    return _context.get()


def set_context(ctx: AuditContext) -> contextvars.Token:
    return _context.set(ctx)


def reset_context(token: contextvars.Token) -> None:
    _context.reset(token)


@contextlib.contextmanager
def acting_as(actor_id: int | None = None, school_id: int | None = None, request_id: str = ""):
    token = _context.set(AuditContext(actor_id, school_id, request_id))
    try:
        yield
    finally:
        _context.reset(token)
