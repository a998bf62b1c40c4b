"""Who is acting, for which school, in which request — kept in a context variable so that audit events
and log lines can name them without passing the request everywhere. No model imports here: the logging
configuration loads this module before Django's apps are ready."""

import contextlib
import contextvars
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AuditContext:
    actor_id: int | None = None
    school_id: int | None = None
    request_id: str = ""


_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "audit_context", default=AuditContext()
)


@dataclass
class GenerationsRead:
    """The audit generations (``audit.Generation``) read while serving one request, {scope: value}, so the
    compulsory-policy gate and the page's kept values read them once. A write in the request (``audit.log._bump``)
    forgets them and stops the memo for the rest of the request: a page sees its own writes, and nothing read
    inside a transaction that may yet roll back is remembered."""

    values: dict[int, int] = field(default_factory=dict)
    written: bool = False


# None outside a request: commands and workers read the generations afresh each time.
_generations_read: contextvars.ContextVar[GenerationsRead | None] = contextvars.ContextVar(
    "generations_read", default=None
)


@contextlib.contextmanager
def serving_request(ctx: AuditContext):
    """``ctx`` for the request being served, with a fresh memo of the generations it reads."""
    token, read = _context.set(ctx), _generations_read.set(GenerationsRead())
    try:
        yield
    finally:
        _generations_read.reset(read)
        _context.reset(token)


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
