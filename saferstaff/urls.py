from django.urls import include, path, register_converter
from django.urls.converters import IntConverter

from saferstaff import health
from saferstaff.audit import views as audit
from saferstaff.biometrics import views as biometrics
from saferstaff.conduct.views import concerns, disclosures, permissions
from saferstaff.consent import views as consent
from saferstaff.home import views as home
from saferstaff.incidents.views import cases, casework, chronology, report
from saferstaff.notifications import views as notifications
from saferstaff.oversight.views import pack, reports, reviews, trust
from saferstaff.photos.views import activities, library, sites, takedowns
from saferstaff.policies.views import acceptance as policy_acceptance
from saferstaff.policies.views import dashboards as policy_dashboards
from saferstaff.policies.views import versions as policy_versions
from saferstaff.postcheck import views as postcheck
from saferstaff.privacy.views import breaches, checklist, records, requests, retention, seen, sharing
from saferstaff.publishing import views as publishing
from saferstaff.schools import views as schools


class IdConverter(IntConverter):
    """A database id in an address: up to 18 digits. A longer number (a forged or mistyped id) matches no
    page, a 404, rather than reaching the database, which cannot hold it (a 500)."""

    regex = "[0-9]{1,18}"


register_converter(IdConverter, "id")

school = "s/<slug:school>/"

urlpatterns = [
    path("", schools.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("allauth.urls")),
    path("schools/", schools.choose_school, name="choose_school"),
    path("invitations/<id:pk>/", schools.invitation_accept, name="invitation_accept"),
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/<id:pk>/", notifications.notification_open, name="notification_open"),
    path("trusts/<slug:trust>/", home.trust_dashboard, name="trust_dashboard"),
    path("trusts/<slug:trust>/schools/new/", schools.school_create, name="school_create"),
    path("trusts/<slug:trust>/oversight/", trust.trust_oversight, name="trust_oversight"),
    path(
        "trusts/<slug:trust>/policies/publish/",
        policy_versions.trust_policy_publish,
        name="trust_policy_publish",
    ),
    path(school, home.school_dashboard, name="school_dashboard"),
    path(school + "staff/", schools.staff_list, name="staff_list"),
    path(school + "staff/add/", schools.staff_add, name="staff_add"),
    path(school + "staff/import/", schools.staff_import, name="staff_import"),
    path(school + "staff/<id:pk>/", schools.staff_detail, name="staff_detail"),
    path(school + "staff/<id:pk>/roles/", schools.staff_roles, name="staff_roles"),
    path(school + "staff/<id:pk>/leave/", schools.staff_leave, name="staff_leave"),
    path(school + "pupils/", schools.pupil_list, name="pupil_list"),
    path(school + "pupils/<id:pk>/", schools.pupil_detail, name="pupil_detail"),
    path(school + "import/", schools.roster_upload, name="roster_upload"),
    path(school + "import/<id:pk>/", schools.roster_preview, name="roster_preview"),
    path(school + "settings/", schools.school_settings, name="school_settings"),
    path(school + "settings/sign-in/", schools.school_sign_in, name="school_sign_in"),
    path(school + "audit/", audit.audit_trail, name="audit_trail"),
    path(school + "policies/", policy_versions.policy_list, name="policy_list"),
    path(school + "policies/import/", policy_versions.policy_import, name="policy_import"),
    path(school + "policies/to-accept/", policy_acceptance.policies_to_accept, name="policies_to_accept"),
    path(school + "policies/dashboard/", policy_dashboards.policy_dashboard, name="policy_dashboard"),
    path(school + "policies/search/", policy_dashboards.policy_search, name="policy_search"),
    path(school + "check/", postcheck.draft_check, name="draft_check"),
    path(school + "check/api/", postcheck.draft_check_api, name="draft_check_api"),
    path(school + "check/saved/<id:pk>/delete/", postcheck.draft_check_delete, name="draft_check_delete"),
    path(
        school + "policies/dashboard.csv", policy_dashboards.policy_dashboard_csv, name="policy_dashboard_csv"
    ),
    path(
        school + "policies/dashboard.pdf", policy_dashboards.policy_dashboard_pdf, name="policy_dashboard_pdf"
    ),
    path(school + "policies/<id:pk>/audience/", policy_versions.policy_audience, name="policy_audience"),
    path(
        school + "policies/<id:pk>/v<id:number>/accept/",
        policy_acceptance.policy_accept,
        name="policy_accept",
    ),
    path(
        school + "policies/<id:pk>/v<id:number>/questions/",
        policy_versions.policy_questions,
        name="policy_questions",
    ),
    path(
        school + "policies/<id:pk>/v<id:number>/decline/",
        policy_acceptance.policy_decline,
        name="policy_decline",
    ),
    path(
        school + "policies/<id:pk>/v<id:number>/accept-for/",
        policy_acceptance.policy_accept_for,
        name="policy_accept_for",
    ),
    path(
        school + "policies/acceptances/<id:pk>/scan/",
        policy_acceptance.policy_acceptance_scan,
        name="policy_acceptance_scan",
    ),
    path(school + "policies/<id:pk>/v<id:number>/", policy_versions.policy_version, name="policy_version"),
    path(
        school + "policies/<id:pk>/v<id:number>/publish/",
        policy_versions.policy_publish,
        name="policy_publish",
    ),
    path(
        school + "policies/<id:pk>/v<id:number>/changes/",
        policy_versions.policy_changes,
        name="policy_changes",
    ),
    path(
        school + "policies/<id:pk>/v<id:number>/delete/",
        policy_versions.policy_draft_delete,
        name="policy_draft_delete",
    ),
    path(
        school + "policies/<id:pk>/v<id:number>/review-date/",
        policy_versions.policy_review_date,
        name="policy_review_date",
    ),
    # §5 images of pupils
    path(school + "consent/", consent.consent_register, name="consent_register"),
    path(school + "consent/pupils/<id:pk>/", consent.pupil_consent, name="pupil_consent"),
    path(school + "consent/pupils/<id:pk>/record/", consent.consent_record, name="consent_record"),
    path(school + "consent/pupils/<id:pk>/face/", biometrics.pupil_faces, name="pupil_faces"),
    path(school + "consent/answers/<id:pk>/evidence/", consent.consent_evidence, name="consent_evidence"),
    path(school + "consent/links/", consent.portal_links, name="portal_links"),
    path(school + "consent/uses/", consent.consent_purposes, name="consent_purposes"),
    path(school + "consent/uses/<id:pk>/", consent.consent_purposes, name="consent_purpose_edit"),
    path("portal/<str:token>/", consent.portal, name="portal"),
    path("portal/<str:token>/receipt/<str:receipt>/", consent.portal_receipt, name="portal_receipt"),
    path(school + "devices/", activities.device_list, name="device_list"),
    path(school + "devices/add/", activities.device_edit, name="device_add"),
    path(school + "devices/<id:pk>/", activities.device_edit, name="device_edit"),
    path(school + "activities/", activities.activity_list, name="activity_list"),
    path(school + "activities/new/", activities.activity_new, name="activity_new"),
    path(school + "activities/<id:pk>/", activities.activity_detail, name="activity_detail"),
    path(school + "activities/<id:pk>/decide/", activities.activity_decide, name="activity_decide"),
    path(school + "activities/<id:pk>/check-list/", activities.activity_checklist, name="activity_checklist"),
    path(school + "activities/<id:pk>/upload/", activities.activity_upload, name="activity_upload"),
    path(school + "activities/<id:pk>/screen/", biometrics.activity_screen, name="activity_screen"),
    path(school + "screenings/<id:pk>/", biometrics.screening_progress, name="screening_progress"),
    path(school + "faces/enrol/", biometrics.faces_import, name="faces_import"),
    path(school + "faces/review/", biometrics.face_review, name="face_review"),
    path(school + "faces/<id:pk>/crop.jpg", biometrics.face_crop, name="face_crop"),
    path(school + "faces/reference/<id:pk>.jpg", biometrics.face_reference, name="face_reference"),
    path(school + "images/", library.image_list, name="image_list"),
    path(school + "images/<id:pk>/", library.image_detail, name="image_detail"),
    path(school + "images/<id:pk>/original/", library.image_file, name="image_file"),
    path(school + "images/<id:pk>/thumbnail/", library.image_thumbnail, name="image_thumbnail"),
    path(school + "images/<id:pk>/tags/", library.image_tags, name="image_tags"),
    path(school + "images/<id:pk>/publish/", publishing.image_publish, name="image_publish"),
    path(school + "images/<id:pk>/flag/", library.image_flag, name="image_flag"),
    path(school + "images/publishing/<id:pk>/", publishing.publication_request, name="publication_request"),
    path(
        school + "images/publishing/<id:pk>/faces/<id:n>.jpg",
        publishing.publication_request_face,
        name="publication_request_face",
    ),
    path(school + "publications/approvals/", publishing.publication_approvals, name="publication_approvals"),
    path(school + "publications/", takedowns.publication_list, name="publication_list"),
    path(school + "publications/<id:pk>/", takedowns.publication_detail, name="publication_detail"),
    path(
        school + "publications/<id:pk>/take-down/",
        takedowns.publication_take_down,
        name="publication_take_down",
    ),
    path(school + "publications/<id:pk>/copy/", publishing.publication_copy, name="publication_copy"),
    path(school + "takedowns/", takedowns.takedown_list, name="takedown_list"),
    path(school + "websites/", sites.site_list, name="site_list"),
    path(school + "takedowns/<id:pk>/", takedowns.takedown_done, name="takedown_done"),
    path(school + "takedowns/<id:pk>/check/", takedowns.takedown_check, name="takedown_check"),
    path(school + "takedowns/<id:pk>/overrule/", takedowns.takedown_overrule, name="takedown_overrule"),
    path(school + "takedowns/<id:pk>/evidence/", takedowns.takedown_evidence, name="takedown_evidence"),
    path(
        school + "takedowns/<id:pk>/checks/<id:check>/page/",
        takedowns.takedown_check_page,
        name="takedown_check_page",
    ),
    path(school + "conduct/", disclosures.my_conduct, name="conduct_mine"),
    path(school + "conduct/waiting/", disclosures.waiting, name="conduct_waiting"),
    path(school + "conduct/disclose/", disclosures.disclosure_new, name="disclosure_new"),
    path(school + "conduct/disclosures/", disclosures.disclosure_list, name="disclosure_list"),
    path(school + "conduct/disclosures/<id:pk>/", disclosures.disclosure_detail, name="disclosure_detail"),
    path(school + "conduct/disclosures/<id:pk>/edit/", disclosures.disclosure_edit, name="disclosure_edit"),
    path(
        school + "conduct/disclosures/<id:pk>/outcome/",
        disclosures.disclosure_outcome,
        name="disclosure_outcome",
    ),
    path(school + "conduct/channels/", disclosures.contact_channels, name="contact_channels"),
    path(school + "conduct/contact/", permissions.contact_register, name="contact_register"),
    path(school + "conduct/contact/ask/", permissions.contact_request, name="contact_request"),
    path(school + "conduct/contact/<id:pk>/", permissions.contact_detail, name="contact_detail"),
    path(school + "conduct/contact/<id:pk>/decide/", permissions.contact_decide, name="contact_decide"),
    path(school + "conduct/contact/<id:pk>/withdraw/", permissions.contact_withdraw, name="contact_withdraw"),
    path(school + "conduct/equipment/", permissions.equipment_register, name="equipment_register"),
    path(school + "conduct/equipment/ask/", permissions.equipment_request, name="equipment_request"),
    path(school + "conduct/equipment/<id:pk>/", permissions.equipment_detail, name="equipment_detail"),
    path(school + "conduct/equipment/<id:pk>/decide/", permissions.equipment_decide, name="equipment_decide"),
    path(
        school + "conduct/equipment/<id:pk>/withdraw/",
        permissions.equipment_withdraw,
        name="equipment_withdraw",
    ),
    path(school + "conduct/concerns/", concerns.concern_list, name="concern_list"),
    path(school + "conduct/concerns/raise/", concerns.concern_new, name="concern_new"),
    path(school + "conduct/concerns/<id:pk>/", concerns.concern_detail, name="concern_detail"),
    path(school + "conduct/concerns/<id:pk>/outcome/", concerns.concern_outcome, name="concern_outcome"),
    path(school + "conduct/concerns/<id:pk>/escalate/", concerns.concern_escalate, name="concern_escalate"),
    path(school + "conduct/concerns/people/<id:pk>/", concerns.concern_person, name="concern_person"),
    path(school + "conduct/summary/", concerns.conduct_summary, name="conduct_summary"),
    path(school + "conduct/summary.pdf", concerns.conduct_summary_pdf, name="conduct_summary_pdf"),
    path(school + "conduct/export/<slug:what>.csv", concerns.conduct_export_csv, name="conduct_export_csv"),
    path(school + "conduct/export/<slug:what>.pdf", concerns.conduct_export_pdf, name="conduct_export_pdf"),
    # §9 and KCSIE Part 4: incidents, cyberbullying of staff, allegations (saferstaff.incidents)
    path(school + "incidents/", report.incidents_mine, name="incidents_mine"),
    path(school + "incidents/report/", report.incident_report, name="incident_report"),
    path(school + "incidents/allegation/", report.allegation_report, name="allegation_report"),
    path(school + "incidents/cases/<id:pk>/evidence/", report.evidence_add, name="evidence_add"),
    path(school + "incidents/evidence/<id:pk>/", report.evidence_download, name="evidence_download"),
    path(school + "incidents/evidence/<id:pk>/seal/", report.evidence_seal, name="evidence_seal"),
    path(school + "incidents/evidence/<id:pk>/custody/", report.evidence_custody, name="evidence_custody"),
    path(school + "incidents/cases/", cases.case_list, name="case_list"),
    path(school + "incidents/cases/<id:pk>/", cases.case_detail, name="case_detail"),
    path(school + "incidents/cases/<id:pk>/triage/", casework.case_triage, name="case_triage"),
    path(school + "incidents/cases/<id:pk>/people/", casework.case_involve, name="case_involve"),
    path(school + "incidents/cases/<id:pk>/share/", casework.case_share, name="case_share"),
    path(school + "incidents/cases/<id:pk>/actions/", casework.action_add, name="action_add"),
    path(school + "incidents/actions/<id:pk>/done/", casework.action_done, name="action_done"),
    path(school + "incidents/cases/<id:pk>/notes/", casework.note_add, name="note_add"),
    path(school + "incidents/notes/<id:pk>/edit/", casework.note_edit, name="note_edit"),
    path(school + "incidents/cases/<id:pk>/contacts/<slug:kind>/", casework.contact_add, name="contact_add"),
    path(school + "incidents/cases/<id:pk>/close/", casework.case_close, name="case_close"),
    path(school + "incidents/cases/<id:pk>/chronology/", chronology.case_chronology, name="case_chronology"),
    path(
        school + "incidents/cases/<id:pk>/chronology.pdf",
        chronology.case_chronology_pdf,
        name="case_chronology_pdf",
    ),
    path(school + "incidents/people/<id:pk>/", chronology.person_timeline, name="person_timeline"),
    path(school + "incidents/pupils/<id:pk>/", chronology.pupil_timeline, name="pupil_timeline"),
    path(school + "incidents/trends/", chronology.incident_trends, name="incident_trends"),
    path(school + "settings/closures/", chronology.closure_days, name="closure_days"),
    # §8: data protection (saferstaff.privacy) — the sharing log, subject access, breaches, retention, holds
    path(school + "privacy/", breaches.privacy_home, name="privacy_home"),
    path(school + "privacy/breaches/report/", breaches.breach_report, name="breach_report"),
    path(school + "privacy/breaches/", breaches.breach_list, name="breach_list"),
    path(school + "privacy/breaches/<id:pk>/", breaches.breach_detail, name="breach_detail"),
    path(school + "privacy/breaches/<id:pk>/manage/", breaches.breach_manage, name="breach_manage"),
    path(school + "privacy/sharing/", sharing.sharing_list, name="sharing_list"),
    path(school + "privacy/sharing/add/", sharing.sharing_add, name="sharing_add"),
    path(school + "privacy/sharing/<id:pk>/", sharing.sharing_detail, name="sharing_detail"),
    path(school + "privacy/sharing/<id:pk>/complete/", sharing.sharing_complete, name="sharing_complete"),
    path(school + "privacy/processing/", records.records_processing, name="records_processing"),
    path(school + "privacy/processing.pdf", records.records_processing_pdf, name="records_processing_pdf"),
    path(school + "privacy/dpia/", records.dpia, name="dpia"),
    path(school + "privacy/dpia.pdf", records.dpia_pdf, name="dpia_pdf"),
    path(school + "privacy/requests/", requests.sar_list, name="sar_list"),
    path(school + "privacy/requests/add/", requests.sar_add, name="sar_add"),
    path(school + "privacy/requests/<id:pk>/", requests.sar_detail, name="sar_detail"),
    path(school + "privacy/requests/<id:pk>/identity/", requests.sar_identity, name="sar_identity"),
    path(school + "privacy/requests/<id:pk>/pause/", requests.sar_pause, name="sar_pause"),
    path(school + "privacy/requests/<id:pk>/resume/", requests.sar_resume, name="sar_resume"),
    path(school + "privacy/requests/<id:pk>/extend/", requests.sar_extend, name="sar_extend"),
    path(school + "privacy/requests/<id:pk>/checklist/", checklist.sar_checklist, name="sar_checklist"),
    path(school + "privacy/requests/<id:pk>/bundle/", checklist.sar_bundle, name="sar_bundle"),
    path(school + "privacy/bundles/<id:pk>/", checklist.sar_bundle_download, name="sar_bundle_download"),
    path(school + "privacy/requests/<id:pk>/close/", requests.sar_close, name="sar_close"),
    path(school + "privacy/seen/", seen.seen_search, name="seen_search"),
    path(school + "privacy/seen/pupils/<id:pk>/", seen.seen_pupil, name="seen_pupil"),
    path(school + "privacy/seen/staff/<id:pk>/", seen.seen_member, name="seen_member"),
    path(school + "privacy/retention/", retention.retention_schedule, name="retention_schedule"),
    path(school + "privacy/retention/<slug:record_type>/", retention.retention_rule, name="retention_rule"),
    path(school + "privacy/due/", retention.retention_due, name="retention_due"),
    path(school + "privacy/destroyed/", retention.retention_certificates, name="retention_certificates"),
    path(school + "privacy/holds/", retention.hold_list, name="hold_list"),
    path(school + "privacy/holds/add/", retention.hold_add, name="hold_add"),
    path(school + "privacy/holds/<id:pk>/release/", retention.hold_release, name="hold_release"),
    path(school + "self-review/", reviews.review_list, name="review_list"),
    path(school + "self-review/start/", reviews.review_start, name="review_start"),
    path(school + "self-review/<id:pk>/", reviews.review_detail, name="review_detail"),
    path(school + "self-review/<id:pk>/complete/", reviews.review_complete, name="review_complete"),
    path(school + "self-review/actions/<id:pk>/done/", reviews.review_action_done, name="review_action_done"),
    path(school + "self-review/<id:pk>/<slug:area>/", reviews.review_area, name="review_area"),
    path(school + "evidence-pack/", pack.pack_page, name="pack_page"),
    path(school + "evidence-pack/make/", pack.pack_make, name="pack_make"),
    path(school + "evidence-pack/certificate/", pack.pack_certificate, name="pack_certificate"),
    path(school + "governors-reports/", reports.report_list, name="report_list"),
    path(school + "governors-reports/make/", reports.report_make, name="report_make"),
    path(school + "governors-reports/<id:pk>.pdf", reports.report_pdf, name="report_pdf"),
]

handler403 = "saferstaff.errors.forbidden"
handler404 = "saferstaff.errors.not_found"
handler500 = "saferstaff.errors.server_error"
