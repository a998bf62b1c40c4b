"""Check before you post and Ask the policy, in the browser (§4): a teacher on a phone checks a draft that
names a pupil, sees the finding with §4's advice, rewrites it, and asks the policy a question in their own
words — with and without JavaScript."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from saferstaff.postcheck.models import SavedCheck
from tests.browser.conftest import PHONE
from tests.browser.support import follow, menu
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.browser

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "online-safety-and-social-media-guidance.txt"


def publish_guidance(school_slug: str) -> None:
    """As make demo does with ../shared beside the clone; the worker embeds its sentences (run here)."""
    from saferstaff.accounts.models import User
    from saferstaff.policies.models import PolicyKind
    from saferstaff.policies.search import index_version
    from saferstaff.policies.services import import_policy
    from saferstaff.schools.models import School

    if not SEED.exists():
        skip_or_fail(f"the school's guidance is not at {SEED} (it comes with ../shared)")
    school = School.objects.get(slug=school_slug)
    version, _ = import_policy(
        school, title="Online safety and social media guidance", kind=PolicyKind.ONLINE_SAFETY,
        filename=SEED.name, data=SEED.read_bytes(),
    )  # fmt: skip
    version.publish(by=User.objects.get(email="head@demo.example"))
    index_version.call(version.pk)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_teacher_checks_a_post_on_a_phone_and_asks_the_policy(
    new_page, sign_in, axe_check, demo, javascript
):
    publish_guidance(demo.school_slug)
    page = new_page("teacher", viewport=PHONE, java_script_enabled=javascript)
    sign_in(page, "teacher")
    if javascript:  # the menu folds away on a phone
        page.get_by_role("button", name="Menu").click()
    follow(page, axe_check, menu(page, "Check a post"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before you post")

    page.get_by_label("Your draft").fill("Little Ben T. finally read a whole page on his own!!")
    follow(page, axe_check, page.get_by_role("button", name="Check"))
    expect(page.locator(".app-verdict")).to_contain_text("Don't post this")
    expect(page.locator("mark#mark-1")).to_contain_text("Ben T.")
    finding = page.locator("#finding-1")
    expect(finding).to_contain_text("A pupil")
    expect(finding).to_contain_text(
        "Don't post anything that could identify a pupil without explicit consent."
    )
    expect(finding.get_by_role("link", name="Read §4 Social Media")).to_be_visible()
    assert not SavedCheck.objects.exists()  # nothing typed is kept unless asked

    # Rewritten without the name, and kept this time.
    page.get_by_label("Your draft").fill("One of my readers finally read a whole page on their own!!")
    page.get_by_label("Keep this check in my saved checks").check()
    follow(page, axe_check, page.get_by_role("button", name="Check"))
    expect(page.locator(".app-verdict")).to_contain_text("Nothing found")
    expect(page.get_by_role("heading", name="Your saved checks")).to_be_visible()
    assert SavedCheck.objects.get().verdict == "ok"

    # Ask the policy, from the box on every page.
    page.get_by_label("Ask the policy").fill("Can I use my own phone to take photos on the school trip?")
    follow(page, axe_check, page.get_by_role("button", name="Ask", exact=True))
    answers = page.locator("main ol > li")
    expect(answers.nth(0)).to_contain_text("§5")
    expect(answers.nth(1)).to_contain_text("§6")
    expect(answers.nth(0).locator("mark")).not_to_be_empty()


# Addresses a phone check must not open: files the browser saves, and signing out.
NOT_PAGES = (".csv", ".pdf", ".zip", "/download", "/export", "/logout", "/file/", "/media/")


def school_links(page, school_path: str) -> list[str]:
    """Every link on the page to another page of the school, as a path, in order of appearance."""
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => new URL(a.href).pathname)")
    return [
        h for h in dict.fromkeys(hrefs) if h.startswith(school_path) and not any(n in h for n in NOT_PAGES)
    ]


@pytest.mark.parametrize("who", ["head", "teacher"])
def test_every_school_page_fits_a_phone_and_its_ask_box_is_usable(new_page, sign_in, axe_check, demo, who):
    """At 390 px (and 320): no page scrolls sideways, and "Ask the policy" is wide enough to type in — every page of the
    menu, and from each the first two pages of its objects (a policy, a pupil, an activity, a check …)."""
    publish_guidance(demo.school_slug)
    page = new_page(who, viewport=PHONE)
    sign_in(page, who)
    school_path = demo.url()
    page.goto(school_path)
    axe_check(page)
    menu_pages = page.locator("#navigation a").evaluate_all(
        "links => links.map(a => new URL(a.href).pathname)"
    )
    assert len(menu_pages) >= 3, menu_pages
    visits = list(dict.fromkeys(menu_pages))
    for path in menu_pages:
        page.goto(path)
        axe_check(page)
        # The main object pages: the first links from this page's content to a numbered object.
        objects = [
            h
            for h in school_links(page.locator("main"), school_path)
            if any(p.isdigit() for p in h.split("/"))
        ]
        visits += [h for h in objects[:2] if h not in visits]
    assert len(visits) > len(set(menu_pages)), visits  # object pages too, not the menu alone
    # Answers quote the policy, web addresses and all; and a question it does not cover.
    visits += [f"{school_path}policies/search/?q={q}" for q in ("who does this apply to", "asdf qwer")]
    too_wide, narrow_box = [], []
    for path in dict.fromkeys(visits):
        page.set_viewport_size(PHONE)
        response = page.goto(path)
        axe_check(page)
        assert response.status < 400, f"{path}: {response.status}"
        for phone_width in (PHONE["width"], 320):  # the narrowest phones in use, on the same page
            page.set_viewport_size({**PHONE, "width": phone_width})
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > phone_width:
                too_wide.append(f"{path} ({width} px at {phone_width})")
            box = page.get_by_label("Ask the policy").bounding_box()
            if box is None or box["width"] < 200:
                narrow_box.append(f"{path} ({box and round(box['width'])} px at {phone_width})")
    assert not too_wide and not narrow_box, (
        f"pages that scroll sideways: {too_wide}; pages where the Ask box is under 200 px: {narrow_box}"
    )
