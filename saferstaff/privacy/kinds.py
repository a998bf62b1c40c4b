"""Every kind of record saferstaff keeps about people, named once. The retention schedule (``privacy.schedule``)
gives each its period and trigger; the subject-access checklist (``privacy.holdings``) finds each about a person;
destruction certificates and due records name them by these keys."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    model: str  # "app_label.ModelName"
    room: str


KINDS = {
    k.key: k
    for k in (
        Kind("images", "Images and videos of pupils", "photos.Image", "Images"),
        Kind("activities", "Photo activities", "photos.Activity", "Images"),
        Kind("publications", "Where images were published", "photos.Publication", "Images"),
        Kind("publication_requests", "Requests to publish images", "publishing.PublicationRequest", "Images"),
        Kind("consent_answers", "Consent answers from guardians and senior management", "consent.ConsentRecord", "Consent"),
        Kind("portal_links", "Links sent to guardians", "consent.PortalLink", "Consent"),
        Kind("face_templates", "Face-matching enrolments (biometric)", "biometrics.FaceTemplate", "Face matching"),
        Kind("face_detections", "Faces found in images", "biometrics.FaceDetection", "Face matching"),
        Kind("draft_checks", "Saved checks of draft posts", "postcheck.SavedCheck", "Check a post"),
        Kind("disclosures", "Disclosures of contact with pupils", "conduct.Disclosure", "Conduct"),
        Kind("contact_permissions", "Permissions to contact pupils", "conduct.ContactPermission", "Conduct"),
        Kind("equipment_permissions", "Permissions to use personal equipment", "conduct.EquipmentPermission", "Conduct"),
        Kind("low_level_concerns", "Low-level concerns about staff", "conduct.LowLevelConcern", "Conduct"),
        Kind("incident_cases", "Incident cases and their evidence", "incidents.Case", "Incidents"),
        Kind("allegations", "Allegations about staff and their evidence", "incidents.Case", "Incidents"),
        Kind("acceptances", "Acceptances of the school's policies", "policies.Acceptance", "Policies"),
        Kind("sharing_log", "The sharing log", "privacy.Sharing", "Data protection"),
        Kind("breaches", "The breach log", "privacy.Breach", "Data protection"),
        Kind("access_requests", "Subject access requests and their bundles", "privacy.AccessRequest", "Data protection"),
        Kind("notifications", "Notifications", "notifications.Notification", "Notifications"),
        Kind("roster_files", "Roster files imported from the MIS", "schools.RosterImport", "People"),
        Kind("pupils", "Pupils who have left, and their records' history", "schools.Pupil", "People"),
        Kind("guardians", "Guardians of pupils who have left, and their history", "schools.Guardian", "People"),
        Kind("staff", "Staff who have left, and their records' history", "schools.Membership", "People"),
    )
}  # fmt: skip
