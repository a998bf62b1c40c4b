"""Who may open which page: ONE table, URL name → roles, enforced for every request by one middleware.

- A page missing from the map is refused (fail closed), and ``tests/test_access_map.py`` walks every URL
  pattern × role × own/other school and fails with instructions when a page is missing or answers wrongly.
- School pages take a ``school`` slug in the URL. Someone with no place at that school gets 404 (we do not
  say that it exists); a member whose roles are not in the map gets 403.
- Objects inside a school are then fetched with the helpers in ``saferstaff.schools.access`` (404 when the
  object belongs to another school).
"""

import logging
from dataclasses import replace

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from saferstaff.audit.context import current_context, set_context
from saferstaff.schools.models import School, Trust
from saferstaff.schools.roles import (
    CONSENT_KEEPERS,
    DPO,
    DSL,
    EVERY_ROLE,
    GOV,
    LEADERSHIP,
    OFFICE,
    PHOTOGRAPHERS,
    SENIOR_MANAGEMENT,
    SLT,
    TRUST_ADMIN,
    WORKS_WITH_PUPILS,
    Actor,
    H,
    roles_at,
    standing_of,
)

log = logging.getLogger(__name__)

PUBLIC = "public"  # no sign-in needed (sign-in pages, health checks)
SIGNED_IN = "signed_in"  # any signed-in person; not tied to one school
CLOSED = "closed"  # a page a library provides that saferstaff keeps shut for everyone


def _roles(*roles: str) -> frozenset[str]:
    return frozenset(roles)


ACCESS_MAP: dict[str, frozenset[str]] = {
    # Sign-in and account pages (django-allauth). They check sign-in themselves where they need it.
    **{
        name: _roles(PUBLIC)
        for name in (
            "account_login",
            "account_logout",
            "account_signup",
            "account_reset_password",
            "account_reset_password_done",
            "account_reset_password_from_key",
            "account_reset_password_from_key_done",
            "account_confirm_login_code",
            "account_inactive",
            "account_reauthenticate",
            "mfa_authenticate",
            "mfa_reauthenticate",
            "mfa_reauthenticate_webauthn",
            "socialaccount_login_cancelled",
            "socialaccount_login_error",
            "socialaccount_signup",
            "openid_connect_login",
            "openid_connect_callback",
            "healthz",
            "readyz",  # database, storage and queue: "ok" or "failed", nothing about schools or people
            # Guardians have no account: a signed, expiring link (consent.services.open_portal_link).
            "portal",
            "portal_receipt",
        )
    },
    **{
        name: _roles(SIGNED_IN)
        for name in (
            "account_change_password",
            "account_set_password",
            "socialaccount_connections",
            "account_request_reauthentication_code",
            "account_confirm_reauthentication_code",
            "mfa_index",
            "mfa_activate_totp",
            "mfa_deactivate_totp",
            "mfa_view_recovery_codes",
            "mfa_generate_recovery_codes",
            "mfa_download_recovery_codes",
            # Security keys and passkeys: allauth finds only the signed-in person's own keys.
            "mfa_list_webauthn",
            "mfa_add_webauthn",
            "mfa_edit_webauthn",
            "mfa_remove_webauthn",
            "home",
            "choose_school",
            "invitation_accept",  # the view finds only the signed-in person's own waiting invitation
            "notification_list",
            "notification_open",
        )
    },
    # Work email addresses are the school's to manage: a person who could add or change their own address
    # could claim a colleague's before the school adds it, and receive that colleague's roles.
    **{
        name: _roles(CLOSED)
        for name in ("account_email", "account_confirm_email", "account_email_verification_sent")
    },
    # A trust's or Local Authority's own pages (``trust`` slug in the URL).
    "trust_dashboard": _roles(TRUST_ADMIN),
    # §2 across the trust: every school's figures side by side (counts only; incidents blurred as governors').
    "trust_oversight": _roles(TRUST_ADMIN),
    "school_create": _roles(TRUST_ADMIN),
    "trust_policy_publish": _roles(TRUST_ADMIN),
    # School pages (``school`` slug in the URL).
    "school_dashboard": EVERY_ROLE | {TRUST_ADMIN},
    "staff_list": LEADERSHIP | {TRUST_ADMIN},
    "staff_detail": LEADERSHIP | {TRUST_ADMIN},
    "staff_add": _roles(H, TRUST_ADMIN),
    "staff_import": _roles(H, TRUST_ADMIN),
    "staff_roles": _roles(H, TRUST_ADMIN),
    "staff_leave": _roles(H, TRUST_ADMIN),
    "pupil_list": WORKS_WITH_PUPILS,
    "pupil_detail": WORKS_WITH_PUPILS,
    "roster_upload": _roles(H, SLT, DPO, TRUST_ADMIN),
    "roster_preview": _roles(H, SLT, DPO, TRUST_ADMIN),
    "school_settings": _roles(H),
    # The Headteacher turns it on; the trust's admin can turn it off when the school's tenant is down.
    "school_sign_in": _roles(H, TRUST_ADMIN),
    # §8: who did what to which record — the Headteacher and the data protection officer.
    "audit_trail": _roles(H, DPO),
    # §2: every member of staff must read the guidance; the Headteacher and senior leaders prepare it.
    "policy_list": EVERY_ROLE,
    "policy_version": EVERY_ROLE,
    "policy_import": _roles(H, SLT),
    "policy_publish": _roles(H, SLT),
    "policy_review_date": _roles(H, SLT),
    "policy_draft_delete": _roles(H, SLT),
    "policy_questions": _roles(H, SLT),
    "policy_changes": EVERY_ROLE,
    "policy_accept": EVERY_ROLE,
    "policy_search": EVERY_ROLE,
    "draft_check": EVERY_ROLE,
    "draft_check_api": EVERY_ROLE,
    "draft_check_delete": EVERY_ROLE,
    "policy_decline": EVERY_ROLE,
    "policy_accept_for": _roles(H),
    # The scan of a signed paper acceptance: who records them, and the DPO (§8: no wider than that).
    "policy_acceptance_scan": _roles(H, SLT, DPO),
    "policies_to_accept": EVERY_ROLE,
    "policy_audience": _roles(H, SLT),
    # §2: governors oversee that the guidance is shared and adhered to.
    "policy_dashboard": _roles(H, SLT, GOV),
    "policy_dashboard_csv": _roles(H, SLT, GOV),
    "policy_dashboard_pdf": _roles(H, SLT, GOV),
    # §5 images of pupils.
    "consent_register": WORKS_WITH_PUPILS,
    "pupil_consent": WORKS_WITH_PUPILS,
    "consent_record": CONSENT_KEEPERS,
    # Face matching enrolment (biometric data): those who keep consent records.
    "pupil_faces": CONSENT_KEEPERS,
    "faces_import": CONSENT_KEEPERS,
    "consent_evidence": CONSENT_KEEPERS,
    "portal_links": CONSENT_KEEPERS,
    "consent_purposes": SENIOR_MANAGEMENT,
    "consent_purpose_edit": SENIOR_MANAGEMENT,
    "device_list": PHOTOGRAPHERS | CONSENT_KEEPERS,
    "device_add": SENIOR_MANAGEMENT | {OFFICE},
    "device_edit": SENIOR_MANAGEMENT | {OFFICE},
    "activity_list": PHOTOGRAPHERS | LEADERSHIP,
    "activity_new": PHOTOGRAPHERS,
    "activity_detail": PHOTOGRAPHERS | LEADERSHIP,
    "activity_decide": SENIOR_MANAGEMENT,
    "activity_checklist": PHOTOGRAPHERS | LEADERSHIP,
    "activity_upload": PHOTOGRAPHERS,
    "activity_screen": PHOTOGRAPHERS,
    "screening_progress": PHOTOGRAPHERS | LEADERSHIP,
    "face_review": PHOTOGRAPHERS,
    "face_crop": PHOTOGRAPHERS | LEADERSHIP,
    "face_reference": PHOTOGRAPHERS,
    "image_list": PHOTOGRAPHERS | LEADERSHIP,
    "image_detail": PHOTOGRAPHERS | LEADERSHIP,
    "image_file": PHOTOGRAPHERS | LEADERSHIP,
    "image_thumbnail": PHOTOGRAPHERS | LEADERSHIP,
    "image_tags": PHOTOGRAPHERS,
    "image_publish": PHOTOGRAPHERS,
    "image_flag": SENIOR_MANAGEMENT,
    "publication_request": PHOTOGRAPHERS,
    "publication_request_face": PHOTOGRAPHERS,
    "publication_approvals": SENIOR_MANAGEMENT,
    "publication_list": PHOTOGRAPHERS | LEADERSHIP,
    "publication_detail": PHOTOGRAPHERS | LEADERSHIP,  # its publisher, or anyone who sees the whole register
    "publication_take_down": PHOTOGRAPHERS,
    "publication_copy": PHOTOGRAPHERS | LEADERSHIP,
    "takedown_list": PHOTOGRAPHERS,
    "site_list": SENIOR_MANAGEMENT,  # the school's own websites, swept weekly (rules.images.may_change_sites)
    "takedown_done": PHOTOGRAPHERS,
    "takedown_check": PHOTOGRAPHERS,  # get_takedown, then rules.images.may_check_takedown
    "takedown_overrule": SENIOR_MANAGEMENT,  # rules.images.may_overrule_check
    "takedown_evidence": PHOTOGRAPHERS,  # get_takedown: the publisher's own, or any for senior management
    "takedown_check_page": PHOTOGRAPHERS,  # get_takedown, as the evidence above: the page a check kept
    # §3, §4, §6 and KCSIE Part 4 (the conduct room). Disclosures, permissions and concerns are special records:
    # the page's object check (saferstaff.conduct.access) narrows each row to the people the rules name, and
    # answers 404 to everyone else (README: "Who sees disclosures, permissions and concerns").
    "conduct_mine": EVERY_ROLE,
    "conduct_waiting": _roles(H, SLT, GOV, DSL),
    "disclosure_new": EVERY_ROLE,
    "disclosure_list": _roles(H, GOV, DSL),
    "disclosure_detail": EVERY_ROLE,  # the discloser's own; the Headteacher (or chair); the DSL if the school says
    "disclosure_edit": EVERY_ROLE,  # the discloser's own, until an outcome is recorded
    "disclosure_outcome": _roles(H, GOV),  # GOV: the chair of governors, for the Headteacher's own
    "contact_channels": SENIOR_MANAGEMENT,
    "contact_register": LEADERSHIP,
    "contact_request": EVERY_ROLE,
    "contact_detail": EVERY_ROLE,  # the requester's own; leadership; the chair for the Headteacher's own
    "contact_decide": SENIOR_MANAGEMENT | {GOV},
    "contact_withdraw": EVERY_ROLE,
    "equipment_register": LEADERSHIP,
    "equipment_request": EVERY_ROLE,
    "equipment_detail": EVERY_ROLE,
    "equipment_decide": SENIOR_MANAGEMENT | {GOV},
    "equipment_withdraw": EVERY_ROLE,
    "concern_new": EVERY_ROLE,
    "concern_list": _roles(
        H, GOV, DSL
    ),  # each sees only what is routed to them (never a concern about themselves)
    "concern_detail": _roles(H, GOV, DSL),  # the DSL: escalated concerns only
    "concern_outcome": _roles(H, GOV),
    "concern_escalate": _roles(H, GOV),
    "concern_person": _roles(H, GOV),
    # KCSIE: governors see counts only, never names.
    "conduct_summary": _roles(H, GOV),
    "conduct_summary_pdf": _roles(H, GOV),
    "conduct_export_csv": _roles(H),
    "conduct_export_pdf": _roles(H),
    # §9 and KCSIE Part 4 (the incidents room). A case is read by its manager (the designated persons; for an
    # allegation its case manager), whoever they add and its reporter; never by the person it is about. The
    # object check (saferstaff.incidents.access) answers 404 to everyone else.
    "incidents_mine": EVERY_ROLE,
    "incident_report": EVERY_ROLE,
    "allegation_report": EVERY_ROLE,
    "evidence_add": EVERY_ROLE,  # whoever reads the open case
    "evidence_download": EVERY_ROLE,  # the case's manager and whoever added the item
    "evidence_seal": _roles(H, DSL, GOV),  # the DSL; an allegation's case manager (Headteacher or chair)
    "evidence_custody": _roles(H, DSL, GOV),
    # The cases a person runs or was added to (need to know), and their own actions; the chair of governors runs
    # allegations about the Headteacher. Search is for the designated persons (rules.incidents.may_search_cases).
    "case_list": EVERY_ROLE,
    "case_detail": EVERY_ROLE,
    "case_triage": _roles(H, DSL, GOV),
    "case_involve": _roles(H, DSL, GOV),
    "case_share": _roles(H, DSL, GOV),
    "action_add": _roles(H, DSL, GOV),
    "action_done": EVERY_ROLE,  # its owner, or the case's manager
    "note_add": EVERY_ROLE,  # the case's manager and whoever they added
    "note_edit": EVERY_ROLE,  # the note's author only
    "contact_add": _roles(H, DSL, GOV),
    "case_close": _roles(H, DSL, GOV),
    "case_chronology": _roles(H, DSL, GOV),
    "case_chronology_pdf": _roles(H, DSL, GOV),
    "person_timeline": _roles(H, DSL, GOV),
    "pupil_timeline": _roles(H, DSL),
    "incident_trends": _roles(H, DSL, GOV),  # governors: counts only, no names
    "closure_days": SENIOR_MANAGEMENT | {OFFICE},
    # Subject access: the DPO (and the Headteacher) export everything held about a pupil.
    # §8 (the privacy room): the data-protection officer and the Headteacher keep the records (rules.privacy).
    # Any member of staff reports a breach and reads their own report; the DSL also keeps the sharing log (the
    # police and LADO referrals it records). Nobody reads a request, a disclosure or a breach about themselves.
    "privacy_home": EVERY_ROLE,  # everyone: report a breach; the officers: the registers
    "breach_report": EVERY_ROLE,
    "breach_detail": EVERY_ROLE,  # the officers, and the person who reported it
    "breach_list": _roles(H, DPO),
    "breach_manage": _roles(H, DPO),
    **{
        name: _roles(H, DPO, DSL)
        for name in ("sharing_list", "sharing_add", "sharing_detail", "sharing_complete")
    },
    **{
        name: _roles(H, DPO)
        for name in (
            "records_processing",
            "records_processing_pdf",
            "dpia",
            "dpia_pdf",
            "sar_list",
            "sar_add",
            "sar_detail",
            "sar_identity",
            "sar_pause",
            "sar_resume",
            "sar_extend",
            "sar_checklist",
            "sar_bundle",
            "sar_bundle_download",
            "sar_close",
            "seen_search",
            "seen_pupil",
            "seen_member",
            "retention_schedule",
            "retention_rule",
            "retention_due",
            "retention_certificates",
            "hold_list",
            "hold_add",
            "hold_release",
        )  # fmt: skip
    },
    # §2: the school's self-review of its online safety. The Headteacher and senior leaders write it; the
    # governors (the chair among them) read it and its figures — counts only, never a pupil or a name.
    "review_list": SENIOR_MANAGEMENT | {GOV},
    "review_detail": SENIOR_MANAGEMENT | {GOV},
    "review_start": SENIOR_MANAGEMENT,
    "review_area": SENIOR_MANAGEMENT,
    "review_complete": SENIOR_MANAGEMENT,
    "review_action_done": SENIOR_MANAGEMENT,
    # §2: the inspection evidence pack speaks for the school: the Headteacher and senior leaders make it (not the
    # DPO or a DSL alone, each of whom answers for one part of it: oversight.pack.may_make).
    "pack_page": SENIOR_MANAGEMENT,
    "pack_make": SENIOR_MANAGEMENT,
    "pack_certificate": SENIOR_MANAGEMENT,
    # §2: the termly governors' report. The governors (the chair among them), the Headteacher and senior leaders
    # read it; the Headteacher and senior leaders make it on demand (the daily job makes it on its schedule).
    "report_list": SENIOR_MANAGEMENT | {GOV},
    "report_pdf": SENIOR_MANAGEMENT | {GOV},
    "report_make": SENIOR_MANAGEMENT,
}


def allowed_for(url_name: str, roles: frozenset[str]) -> bool:
    return bool(ACCESS_MAP.get(url_name, frozenset()) & roles)


class AccessMapMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.school = None
        request.membership = None
        request.trust = None
        request.roles = frozenset()
        request.actor = Actor(request.user)  # with their school and roles once the page names a school
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        name = match.url_name if match else None
        if match and match.namespace:
            name = f"{match.namespace}:{name}"
        allowed = ACCESS_MAP.get(name or "")
        if allowed is None:
            # Fail closed: a page nobody put in the map is open to nobody.
            log.error("url name %r is not in the access map; refusing", name)
            raise PermissionDenied("This page is not in the access map.")
        if CLOSED in allowed:
            raise PermissionDenied("Email addresses are managed by your school.")
        if PUBLIC in allowed:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if SIGNED_IN in allowed:
            return None
        if "school" in view_kwargs:
            school = get_object_or_404(School.objects.select_related("trust"), slug=view_kwargs["school"])
            membership, roles = roles_at(request.user, school, standing_of(request))
            if not roles:
                raise Http404("No such school")  # not theirs: do not confirm it exists
            request.school, request.membership, request.roles = school, membership, roles
            request.actor = Actor(request.user, school, membership, roles)
            # Audit rows written while serving this page belong to its school (reset with the request's context).
            set_context(replace(current_context(), school_id=school.pk))
        elif "trust" in view_kwargs:
            trust = get_object_or_404(Trust, slug=view_kwargs["trust"])
            if trust.pk not in standing_of(request).trust_ids:
                raise Http404("No such trust")
            request.trust, request.roles = trust, frozenset({TRUST_ADMIN})
            request.actor = Actor(request.user, roles=request.roles)
        else:
            log.error("url name %r needs roles but has no school or trust in its URL", name)
            raise PermissionDenied("This page cannot be scoped to a school.")
        if not (request.roles & allowed):
            raise PermissionDenied("Your role at this school does not include this page.")
        return None
