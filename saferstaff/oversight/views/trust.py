"""§2 across a trust: the trust's admin sees every school's figures side by side, those that need help first."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from saferstaff.oversight.attention import THRESHOLDS
from saferstaff.oversight.figures import FIGURES
from saferstaff.oversight.trust import short, trust_rows


@require_safe
def trust_oversight(request, trust):
    rows = trust_rows(request.trust)
    keys = [figure.__name__ for figure in FIGURES]
    titles = [rows[0].figures[key].title for key in keys] if rows else []
    table = [
        {"row": row, "cells": [(row.figures[key].title, short(row.figures[key])) for key in keys]}
        for row in rows
    ]
    return render(
        request,
        "oversight/trust.html",
        {
            "trust": request.trust,
            "titles": titles,
            "table": table,
            "thresholds": THRESHOLDS,
            "needing": sum(1 for row in rows if row.needs),
        },
    )
