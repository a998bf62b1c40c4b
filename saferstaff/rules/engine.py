"""The policy engine's vocabulary: every rule returns a Decision whose reasons cite the clause of the
school's guidance behind them (e.g. "§5"). Views, workers and commands ask rules; no rule is written twice.

Rules live in this room, one module per part of the guidance (``rules.policies``, ``rules.consent``,
``rules.images``, ``rules.biometrics``), each asked with the acting person's ``Actor`` (``schools.roles``);
a rule that decides on someone's action is declared with ``@rule(...)`` so that each decision it makes is
written to the audit trail (rule name, outcome and sections — no content). A page that only asks whether to
offer an action asks ``some_rule.peek(...)``: the same decision, not audited.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from saferstaff.audit.log import record


@dataclass(frozen=True)
class Reason:
    text: str
    section: str  # the clause of the guidance, e.g. "§2" or "§5"
    # The form field a person fixes to meet it, where there is one (a page shows the reason beside it).
    field: str = ""

    def __str__(self) -> str:
        return f"{self.text} ({self.section})"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    rule: str = ""

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def sections(self) -> list[str]:
        return sorted({r.section for r in self.reasons})

    @property
    def summary(self) -> str:
        head = "Allowed" if self.allowed else "Not allowed"
        if not self.reasons:
            return head
        return f"{head}: " + "; ".join(str(r) for r in self.reasons)


def show_on_form(form, decision: Decision) -> None:
    """Each of a refusal's reasons as an error of the form, beside the field it names (or above the form,
    when the form has no such field: a door's reason may name a field of another form)."""
    for reason in decision.reasons:
        form.add_error(reason.field if reason.field in form.fields else None, str(reason))


def run_form(form, door) -> bool:
    """Call ``door`` with the form's cleaned data when the form is valid; a refusal lands beside the fields it
    names. True when done."""
    if not form.is_valid():
        return False
    try:
        door(form.cleaned_data)
    except Refused as exc:
        show_on_form(form, exc.decision)
        return False
    return True


def allow(*reasons: Reason) -> Decision:
    return Decision(True, tuple(reasons))


def refuse(*reasons: Reason) -> Decision:
    return Decision(False, tuple(reasons))


class Refused(Exception):
    """An action a rule refused, raised by the service that asked it; ``decision`` carries the reasons."""

    def __init__(self, decision: Decision):
        super().__init__(decision.summary)
        self.decision = decision


def enforce(decision: Decision) -> Decision:
    """A door's check: go on when the rule allows; raise ``Refused`` with its reasons when it does not."""
    if not decision:
        raise Refused(decision)
    return decision


def refused(text: str, section: str, field: str = "") -> Refused:
    """One reason, as the exception a door raises: ``raise refused("Say why", "§8", "why")``."""
    return Refused(refuse(Reason(text, section, field)))


def require(section: str, messages: dict[str, str] | None = None, **values) -> None:
    """Refuse, naming each field, any of ``values`` left empty (a record nobody can act on is not kept);
    ``messages`` says what to do for a field, beside it on every form that sends it."""
    missing = [name for name, value in values.items() if not str(value or "").strip()]
    if missing:
        messages = messages or {}
        raise Refused(
            refuse(*(Reason(messages.get(n, "This cannot be left empty"), section, n) for n in missing))
        )


def rule(name: str, *, audited: bool = True):
    """Name a rule; when ``audited``, each decision is appended to the audit trail.

    The model instance passed as ``subject=`` (if any) becomes the audited object. ``rule.peek(...)`` asks
    the same question without writing to the audit trail: for a page deciding what to offer, and for a rule
    asking another rule on the way to its own (audited) decision."""

    def wrap(fn: Callable[..., Decision]) -> Callable[..., Decision]:
        @functools.wraps(fn)
        def peek(*args, **kwargs) -> Decision:
            decision = fn(*args, **kwargs)
            return Decision(decision.allowed, decision.reasons, name)

        @functools.wraps(fn)
        def decide(*args, **kwargs) -> Decision:
            decision = peek(*args, **kwargs)
            if audited:
                record(
                    "policy.decision",
                    kwargs.get("subject"),
                    detail={"rule": name, "allowed": decision.allowed, "sections": decision.sections},
                )
            return decision

        decide.rule_name = name  # type: ignore[attr-defined]
        decide.peek = peek  # type: ignore[attr-defined]
        return decide

    return wrap
