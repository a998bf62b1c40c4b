from django.urls import include, path

from saferstaff.images import views as images
from saferstaff.notifications import views as notifications
from saferstaff.policy import views as policy
from saferstaff.schools import views as schools

school = "s/<slug:school>/"

urlpatterns = [
    path("", schools.home, name="home"),
    path("healthz", schools.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("schools/", schools.choose_school, name="choose_school"),
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/<int:pk>/", notifications.notification_open, name="notification_open"),
    path("trusts/<slug:trust>/", schools.trust_dashboard, name="trust_dashboard"),
    path("trusts/<slug:trust>/schools/new/", schools.school_create, name="school_create"),
    path("trusts/<slug:trust>/policies/publish/", policy.trust_policy_publish, name="trust_policy_publish"),
    path(school, schools.school_dashboard, name="school_dashboard"),
    path(school + "staff/", schools.staff_list, name="staff_list"),
    path(school + "staff/add/", schools.staff_add, name="staff_add"),
    path(school + "staff/import/", schools.staff_import, name="staff_import"),
    path(school + "staff/<int:pk>/", schools.staff_detail, name="staff_detail"),
    path(school + "staff/<int:pk>/roles/", schools.staff_roles, name="staff_roles"),
    path(school + "staff/<int:pk>/leave/", schools.staff_leave, name="staff_leave"),
    path(school + "pupils/", schools.pupil_list, name="pupil_list"),
    path(school + "pupils/<int:pk>/", schools.pupil_detail, name="pupil_detail"),
    path(school + "import/", schools.roster_upload, name="roster_upload"),
    path(school + "import/<int:pk>/", schools.roster_preview, name="roster_preview"),
    path(school + "settings/", schools.school_settings, name="school_settings"),
    path(school + "policies/", policy.policy_list, name="policy_list"),
    path(school + "policies/import/", policy.policy_import, name="policy_import"),
    path(school + "policies/to-accept/", policy.policies_to_accept, name="policies_to_accept"),
    path(school + "policies/dashboard/", policy.policy_dashboard, name="policy_dashboard"),
    path(school + "policies/search/", policy.policy_search, name="policy_search"),
    path(school + "policies/dashboard.csv", policy.policy_dashboard_csv, name="policy_dashboard_csv"),
    path(school + "policies/dashboard.pdf", policy.policy_dashboard_pdf, name="policy_dashboard_pdf"),
    path(school + "policies/<int:pk>/audience/", policy.policy_audience, name="policy_audience"),
    path(school + "policies/<int:pk>/v<int:number>/accept/", policy.policy_accept, name="policy_accept"),
    path(
        school + "policies/<int:pk>/v<int:number>/questions/",
        policy.policy_questions,
        name="policy_questions",
    ),
    path(school + "policies/<int:pk>/v<int:number>/decline/", policy.policy_decline, name="policy_decline"),
    path(
        school + "policies/<int:pk>/v<int:number>/accept-for/",
        policy.policy_accept_for,
        name="policy_accept_for",
    ),
    path(school + "policies/<int:pk>/v<int:number>/", policy.policy_version, name="policy_version"),
    path(school + "policies/<int:pk>/v<int:number>/publish/", policy.policy_publish, name="policy_publish"),
    path(school + "policies/<int:pk>/v<int:number>/changes/", policy.policy_changes, name="policy_changes"),
    # §5 images of pupils
    path(school + "consent/", images.consent_register, name="consent_register"),
    path(school + "consent/pupils/<int:pk>/", images.pupil_consent, name="pupil_consent"),
    path(school + "consent/pupils/<int:pk>/record/", images.consent_record, name="consent_record"),
    path(school + "consent/pupils/<int:pk>/face/", images.pupil_faces, name="pupil_faces"),
    path(school + "consent/answers/<int:pk>/evidence/", images.consent_evidence, name="consent_evidence"),
    path(school + "consent/links/", images.portal_links, name="portal_links"),
    path(school + "consent/uses/", images.consent_purposes, name="consent_purposes"),
    path(school + "consent/uses/<int:pk>/", images.consent_purposes, name="consent_purpose_edit"),
    path("portal/<str:token>/", images.portal, name="portal"),
    path("portal/<str:token>/receipt/<str:receipt>/", images.portal_receipt, name="portal_receipt"),
    path(school + "devices/", images.device_list, name="device_list"),
    path(school + "devices/add/", images.device_edit, name="device_add"),
    path(school + "devices/<int:pk>/", images.device_edit, name="device_edit"),
    path(school + "activities/", images.activity_list, name="activity_list"),
    path(school + "activities/new/", images.activity_new, name="activity_new"),
    path(school + "activities/<int:pk>/", images.activity_detail, name="activity_detail"),
    path(school + "activities/<int:pk>/decide/", images.activity_decide, name="activity_decide"),
    path(school + "activities/<int:pk>/check-list/", images.activity_checklist, name="activity_checklist"),
    path(school + "activities/<int:pk>/upload/", images.activity_upload, name="activity_upload"),
    path(school + "images/", images.image_list, name="image_list"),
    path(school + "images/<int:pk>/", images.image_detail, name="image_detail"),
    path(school + "images/<int:pk>/original/", images.image_file, name="image_file"),
    path(school + "images/<int:pk>/thumbnail/", images.image_thumbnail, name="image_thumbnail"),
    path(school + "images/<int:pk>/tags/", images.image_tags, name="image_tags"),
    path(school + "images/<int:pk>/publish/", images.image_publish, name="image_publish"),
    path(school + "images/<int:pk>/flag/", images.image_flag, name="image_flag"),
    path(school + "images/<int:pk>/hold/", images.image_hold, name="image_hold"),
    path(school + "publications/", images.publication_list, name="publication_list"),
    path(school + "publications/<int:pk>/copy/", images.publication_copy, name="publication_copy"),
    path(school + "takedowns/", images.takedown_list, name="takedown_list"),
    path(school + "takedowns/<int:pk>/", images.takedown_done, name="takedown_done"),
    path(school + "retention/", images.destruction_queue, name="destruction_queue"),
    path(school + "pupils/<int:pk>/images.zip", images.pupil_images_export, name="pupil_images_export"),
]

handler403 = "saferstaff.errors.forbidden"
handler404 = "saferstaff.errors.not_found"
handler500 = "saferstaff.errors.server_error"
