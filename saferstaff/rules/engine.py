"""The policy engine's vocabulary: every rule returns a Decision whose reasons cite the clause of the
school's guidance behind them (e.g. "§5"). Views, workers and commands ask rules; no rule is written twice.

Rules live in ``policy.rules``; a rule that decides on someone's action is declared with ``@rule(...)``
so that each decision it makes is written to the audit trail (rule name, outcome and sections — no content).
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field


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
    """Each of a refusal's reasons as an error of the form, beside the field it names (or above the form)."""
    for reason in decision.reasons:
        form.add_error(reason.field or None, str(reason))


def allow(*reasons: Reason) -> Decision:
    return Decision(True, tuple(reasons))


def refuse(*reasons: Reason) -> Decision:
    return Decision(False, tuple(reasons))


def rule(name: str, *, audited: bool = True):
    """Name a rule; when ``audited``, each decision is appended to the audit trail.

    The wrapped function's first ``subject`` keyword (if any model instance is passed as ``subject=``)
    becomes the audited object."""

    def wrap(fn: Callable[..., Decision]) -> Callable[..., Decision]:
        @functools.wraps(fn)
        def decide(*args, **kwargs) -> Decision:
            decision = fn(*args, **kwargs)
            decision = Decision(decision.allowed, decision.reasons, name)
            if audited:
                from saferstaff.audit.log import record

                record(
                    "policy.decision",
                    kwargs.get("subject"),
                    detail={"rule": name, "allowed": decision.allowed, "sections": decision.sections},
                )
            return decision

        decide.rule_name = name  # type: ignore[attr-defined]
        return decide

    return wrap
