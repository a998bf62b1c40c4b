from django.conf import settings
from django.urls import reverse

from saferstaff.access import allowed_for
from saferstaff.notifications.models import Notification


def saferstaff(request):
    ctx = {"STATIC_PREFIX": settings.STATIC_URL, "current_school": None, "nav_items": []}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ctx

    ctx["unread_notifications"] = Notification.objects.filter(user=user, read_at__isnull=True).count()
    places = user.memberships.active().count() + user.trust_admin_of.count()
    ctx["has_several_places"] = places > 1
    school = getattr(request, "school", None)
    if school is None:
        return ctx
    ctx["current_school"] = school
    roles = request.roles
    current = request.resolver_match.url_name if request.resolver_match else ""
    items = [
        ("school_dashboard", "Overview", {"school_dashboard"}),
        (
            "staff_list",
            "Staff",
            {"staff_list", "staff_detail", "staff_add", "staff_import", "staff_roles", "staff_leave"},
        ),
        (
            "policy_list",
            "Policies",
            {
                "policy_list",
                "policy_import",
                "policy_version",
                "policy_publish",
                "policy_changes",
                "policy_accept",
                "policies_to_accept",
                "policy_audience",
                "policy_decline",
                "policy_accept_for",
                "policy_dashboard",
                "policy_search",
                "policy_questions",
                "policy_review_date",
                "policy_draft_delete",
            },
        ),
        ("draft_check", "Check a post", {"draft_check"}),
        ("pupil_list", "Pupils", {"pupil_list", "pupil_detail"}),
        (
            "consent_register",
            "Consent",
            {
                "consent_register",
                "pupil_consent",
                "consent_record",
                "portal_links",
                "consent_purposes",
                "consent_purpose_edit",
                "pupil_faces",
            },
        ),
        (
            "activity_list",
            "Photos",
            {
                "activity_list",
                "activity_new",
                "activity_detail",
                "activity_checklist",
                "activity_upload",
                "image_list",
                "image_detail",
                "image_publish",
                "device_list",
                "device_add",
                "device_edit",
                "publication_list",
                "activity_screen",
                "screening_progress",
                "face_review",
                "takedown_list",
                "takedown_done",
            },
        ),
        (
            "conduct_mine",
            "Conduct",
            {
                "conduct_mine",
                "conduct_waiting",
                "disclosure_new",
                "disclosure_list",
                "disclosure_detail",
                "disclosure_edit",
                "disclosure_outcome",
                "contact_channels",
                "contact_register",
                "contact_request",
                "contact_detail",
                "contact_decide",
                "contact_withdraw",
                "equipment_register",
                "equipment_request",
                "equipment_detail",
                "equipment_decide",
                "equipment_withdraw",
                "concern_list",
                "concern_new",
                "concern_detail",
                "concern_outcome",
                "concern_escalate",
                "concern_person",
                "conduct_summary",
            },
        ),
        (
            "incidents_mine",
            "Incidents",
            {
                "incidents_mine",
                "incident_report",
                "allegation_report",
                "evidence_add",
                "evidence_download",
                "evidence_seal",
                "evidence_custody",
                "case_list",
                "case_detail",
                "case_triage",
                "case_involve",
                "case_share",
                "action_add",
                "action_done",
                "note_add",
                "note_edit",
                "contact_add",
                "case_close",
                "case_chronology",
                "person_timeline",
                "pupil_timeline",
                "incident_trends",
            },
        ),
        (
            "privacy_home",
            "Data protection",
            {
                "privacy_home",
                "breach_report",
                "breach_list",
                "breach_detail",
                "breach_manage",
                "sharing_list",
                "sharing_add",
                "sharing_detail",
                "sharing_complete",
                "records_processing",
                "dpia",
                "sar_list",
                "sar_add",
                "sar_detail",
                "sar_identity",
                "sar_pause",
                "sar_resume",
                "sar_extend",
                "sar_checklist",
                "sar_bundle",
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
            },  # fmt: skip
        ),
        ("roster_upload", "Import from MIS", {"roster_upload", "roster_preview"}),
        ("audit_trail", "Audit trail", {"audit_trail"}),
        ("school_settings", "Settings", {"school_settings"}),
        ("closure_days", "Closure days", {"closure_days"}),
    ]
    for name, label, section in items:
        if allowed_for(name, roles):
            ctx["nav_items"].append(
                {
                    "url": reverse(name, kwargs={"school": school.slug}),
                    "label": label,
                    "current": current in section,
                }
            )
    return ctx
