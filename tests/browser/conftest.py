"""Browser tests: Debian's Chromium driven by Playwright (sync API) against pytest-django's live server.

- ``browser`` starts Chromium once for this folder (skip, or fail under SAFERSTAFF_REQUIRE_ALL=1, when
  /usr/bin/chromium or axe-core is missing). ``playwright install`` cannot download here, so we always
  launch the system Chromium with the flags STACK.md lists.
- ``new_page(label, **context_options)`` opens a page in a fresh browser context. Every page it opens is
  watched: each document load must be followed by ``axe_check(page)``, and at the end of the test the
  axe violations of every page visited, any static file that failed to load and any console error (CSP
  refusals show up there) fail the test, listed together.
- ``demo`` loads the demo school (``load_demo``) and knows its accounts; ``sign_in`` signs in through the
  real sign-in pages, entering the TOTP code computed from the demo secret when asked for one.
"""

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.browser.support import PHONE_WIDTH, submit
from tests.conftest import current_totp as totp_code
from tests.conftest import skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium keeps trying to reach Google's servers from this closed network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1200, "height": 800}
PHONE = {"width": PHONE_WIDTH, "height": 844}

# Runs axe (all its rules, best practices included) and returns only what a failure message needs.
_AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.slice(0, 8).map(n => n.target.join(" ")), count: v.nodes.length,
  }));
}"""


_MICROTASK_TIMERS = """() => {
  window.setTimeout = (fn, ms, ...args) => { Promise.resolve().then(() => fn(...args)); return 0; };
  window.clearTimeout = () => {};
}"""


@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        skip_or_fail("Chromium is not installed: apt-get install chromium")
    if not AXE_JS.exists():
        skip_or_fail(f"axe-core is not installed ({AXE_JS} is missing): run `make setup` (npm ci)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("The playwright Python package is not installed: run `make setup`")
    # Playwright's sync API keeps an asyncio loop registered as running on this thread for as long as it is
    # started, and Django then refuses ORM calls from test code ("SynchronousOnlyOperation"). The tests here
    # really are synchronous, so allow it -- but only while Chromium is up, so the rest of the suite keeps
    # Django's check.
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if saved is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@dataclass
class PageWatch:
    """What happened on one page: documents loaded, axe results, broken static files, console errors."""

    page: object
    label: str
    javascript: bool = True
    loads: list[str] = field(default_factory=list)
    checked_loads: int = 0
    violations: list[tuple[str, list[dict]]] = field(default_factory=list)
    broken_files: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    aborted: list[str] = field(default_factory=list)  # requests cut short (net::ERR_ABORTED)
    downloads: set[str] = field(default_factory=set)  # addresses the browser saved as a download

    def attach(self):
        self.page.on("load", lambda page: self.loads.append(page.url))
        self.page.on("download", lambda download: self.downloads.add(download.url))
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._failed)
        self.page.on("console", self._console)

    def _console(self, message):
        # Errors from our scripts and CSP refusals. "Failed to load resource" is Chromium echoing an HTTP
        # error status: static files are checked in _response, and the tests check the pages' statuses.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(f"{self.page.url}: {message.text}")

    def _failed(self, request):
        # A download ends its navigation with ERR_ABORTED: that is the browser saving the file, not a failure.
        # PDF and CSV exports are known by their address; any other download (a published copy, say) once
        # the page reports it as a download.
        if request.failure == "net::ERR_ABORTED" and request.url.endswith((".pdf", ".csv")):
            return
        if request.failure == "net::ERR_ABORTED":
            # A page's own image or script cut short is the browser moving on to the next page before a lazy
            # thumbnail arrived: the browser cancelled it, the server did not fail (that is an HTTP status or
            # another net:: error). A page itself cut short is a failure, unless it turns out to be a download
            # (failed_files).
            if request.is_navigation_request():
                self.aborted.append(request.url)
            return
        self.broken_files.append(f"{request.url} ({request.failure})")

    def failed_files(self) -> list[str]:
        return self.broken_files + [
            f"{url} (net::ERR_ABORTED)" for url in self.aborted if url not in self.downloads
        ]

    def _response(self, response):
        if "/static/" in response.url and response.status >= 400:
            self.broken_files.append(f"{response.url} (HTTP {response.status})")

    def unchecked(self) -> list[str]:
        return self.loads[self.checked_loads :]


class Axe:
    """``axe_check(page)`` runs axe-core on the page as it is now and records any violations."""

    def __init__(self):
        self.source = AXE_JS.read_text(encoding="utf-8")
        self.watches: dict[int, PageWatch] = {}

    def watch(self, page, label: str, javascript: bool = True) -> PageWatch:
        w = PageWatch(page, label, javascript)
        w.attach()
        self.watches[id(page)] = w
        return w

    def __call__(self, page) -> list[dict]:
        page.wait_for_load_state("load")
        w = self.watches[id(page)]
        # Evaluated through the DevTools protocol, which the page's strict CSP does not apply to (a <script>
        # tag would be refused by it).
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.source)
            if not w.javascript:
                # With JavaScript off the page's timers never fire, and axe.run waits on setTimeout between
                # its steps (it would hang for ever): run those callbacks as microtasks instead.
                page.evaluate(_MICROTASK_TIMERS)
        found = page.evaluate(_AXE_RUN)
        w.checked_loads = len(w.loads)
        if found:
            w.violations.append((page.url, found))
        return found

    def not_ours(self, page, ours: str) -> None:
        """The page now shown is another site's (a school's sign-in provider), not one under ``ours`` (the live
        server's address): not ours to check with axe."""
        page.wait_for_load_state("load")
        assert not page.url.startswith(ours), f"{page.url} is one of our pages"
        w = self.watches[id(page)]
        w.checked_loads = len(w.loads)

    def report(self) -> str:
        lines = []
        for w in self.watches.values():
            for url, found in w.violations:
                lines.append(f"axe: {len(found)} violation(s) on {url} [{w.label}]")
                for v in found:
                    lines.append(f"  - {v['id']} ({v['impact']}): {v['help']}  {v['helpUrl']}")
                    lines.extend(f"      {t}" for t in v["targets"])
                    if v["count"] > len(v["targets"]):
                        lines.append(f"      … and {v['count'] - len(v['targets'])} more")
            if w.unchecked():
                lines.append(
                    f"pages loaded but never checked with axe [{w.label}]: {', '.join(w.unchecked())}"
                )
            lines.extend(f"static file failed to load [{w.label}]: {b}" for b in w.failed_files())
            lines.extend(f"console error [{w.label}]: {e}" for e in w.console_errors)
        return "\n".join(lines)


@pytest.fixture
def axe_check(browser):
    axe = Axe()
    yield axe
    report = axe.report()
    if report:
        pytest.fail("Browser checks failed:\n" + report, pytrace=False)


@pytest.fixture
def new_page(browser, axe_check, live_server):
    """``new_page(label, **context_options)``: a page in a new context; closed after the test."""
    contexts = []

    def make(label: str = "page", **options):
        options.setdefault("viewport", DESKTOP)
        options.setdefault("locale", "en-GB")
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        axe_check.watch(page, label, javascript=options.get("java_script_enabled", True))
        return page

    yield make
    for context in contexts:
        context.close()


# --- The demo school and signing in ---------------------------------------------------------------------


@dataclass
class Demo:
    school_slug: str

    @staticmethod
    def email(local: str) -> str:
        from saferstaff.home.management.commands.load_demo import DOMAIN

        return f"{local}@{DOMAIN}"

    @staticmethod
    def password(local: str) -> str:
        from saferstaff.home.management.commands.load_demo import demo_password

        return demo_password(local)

    @staticmethod
    def totp_secret(local: str) -> str | None:
        from saferstaff.home.management.commands.load_demo import MFA_LOCALS, demo_totp_secret

        return demo_totp_secret(local) if local in MFA_LOCALS else None

    def url(self, path: str = "") -> str:
        return f"/s/{self.school_slug}/{path}"


@pytest.fixture
def demo(live_server) -> Demo:
    from django.core.cache import cache

    from saferstaff.home.management.commands.load_demo import DEMO_SCHOOL
    from saferstaff.schools.models import School

    # The cache (a database table that the flush between tests leaves alone) remembers used TOTP codes and
    # sign-in rate limits: two tests signing in as the same person within 30 s would otherwise collide.
    cache.clear()
    call_command("load_demo", stdout=io.StringIO())
    return Demo(school_slug=School.objects.get(name=DEMO_SCHOOL).slug)


@pytest.fixture
def sign_in(demo, axe_check):
    def do(page, local: str):
        """Sign in as ``local``@demo.example from the sign-in page; answer the TOTP step if asked."""
        page.goto("/accounts/login/")
        axe_check(page)
        page.locator('input[name="login"]').fill(demo.email(local))
        page.locator('input[name="password"]').fill(demo.password(local))
        submit(page, "login")
        axe_check(page)
        secret = demo.totp_secret(local)
        if secret:
            assert "/2fa/authenticate" in page.url, f"expected the authenticator code step, got {page.url}"
            page.locator('input[name="code"]').fill(totp_code(secret))
            submit(page, "code")
            axe_check(page)
        assert "/accounts/login" not in page.url and "/2fa/" not in page.url, (
            f"sign-in as {local} did not complete: still on {page.url}"
        )

    return do
