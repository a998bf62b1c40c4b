"""saferstaff.policies.documents: reading an uploaded policy and splitting it into numbered sections.
No database: the library is plain Python."""

import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from django.template import engines
from hypothesis import given
from hypothesis import strategies as st

from saferstaff.policies.documents import DocumentError, parse_sections, read_document
from saferstaff.policies.documents.inline import render_inline

from .conftest import skip_or_fail

SEED = Path(__file__).resolve().parents[2] / "shared/seed/online-safety-and-social-media-guidance.txt"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def outline(doc) -> list[tuple[str, str]]:
    return [(s.number, s.title) for s in doc.sections]


def section(doc, number: str):
    (found,) = [s for s in doc.sections if s.number == number]
    return found


# --- the real guidance ------------------------------------------------------------------------------------


@pytest.fixture
def seed_doc():
    if not SEED.exists():
        skip_or_fail(f"{SEED} is missing: the real guidance lives in ../shared/seed")
    return parse_sections(read_document(SEED.name, SEED.read_bytes()))


def test_seed_has_its_nine_sections_and_four_subsections_in_order(seed_doc):
    assert outline(seed_doc) == [
        ("", "Introduction"),
        ("1", "Overview"),
        ("1.1", "Definition of Students"),
        ("1.2", "Adults at Risk"),
        ("2", "Responsibilities"),
        ("3", "Social Contact with Students"),
        ("4", "Social Media"),
        ("5", "Creating Images of Students through Video or Photography"),
        ("6", "Use of personal technology/equipment in school"),
        ("7", "Internet Use"),
        ("7.1", "Acceptable Use"),
        ("7.2", "Unacceptable Use"),
        ("8", "Confidentiality and Security"),
        ("9", "Cyber Bullying"),
    ]
    assert [s.level for s in seed_doc.sections] == [1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 2, 2, 1, 1]
    assert [s.anchor for s in seed_doc.sections][:4] == [
        "preamble",
        "section-1",
        "section-1-1",
        "section-1-2",
    ]
    assert section(seed_doc, "7.2").anchor == "section-7-2"
    assert seed_doc.notes == ()


def test_seed_preamble_is_the_title_block(seed_doc):
    preamble = seed_doc.sections[0]
    assert preamble.anchor == "preamble"
    assert preamble.text.startswith(
        "Yeadon Westfield Infant School\nOnline Safety and Social Media\nGUIDANCE"
    )
    assert "2020-Review 2023" in preamble.text
    assert preamble.text.endswith("This policy should be read in conjunction with all other school policies.")


def test_seed_section_text(seed_doc):
    five = section(seed_doc, "5")
    assert "written explicit consent must be gained from legal guardians" in five.text
    assert (
        "\n- ensure that senior management is aware that photography/image equipment is being used"
        in five.text
    )
    bullets = [line for line in five.text.splitlines() if line.startswith("- ")]
    assert len(bullets) == 6
    # Page-break artefacts are joined back into one sentence ...
    assert "Any member of staff found to be suspected of any breach" in section(seed_doc, "1").text
    assert "the school’s code of conduct or professional expectations" in section(seed_doc, "2").text
    assert "(Given the ever-changing world of technology it should be noted" in section(seed_doc, "4").text
    assert "threats, harassment, embarrassment, humiliation" in section(seed_doc, "9").text
    # ... but real paragraphs stay apart, and headings are not left in the text.
    assert "\n\n\n" not in "".join(s.text for s in seed_doc.sections)
    assert section(seed_doc, "1.2").text.startswith("means adults who need community care services")
    assert section(seed_doc, "1.1").text.startswith(
        "Throughout this document references are made to students."
    )
    assert "Acceptable Use" not in section(seed_doc, "7").text.splitlines()
    assert section(seed_doc, "7.1").text.count("\n- ") == 4


# --- other heading styles ---------------------------------------------------------------------------------


def test_dot_style_with_numbered_lists_inside_sections():
    doc = parse_sections(
        "Staff Code of Conduct\n\n"
        "1. Purpose\n\nThis code applies to all staff.\n\n"
        "2. Passwords\n\nStaff must:\n"
        "1. Keep passwords secret.\n2. Lock their screen\n3. Report a lost laptop\n\n"
        "Our rules in short:\n\n1. Passwords\n\n2. Devices\n\n3. Email\n\n4. Photos\n\n"
        "3. Devices\n\nBring your own device only with permission.\n\n"
        "4. Photographs of Pupils\n\nUse school cameras.\n"
    )
    assert outline(doc) == [
        ("", "Introduction"),
        ("1", "Purpose"),
        ("2", "Passwords"),
        ("3", "Devices"),
        ("4", "Photographs of Pupils"),
    ]
    passwords = section(doc, "2").text
    assert "1. Keep passwords secret.\n2. Lock their screen\n3. Report a lost laptop" in passwords
    assert "3. Email\n\n4. Photos" in passwords
    assert doc.notes == ()


def test_bare_number_style_and_sentences_that_start_with_a_number():
    doc = parse_sections(
        "1 Scope\n\nAll staff.\n\n"
        "2 members of staff must be present at all times.\n\n"
        "2 Training\n\nEveryone trains yearly.\n\n"
        "3 staff Training Days are in September\n\n"
        "3 Review\n\nThe governors review this policy.\n"
    )
    assert outline(doc) == [("1", "Scope"), ("2", "Training"), ("3", "Review")]
    assert "2 members of staff must be present at all times." in section(doc, "1").text


def test_parts():
    doc = parse_sections(
        "Part 1: Our Approach\n\nWe keep children safe.\n\n"
        "Part 2 - Staff Conduct\n\nBe professional.\n\n"
        "Part III\n\nThe third part.\n"
    )
    assert outline(doc) == [("1", "Our Approach"), ("2", "Staff Conduct"), ("III", "Part III")]
    assert [s.anchor for s in doc.sections] == ["part-1", "part-2", "part-iii"]
    assert all(s.level == 1 for s in doc.sections)


def test_appendices_and_annexes():
    doc = parse_sections(
        "Section 1 - Overview\n\nRead Appendix A before you start.\n\n"
        "Appendix A contains the forms.\n\n"
        "Appendix A - Forms\n\nThe consent form.\n\n"
        "Appendix B\n\nContacts.\n\n"
        "Annex 1: Useful Websites\n\nCEOP.\n"
    )
    assert outline(doc) == [
        ("1", "Overview"),
        ("A", "Forms"),
        ("B", "Appendix B"),
        ("1", "Useful Websites"),
    ]
    assert [s.anchor for s in doc.sections] == ["section-1", "appendix-a", "appendix-b", "annex-1"]
    assert doc.sections[0].text == "Read Appendix A before you start.\n\nAppendix A contains the forms."


def test_markdown_headings():
    doc = parse_sections(
        "# Online Safety Policy\n\nFor all staff.\n\n"
        "# 1. Introduction\n\nWhy this matters.\n\n"
        "## 1.1 Who It Applies To\n\nEveryone.\n\n"
        "### Volunteers\n\nVolunteers too.\n\n"
        "# 2 Social media\n\nKeep it professional.\n"
    )
    assert outline(doc) == [
        ("", "Introduction"),
        ("1", "Introduction"),
        ("1.1", "Who It Applies To"),
        ("2", "Social media"),
    ]
    assert doc.sections[0].text == "Online Safety Policy\n\nFor all staff."
    # An unnumbered Markdown heading stays in the current section's text, without the hashes.
    assert section(doc, "1.1").text == "Everyone.\n\nVolunteers\n\nVolunteers too."


def test_section_word_with_numbered_subsections():
    doc = parse_sections(
        "SECTION 1 Overview\n\nText.\n\n"
        "Section 2: Responsibilities\n\nHeads must share this.\n\n"
        "2.1 Governors\n\nGovernors check.\n\n"
        "2.2 Staff: each member of staff reads this guidance every year.\n\n"
        "3. Not a heading once Section headings are used\n\n"
        "Section 3 - Reporting\n\nTell the DSL.\n"
    )
    assert outline(doc) == [
        ("1", "Overview"),
        ("2", "Responsibilities"),
        ("2.1", "Governors"),
        ("2.2", "Staff"),
        ("3", "Reporting"),
    ]
    assert section(doc, "2.2").text.startswith("each member of staff reads this guidance every year.")
    assert "3. Not a heading" in section(doc, "2.2").text


def test_heading_with_text_on_the_same_line_keeps_short_colon_titles_whole():
    doc = parse_sections(
        "1 Roles: Who Does What\n\nText.\n\n1.1 Head: The Headteacher leads on all of this work daily.\n"
    )
    assert outline(doc) == [("1", "Roles: Who Does What"), ("1.1", "Head")]
    assert section(doc, "1.1").text == "The Headteacher leads on all of this work daily."


def test_bullets_are_not_headings_and_page_breaks_are_joined():
    doc = parse_sections(
        "1. Rules\n\n- 2. Not a heading\n• 2 Nor this\n1) Nor this\n\n"
        "Staff who break the\n\nrules may be disciplined.\n\nA new paragraph.\n\n\n\n\nAnother   \n"
    )
    assert outline(doc) == [("1", "Rules")]
    assert doc.sections[0].text == (
        "- 2. Not a heading\n• 2 Nor this\n1) Nor this\n\n"
        "Staff who break the rules may be disciplined.\n\nA new paragraph.\n\nAnother"
    )


def test_contents_lines_with_page_numbers_are_not_headings():
    doc = parse_sections(
        "Contents\nSection 1 - Overview ........ 2\nSection 2 - Staff\t3\n\n"
        "Section 1 - Overview\n\nText.\n\nSection 2 - Staff\n\nMore.\n"
    )
    assert outline(doc) == [("1", "Overview"), ("2", "Staff")]  # the contents list is not policy text


def test_duplicate_numbers_name_both_lines():
    with pytest.raises(DocumentError) as caught:
        parse_sections(
            "Section 1 - One\n\nText.\n\nSection 5 - Five\n\nText.\n\nSection 5 - Again\n\nText.\n"
        )
    message = str(caught.value)
    assert "Section 5" in message
    assert "line 5" in message and "line 9" in message
    assert "fix the numbering" in message


def test_duplicate_subsections():
    with pytest.raises(DocumentError, match=r"Section 2\.1 appears twice, on line 3 and line 5"):
        parse_sections("2. Staff\n\n2.1 Teachers\n\n2.1 Teachers Again\n")


def test_gaps_in_the_numbering_are_noted():
    doc = parse_sections("Section 1 - One\n\nA.\n\nSection 3 - Three\n\nB.\n")
    assert outline(doc) == [("1", "One"), ("3", "Three")]
    assert doc.notes == ("There is no Section 2 between Sections 1 and 3: check its heading.",)


def test_no_headings_is_one_section_with_a_note():
    doc = parse_sections("Mobile Phones Guidance\n\nStaff keep phones in lockers.\n")
    assert outline(doc) == [("1", "Mobile Phones Guidance")]
    assert doc.sections[0].anchor == "section-1"
    assert doc.sections[0].text == "Mobile Phones Guidance\n\nStaff keep phones in lockers."
    assert len(doc.notes) == 1
    assert "No numbered sections were recognised" in doc.notes[0]

    long_first_line = "x" * 200
    assert parse_sections(long_first_line).sections[0].title == "Whole document"


def test_empty_text_is_refused():
    with pytest.raises(DocumentError, match="empty"):
        parse_sections(" \n\n\t\n")


def test_preamble_only_when_it_has_content():
    doc = parse_sections("\n  \n---\n\n1. Scope\n\nAll staff.\n")
    assert outline(doc) == [("1", "Scope")]


# --- real-world layouts: unnumbered headings, front matter, contents lists --------------------------------

NURSERY_POLICY_MD = """---
title: Online Safety Policy
setting: Little Acorns Day Nursery
adopted: 1 September 2025
review_date: "September 2026"
---

# Online Safety Policy

Little Acorns Day Nursery, 4 Example Lane

## Contents

- [Policy statement](#policy-statement)
- [Aims](#aims)
- [Procedures](#procedures)
- [Mobile phones and cameras](#mobile-phones-and-cameras)

## Policy statement

At Little Acorns we believe **every child** has the right to be safe online, in line with the
*Early Years Foundation Stage* (EYFS) safeguarding and welfare requirements.

## Aims

We aim to:

- keep children safe when they use tablets in the setting
- support staff to use social media professionally

## Procedures

### Use of the internet

Children use the internet only with an adult. See the [UK Safer Internet Centre](https://saferinternet.org.uk).

### Social media

Staff do not post photographs of children on their own accounts.

## Mobile phones and cameras

Personal phones are kept in the staff room during sessions.
"""


def test_markdown_policy_with_front_matter_and_unnumbered_headings():
    doc = parse_sections(read_document("online-safety.md", NURSERY_POLICY_MD.encode()))
    assert outline(doc) == [
        ("", "Introduction"),
        ("1", "Policy statement"),
        ("2", "Aims"),
        ("3", "Procedures"),
        ("3.1", "Use of the internet"),
        ("3.2", "Social media"),
        ("4", "Mobile phones and cameras"),
    ]
    assert [s.level for s in doc.sections] == [1, 1, 1, 1, 2, 2, 1]
    assert [s.anchor for s in doc.sections] == [
        "preamble", "policy-statement", "aims", "procedures", "use-of-the-internet", "social-media",
        "mobile-phones-and-cameras",
    ]  # fmt: skip
    # The title heading and letterhead are the introduction; front matter and the contents list are not text.
    assert doc.sections[0].text == "Online Safety Policy\n\nLittle Acorns Day Nursery, 4 Example Lane"
    everything = "\n".join(s.title + "\n" + s.text for s in doc.sections)
    assert "title:" not in everything and "review_date" not in everything and "---" not in everything
    assert "(#aims)" not in everything and "Contents" not in everything
    assert doc.metadata == {
        "title": "Online Safety Policy",
        "adopted": "1 September 2025",
        "review": "September 2026",
    }
    assert any(
        "adopted 1 September 2025" in note and "review due September 2026" in note for note in doc.notes
    )
    assert any("numbered the sections in order" in note for note in doc.notes)
    assert section(doc, "3.1").text.endswith(
        "See the [UK Safer Internet Centre](https://saferinternet.org.uk)."
    )
    assert section(doc, "2").text == (
        "We aim to:\n\n- keep children safe when they use tablets in the setting\n"
        "- support staff to use social media professionally"
    )


def test_anchors_follow_heading_text_across_versions():
    first = parse_sections(NURSERY_POLICY_MD)
    second = parse_sections(
        NURSERY_POLICY_MD.replace("## Aims", "## Safeguarding\n\nThe DSL leads.\n\n## Aims")
    )
    anchors = {s.title: (s.number, s.anchor) for s in first.sections}
    again = {s.title: (s.number, s.anchor) for s in second.sections}
    assert anchors["Aims"] == ("2", "aims") and again["Aims"] == ("3", "aims")  # renumbered, same link
    assert again["Mobile phones and cameras"][1] == anchors["Mobile phones and cameras"][1]


def test_underlined_headings_in_plain_text_and_a_letterhead_set_as_headings():
    doc = parse_sections(
        "Mobile Phone Policy\n===================\n\nLittle Acorns Pre-School\n\n"
        "Aims\n----\n\nWe aim to keep children safe.\n\nProcedure\n---------\n\n- phones stay in lockers\n"
    )
    assert outline(doc) == [("", "Introduction"), ("1", "Aims"), ("2", "Procedure")]
    assert doc.sections[0].text == "Mobile Phone Policy\n\nLittle Acorns Pre-School"
    letterhead = parse_sections(
        "# Little Acorns Nursery\n# Online Safety Policy\n\nAdopted 2025\n\n## Aims\n\nText.\n\n## Procedures\n\nMore.\n"
    )
    assert outline(letterhead) == [("", "Introduction"), ("1", "Aims"), ("2", "Procedures")]
    assert letterhead.sections[0].text == "Little Acorns Nursery\n\nOnline Safety Policy\n\nAdopted 2025"


def test_a_list_of_headings_before_they_appear_is_a_contents_list():
    doc = parse_sections(
        "Oak Tree Primary School\n\nAims\nRoles and responsibilities\nMonitoring 7\n\n"
        "## Aims\n\nTo keep pupils safe.\n\n## Roles and responsibilities\n\nThe governors.\n\n"
        "## Monitoring\n\nEvery year.\n"
    )
    assert outline(doc) == [
        ("", "Introduction"), ("1", "Aims"), ("2", "Roles and responsibilities"), ("3", "Monitoring"),
    ]  # fmt: skip
    assert doc.sections[0].text == "Oak Tree Primary School"


def test_numbered_contents_without_dot_leaders_is_not_doubled():
    doc = parse_sections(
        "Contents\n1. Aims 3\n2. Legislation and Guidance 4\n\n"
        "1. Aims\n\nOur aims.\n\n2. Legislation and Guidance\n\nThe law.\n"
    )
    assert outline(doc) == [("1", "Aims"), ("2", "Legislation and Guidance")]
    assert doc.notes == ()


def test_inline_markdown_renders_safely():
    html = render_inline(
        "Staff **must** read *this* and [CEOP](https://www.ceop.police.uk/).\n"
        "<script>alert(1)</script> [trap](javascript:alert) * not emphasis * and snake_case_names"
    )
    assert html == (
        'Staff <strong>must</strong> read <em>this</em> and <a class="govuk-link" '
        'href="https://www.ceop.police.uk/">CEOP</a>.<br>&lt;script&gt;alert(1)&lt;/script&gt; trap '
        "* not emphasis * and snake_case_names"
    )
    page = engines["django"].from_string("{{ text|inline_markdown }}").render({"text": "**<b>hi</b>**"})
    assert page == "<strong>&lt;b&gt;hi&lt;/b&gt;</strong>"
    started = time.monotonic()
    render_inline("**" + "a" * 200_000 + " *" * 50_000)
    assert time.monotonic() - started < 1


# --- reading files ----------------------------------------------------------------------------------------


def test_text_encodings():
    assert read_document("p.txt", "\ufeffSection 1 - Café".encode()) == "Section 1 - Café"
    assert read_document("p.md", "Section 1 – Café".encode("cp1252")) == "Section 1 – Café"
    assert read_document("policy", b"Plain words") == "Plain words"
    assert read_document("p.txt", "Unicode text".encode("utf-16")) == "Unicode text"
    for bad in (b"abc\x00def", b"\x81\x8d\x8f\x90", bytes(range(256))):
        with pytest.raises(DocumentError, match="does not look like text"):
            read_document("policy.txt", bad)


@pytest.mark.parametrize("data", [b"", b"  \r\n\n\t"])
def test_empty_file(data):
    with pytest.raises(DocumentError, match="empty"):
        read_document("policy.txt", data)


def test_oversize_file():
    with pytest.raises(DocumentError) as caught:
        read_document("policy.txt", b"a" * (10 * 1024 * 1024 + 1))
    assert str(caught.value).startswith("The file is 10.1 MB; the limit is 10 MB.")
    with pytest.raises(DocumentError, match="The file is 2 KB; the limit is 1 KB"):
        read_document("policy.txt", b"a" * 2048, max_bytes=1024)


def test_pdf_and_old_word_files_are_refused():
    with pytest.raises(
        DocumentError, match="PDFs are not supported; save the document as .docx or plain text"
    ):
        read_document("policy.txt", b"%PDF-1.7\n...")
    for name in ("policy.doc", "policy.docx", "policy.txt"):
        with pytest.raises(DocumentError, match=r"\.doc.*Save As › Word Document \(\.docx\)"):
            read_document(name, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)


def w_paragraph(text: str, style: str | None = None) -> str:
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{props}<w:r><w:t xml:space='preserve'>{text}</w:t></w:r></w:p>"


def docx(
    body: str = "", *, document_xml: str | None = None, members: dict[str, bytes] | None = None
) -> bytes:
    if document_xml is None:
        document_xml = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        if document_xml:
            archive.writestr("word/document.xml", document_xml)
        for name, data in (members or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_docx_headings_become_sections():
    body = (
        w_paragraph("Online Safety Policy", "Title")
        + w_paragraph("For all staff &amp; volunteers.")
        + w_paragraph("1. Overview", "Heading1")
        + w_paragraph("Staff must stay safe online. Any member of")
        + w_paragraph("staff who breaks this may be disciplined.")
        + w_paragraph("1.1 Scope", "heading 2")
        + w_paragraph("Keep passwords secret", "ListParagraph")
        + w_paragraph("Lock screens", "ListParagraph")
        + w_paragraph("Background", "Heading3")
        + "<w:p><w:r><w:t>Before</w:t><w:tab/><w:t>after</w:t><w:br/><w:t>next line</w:t></w:r></w:p>"
        + "<w:p/>"
        + w_paragraph("2. Photographs", "Heading1")
        + "<w:tbl><w:tr><w:tc>"
        + w_paragraph("Ask for consent.")
        + "</w:tc></w:tr></w:tbl>"
    )
    text = read_document("Policy.DOCX", docx(body))
    assert text.startswith("Online Safety Policy\n\nFor all staff & volunteers.\n\n# 1. Overview\n\n")
    assert "## 1.1 Scope" in text and "### Background" in text
    doc = parse_sections(text)
    assert outline(doc) == [("", "Introduction"), ("1", "Overview"), ("1.1", "Scope"), ("2", "Photographs")]
    assert (
        section(doc, "1").text
        == "Staff must stay safe online. Any member of staff who breaks this may be disciplined."
    )
    assert section(doc, "1.1").text == (
        "Keep passwords secret\n\nLock screens\n\nBackground\n\nBefore\tafter\nnext line"
    )
    assert section(doc, "2").text == "Ask for consent."


WPS_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8"?><w:styles xmlns:w="{W_NS}">'
    '<w:style w:type="paragraph" w:default="1" w:styleId="1"><w:name w:val="Normal"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="2"><w:name w:val="heading 1"/><w:basedOn w:val="1"/>'
    '<w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="3"><w:name w:val="heading 2"/><w:basedOn w:val="1"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="17"><w:name w:val="Policy Heading"/><w:basedOn w:val="2"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="12"><w:name w:val="toc 1"/><w:basedOn w:val="1"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="40"><w:name w:val="TOC Heading"/><w:basedOn w:val="2"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="9"><w:name w:val="Title"/><w:basedOn w:val="1"/></w:style>'
    "</w:styles>"
)


def test_docx_from_wps_office_headings_by_style_name():
    """WPS Office names its heading styles 'heading 1' but gives them ids '2', '3'…; a custom style based on
    a heading style is a heading; Word's contents list (toc styles) is left out; no heading has a number."""
    outline_level = '<w:p><w:pPr><w:outlineLvl w:val="1"/></w:pPr><w:r><w:t>Reporting</w:t></w:r></w:p>'
    body = (
        w_paragraph("Sunnyside Pre-School", "9")
        + w_paragraph("12 Example Street, Leeds")
        + w_paragraph("Contents", "40")
        + w_paragraph("Introduction\t1", "12")
        + w_paragraph("Safeguarding children\t2", "12")
        + w_paragraph("Introduction", "2")
        + w_paragraph("This policy applies to all staff and volunteers.")
        + w_paragraph("Safeguarding children", "17")
        + w_paragraph("Our designated safeguarding lead is the manager.")
        + w_paragraph("Photographs", "3")
        + w_paragraph("Only setting devices are used.")
        + outline_level
        + w_paragraph("Tell the manager the same day.")
    )
    text = read_document("policy.docx", docx(body, members={"word/styles.xml": WPS_STYLES.encode()}))
    assert "\t1" not in text and "Contents" not in text
    doc = parse_sections(text)
    assert outline(doc) == [
        ("", "Introduction"),
        ("1", "Introduction"),
        ("2", "Safeguarding children"),
        ("2.1", "Photographs"),
        ("2.2", "Reporting"),
    ]
    assert doc.sections[0].text == "Sunnyside Pre-School\n\n12 Example Street, Leeds"
    assert [s.anchor for s in doc.sections][1:] == [
        "introduction",
        "safeguarding-children",
        "photographs",
        "reporting",
    ]
    assert section(doc, "2.2").text == "Tell the manager the same day."


def bold_paragraph(text: str) -> str:
    return f"<w:p><w:r><w:rPr><w:b/></w:rPr><w:t xml:space='preserve'>{text}</w:t></w:r></w:p>"


def test_docx_without_heading_styles_uses_bold_paragraphs_as_headings():
    body = (
        bold_paragraph("Rainbow Day Nursery")
        + bold_paragraph("Mobile Phone and Camera Policy")
        + w_paragraph("Reviewed every September.")
        + bold_paragraph("Policy statement")
        + w_paragraph("We keep children safe.")
        + "<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Staff must not</w:t></w:r><w:r><w:t> use their phones.</w:t></w:r></w:p>"
        + bold_paragraph("Procedures")
        + bold_paragraph("Never take photographs on a personal phone.")
        + "<w:tbl><w:tr><w:tc>" + bold_paragraph("Role") + "</w:tc></w:tr></w:tbl>"
    )  # fmt: skip
    doc = parse_sections(read_document("phones.docx", docx(body)))
    assert outline(doc) == [("", "Introduction"), ("1", "Policy statement"), ("2", "Procedures")]
    assert doc.sections[0].text == (
        "Rainbow Day Nursery\n\nMobile Phone and Camera Policy\n\nReviewed every September."
    )
    assert section(doc, "2").text == "Never take photographs on a personal phone.\n\nRole"


@pytest.mark.parametrize("name", ["policy.rst", "policy.odt", "policy.pages", "policy.html"])
def test_other_formats_are_refused_naming_the_ones_accepted(name):
    with pytest.raises(DocumentError) as caught:
        read_document(name, b"Online Safety\n=============\n\nText.\n")
    message = str(caught.value)
    assert f"This is a {name[6:]} file" in message
    assert "Word (.docx), Markdown (.md) and plain text (.txt)" in message


def test_not_a_docx():
    for data in (bytes(range(256)) * 4, b"PK\x03\x04 truncated"):
        with pytest.raises(
            DocumentError, match=r"This is not a Word \.docx file\. In Word choose File › Save As"
        ):
            read_document("policy.docx", data)


def test_zip_without_document_xml():
    with pytest.raises(DocumentError, match=r"This is not a Word \.docx file"):
        read_document("policy.docx", docx(document_xml="", members={"word/other.xml": b"<x/>"}))
    with pytest.raises(DocumentError, match=r"not a Word \.docx file"):
        read_document("archive.zip", docx(document_xml="", members={"readme.txt": b"hello"}))


def test_entity_expansion_is_refused_quickly():
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{lol}]>'
        f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>'
    )
    started = time.monotonic()
    with pytest.raises(DocumentError, match="refused for safety"):
        read_document("policy.docx", docx(document_xml=bomb))
    assert time.monotonic() - started < 2


def test_damaged_document_xml():
    with pytest.raises(DocumentError, match="damaged"):
        read_document("policy.docx", docx(document_xml="<w:document><unclosed>"))


def test_zip_bomb_is_refused_before_unpacking():
    padding = {"word/media/image1.bin": b"\x00" * (51 * 1024 * 1024)}
    data = docx(w_paragraph("1. Overview", "Heading1"), members=padding)
    assert len(data) < 1024 * 1024
    with pytest.raises(DocumentError, match="more than 50 MB"):
        read_document("policy.docx", data)


def test_docx_with_no_text_is_empty():
    with pytest.raises(DocumentError, match="empty"):
        read_document("policy.docx", docx("<w:p/><w:p><w:r><w:t>  </w:t></w:r></w:p>"))


# --- properties -------------------------------------------------------------------------------------------

heading_like = st.sampled_from(
    [
        "Section 1 - Overview",
        "Section 2: Staff",
        "SECTION 3 Rules",
        "1. Purpose",
        "2 Scope",
        "2.1 Teachers",
        "1.2 Adults at Risk: means adults who need care",
        "Part II",
        "Part 1: Approach",
        "Appendix A - Forms",
        "Annex 1: Links",
        "# 3. Markdown",
        "## 3.1 Sub",
        "### Plain",
        "#",
        "- bullet",
        "1) item",
        "1. Keep passwords secret.",
        "found to be suspected of",
        "",
        "Contents ..... 3",
    ]
)
lines = st.lists(st.one_of(heading_like, st.text(max_size=40)), max_size=25).map("\n".join)


@given(st.one_of(st.text(), lines))
def test_parse_sections_only_ever_raises_document_error(text):
    try:
        doc = parse_sections(text)
    except DocumentError as error:
        assert str(error)
        return
    anchors = [s.anchor for s in doc.sections]
    assert doc.sections
    assert len(set(anchors)) == len(anchors)
    assert all(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", anchor) for anchor in anchors)
    assert all(s.level >= 1 for s in doc.sections)
    assert all("\n\n\n" not in s.text and s.text == s.text.strip() for s in doc.sections)


@pytest.mark.parametrize(
    "line",
    ["# a" + " " * 100_000 + "b", "Section 1 - A" + "." * 100_000 + "x", "1 A" + ": " * 100_000],
    ids=["markdown-spaces", "dot-leaders", "colons"],
)
def test_long_lines_take_linear_time(line):
    started = time.monotonic()
    parse_sections(line)
    assert time.monotonic() - started < 1


def test_an_address_in_angle_brackets_is_a_link_and_nothing_else_gets_through():
    """The seed guidance cites the law as ``<http://www.legislation.gov.uk/…>``: it showed with its angle
    brackets, as text. Its underscores stay part of the address, and a script in brackets stays text."""
    out = render_inline("See <https://www.gov.uk/a_b_c> and <javascript:alert(1)> and <b>x</b>.")
    assert out == (
        'See <a class="govuk-link" href="https://www.gov.uk/a_b_c">https://www.gov.uk/a_b_c</a> and '
        "&lt;javascript:alert(1)&gt; and &lt;b&gt;x&lt;/b&gt;."
    )
