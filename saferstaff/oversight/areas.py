"""The self-review's areas, its four levels and the figures each area's evidence is filled from. The statements
are our own words, each citing the section of the staff guidance it rests on; they are prompts for the school's
own judgement, not a published framework's text."""

from dataclasses import dataclass

LEVELS = (
    ("not_started", "Not yet in place", "Nothing agreed or done yet; the school relies on goodwill."),
    ("developing", "Developing", "Agreed in principle and partly done; gaps the school knows about remain."),
    ("established", "Established", "In place and followed across the school; the records show it."),
    (
        "embedded",
        "Embedded",
        "Routine and reviewed: leaders check it, act on what they find and can show the effect.",
    ),
)
LEVEL_LABELS = {key: label for key, label, _ in LEVELS}
LEVEL_ORDER = {key: n for n, (key, _, _) in enumerate(LEVELS)}


@dataclass(frozen=True)
class Area:
    key: str
    title: str
    sections: str
    statements: tuple[str, ...]
    figures: tuple[str, ...]  # keys of oversight.figures.FIGURES whose wording is this area's evidence


AREAS = (
    Area(
        "policy",
        "Policy and acceptable use",
        "§1, §2, §7",
        (
            "Every adult who works at the school, however engaged, has been given the current guidance and has said they accept it.",
            "When the guidance changes in substance, staff are asked to accept it again and the school can see who has not.",
            "What counts as acceptable and unacceptable use of the school's systems is written down and known to staff.",
        ),
        ("acceptance",),
    ),
    Area(
        "social_media",
        "Social media and professional identity",
        "§3, §4",
        (
            "Staff keep their personal accounts apart from pupils and former pupils still of school age.",
            "Any contact with a pupil outside the agreed channels is disclosed, and a senior leader decides what follows.",
            "Staff know how to check a post before publishing it and what would bring the school into disrepute.",
        ),
        ("conduct",),
    ),
    Area(
        "devices",
        "Mobile technology and personal devices",
        "§6",
        (
            "Personal phones and cameras are used in work time only with a recorded permission and its conditions.",
            "Images of pupils are never kept on a personal device.",
        ),
        ("conduct",),
    ),
    Area(
        "images",
        "Digital and video images",
        "§5",
        (
            "Images of pupils are taken only for an approved activity and published only with consent for that use.",
            "When consent is withdrawn, published images are taken down promptly and the school can show when.",
        ),
        ("consent", "publications", "takedowns"),
    ),
    Area(
        "data_protection",
        "Data protection",
        "§8",
        (
            "Personal data breaches are assessed, and the decision whether to tell the ICO made, within 72 hours.",
            "Subject access requests are answered within the legal time limit.",
            "Records are kept no longer than the retention schedule says.",
        ),
        ("breaches", "subject_access", "access_records"),
    ),
    Area(
        "reporting",
        "Reporting and responding",
        "§3, §9",
        (
            "Staff know how to report cyberbullying, an online incident or a concern about a colleague, and do so.",
            "Allegations about staff are referred to the LADO within one working day.",
        ),
        ("incidents", "lado"),
    ),
    Area(
        "training",
        "Staff training",
        "§2",
        (
            "New staff are taken through the guidance when they start, before they use the school's systems.",
            "Staff training on online safety is refreshed at least yearly and the school records who attended.",
        ),
        ("acceptance",),
    ),
    Area(
        "governors",
        "Governors' oversight",
        "§2",
        (
            "Governors receive the figures on acceptance, incidents and data protection each term and question them.",
            "A named governor leads on online safety and meets the designated safeguarding lead.",
        ),
        ("acceptance", "incidents", "breaches"),
    ),
    Area(
        "filtering",
        "Filtering and monitoring",
        "§7",
        (
            "The school's internet filtering blocks harmful content without stopping teaching, and is checked.",
            "Alerts from monitoring reach a named person who acts on them and records what was done.",
        ),
        (),
    ),
)
BY_KEY = {area.key: area for area in AREAS}
