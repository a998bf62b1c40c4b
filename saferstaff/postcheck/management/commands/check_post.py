import json as json_module
import sys

from django.core.management.base import BaseCommand, CommandError

from saferstaff.postcheck.drafts import check_draft
from saferstaff.schools.setup import school_for_command


class Command(BaseCommand):
    help = (
        "Check a draft post (read from stdin) against the school's policy (§4). With --json, prints "
        '{"verdict": ..., "findings": [{"kind", "start", "end", "text", "section", "advice", "pupil_upn"}]}. '
        "Nothing is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--bio", action="store_true", help="the draft is a profile, not a post")

    def handle(self, *args, school, json=False, bio=False, **options):
        school_obj = school_for_command(school)
        text = sys.stdin.read()
        # The operator at the server: the whole roll (the output names a pupil by UPN).
        result = check_draft(school_obj, text, with_pupils=True, form="bio" if bio else "post")
        if result.too_long:
            raise CommandError("The draft is too long to check: paste one post or profile at a time.")
        if json:
            self.stdout.write(json_module.dumps(result.as_json(), ensure_ascii=False))
            return
        self.stdout.write(f"Verdict: {result.verdict}")
        for f in result.findings:
            self.stdout.write(f"- {f.kind} §{f.section}: {f.text!r} — {f.advice}")
