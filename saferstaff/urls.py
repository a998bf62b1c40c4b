from django.urls import include, path, register_converter
from django.urls.converters import IntConverter

from saferstaff.audit import views as audit
from saferstaff.images import views as images
from saferstaff.notifications import views as notifications
from saferstaff.policy import views as policy
from saferstaff.schools import views as schools


class IdConverter(IntConverter):
    """A database id in an address: up to 18 digits. A longer number (a forged or mistyped id) matches no
    page, a 404, rather than reaching the database, which cannot hold it (a 500)."""

    regex = "[0-9]{1,18}"


register_converter(IdConverter, "id")

school = "s/<slug:school>/"

urlpatterns = [
    path("", schools.home, name="home"),
    path("healthz", schools.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("schools/", schools.choose_school, name="choose_school"),
    path("invitations/<id:pk>/", schools.invitation_accept, name="invitation_accept"),
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/<id:pk>/", notifications.notification_open, name="notification_open"),
    path("trusts/<slug:trust>/", schools.trust_dashboard, name="trust_dashboard"),
    path("trusts/<slug:trust>/schools/new/", schools.school_create, name="school_create"),
    path("trusts/<slug:trust>/policies/publish/", policy.trust_policy_publish, name="trust_policy_publish"),
    path(school, schools.school_dashboard, name="school_dashboard"),
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
    path(school + "audit/", audit.audit_trail, name="audit_trail"),
    path(school + "policies/", policy.policy_list, name="policy_list"),
    path(school + "policies/import/", policy.policy_import, name="policy_import"),
    path(school + "policies/to-accept/", policy.policies_to_accept, name="policies_to_accept"),
    path(school + "policies/dashboard/", policy.policy_dashboard, name="policy_dashboard"),
    path(school + "policies/search/", policy.policy_search, name="policy_search"),
    path(school + "check/", policy.draft_check, name="draft_check"),
    path(school + "check/api/", policy.draft_check_api, name="draft_check_api"),
    path(school + "check/saved/<id:pk>/delete/", policy.draft_check_delete, name="draft_check_delete"),
    path(school + "policies/dashboard.csv", policy.policy_dashboard_csv, name="policy_dashboard_csv"),
    path(school + "policies/dashboard.pdf", policy.policy_dashboard_pdf, name="policy_dashboard_pdf"),
    path(school + "policies/<id:pk>/audience/", policy.policy_audience, name="policy_audience"),
    path(school + "policies/<id:pk>/v<id:number>/accept/", policy.policy_accept, name="policy_accept"),
    path(
        school + "policies/<id:pk>/v<id:number>/questions/",
        policy.policy_questions,
        name="policy_questions",
    ),
    path(school + "policies/<id:pk>/v<id:number>/decline/", policy.policy_decline, name="policy_decline"),
    path(
        school + "policies/<id:pk>/v<id:number>/accept-for/",
        policy.policy_accept_for,
        name="policy_accept_for",
    ),
    path(
        school + "policies/acceptances/<id:pk>/scan/",
        policy.policy_acceptance_scan,
        name="policy_acceptance_scan",
    ),
    path(school + "policies/<id:pk>/v<id:number>/", policy.policy_version, name="policy_version"),
    path(school + "policies/<id:pk>/v<id:number>/publish/", policy.policy_publish, name="policy_publish"),
    path(school + "policies/<id:pk>/v<id:number>/changes/", policy.policy_changes, name="policy_changes"),
    path(
        school + "policies/<id:pk>/v<id:number>/delete/",
        policy.policy_draft_delete,
        name="policy_draft_delete",
    ),
    path(
        school + "policies/<id:pk>/v<id:number>/review-date/",
        policy.policy_review_date,
        name="policy_review_date",
    ),
    # §5 images of pupils
    path(school + "consent/", images.consent_register, name="consent_register"),
    path(school + "consent/pupils/<id:pk>/", images.pupil_consent, name="pupil_consent"),
    path(school + "consent/pupils/<id:pk>/record/", images.consent_record, name="consent_record"),
    path(school + "consent/pupils/<id:pk>/face/", images.pupil_faces, name="pupil_faces"),
    path(school + "consent/answers/<id:pk>/evidence/", images.consent_evidence, name="consent_evidence"),
    path(school + "consent/links/", images.portal_links, name="portal_links"),
    path(school + "consent/uses/", images.consent_purposes, name="consent_purposes"),
    path(school + "consent/uses/<id:pk>/", images.consent_purposes, name="consent_purpose_edit"),
    path("portal/<str:token>/", images.portal, name="portal"),
    path("portal/<str:token>/receipt/<str:receipt>/", images.portal_receipt, name="portal_receipt"),
    path(school + "devices/", images.device_list, name="device_list"),
    path(school + "devices/add/", images.device_edit, name="device_add"),
    path(school + "devices/<id:pk>/", images.device_edit, name="device_edit"),
    path(school + "activities/", images.activity_list, name="activity_list"),
    path(school + "activities/new/", images.activity_new, name="activity_new"),
    path(school + "activities/<id:pk>/", images.activity_detail, name="activity_detail"),
    path(school + "activities/<id:pk>/decide/", images.activity_decide, name="activity_decide"),
    path(school + "activities/<id:pk>/check-list/", images.activity_checklist, name="activity_checklist"),
    path(school + "activities/<id:pk>/upload/", images.activity_upload, name="activity_upload"),
    path(school + "activities/<id:pk>/screen/", images.activity_screen, name="activity_screen"),
    path(school + "screenings/<id:pk>/", images.screening_progress, name="screening_progress"),
    path(school + "faces/enrol/", images.faces_import, name="faces_import"),
    path(school + "faces/review/", images.face_review, name="face_review"),
    path(school + "faces/<id:pk>/crop.jpg", images.face_crop, name="face_crop"),
    path(school + "faces/reference/<id:pk>.jpg", images.face_reference, name="face_reference"),
    path(school + "images/", images.image_list, name="image_list"),
    path(school + "images/<id:pk>/", images.image_detail, name="image_detail"),
    path(school + "images/<id:pk>/original/", images.image_file, name="image_file"),
    path(school + "images/<id:pk>/thumbnail/", images.image_thumbnail, name="image_thumbnail"),
    path(school + "images/<id:pk>/tags/", images.image_tags, name="image_tags"),
    path(school + "images/<id:pk>/publish/", images.image_publish, name="image_publish"),
    path(school + "images/<id:pk>/flag/", images.image_flag, name="image_flag"),
    path(school + "images/<id:pk>/hold/", images.image_hold, name="image_hold"),
    path(school + "images/publishing/<id:pk>/", images.publication_request, name="publication_request"),
    path(
        school + "images/publishing/<id:pk>/faces/<id:n>.jpg",
        images.publication_request_face,
        name="publication_request_face",
    ),
    path(school + "publications/approvals/", images.publication_approvals, name="publication_approvals"),
    path(school + "publications/", images.publication_list, name="publication_list"),
    path(
        school + "publications/<id:pk>/take-down/",
        images.publication_take_down,
        name="publication_take_down",
    ),
    path(school + "publications/<id:pk>/copy/", images.publication_copy, name="publication_copy"),
    path(school + "takedowns/", images.takedown_list, name="takedown_list"),
    path(school + "takedowns/<id:pk>/", images.takedown_done, name="takedown_done"),
    path(school + "takedowns/<id:pk>/evidence/", images.takedown_evidence, name="takedown_evidence"),
    path(school + "retention/", images.destruction_queue, name="destruction_queue"),
    path(school + "pupils/<id:pk>/images.zip", images.pupil_images_export, name="pupil_images_export"),
]

handler403 = "saferstaff.errors.forbidden"
handler404 = "saferstaff.errors.not_found"
handler500 = "saferstaff.errors.server_error"
