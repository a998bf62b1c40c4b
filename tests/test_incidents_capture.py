"""A page captured as evidence: one WARC file holding the request, the response as received and the visible
text, fetched by the SSRF-safe fetcher (a real server on loopback, allowed for the test only)."""

import io

import pytest
from warcio.archiveiterator import ArchiveIterator

from saferstaff.fetching import FetchRefused
from saferstaff.incidents.capture import capture
from tests.test_fetching import site  # noqa: F401  (the loopback test server)


def test_a_captured_page_is_one_warc_with_its_text(site):  # noqa: F811
    warc = capture(site + "/ok", allow_loopback=True)
    assert warc.startswith(b"WARC/1.")
    records = {r.rec_type: r for r in ArchiveIterator(io.BytesIO(warc))}
    assert set(records) == {"request", "response", "conversion"}


def test_the_response_is_kept_as_received_and_the_text_without_scripts(site):  # noqa: F811
    seen = {}
    for record in ArchiveIterator(io.BytesIO(capture(site + "/ok", allow_loopback=True))):
        seen[record.rec_type] = (record, record.content_stream().read())  # read while the iterator is here
    response, body = seen["response"]
    assert response.http_headers.get_statuscode() == "200"
    assert response.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
    assert body == b"<html><body>Posts</body></html>"
    assert seen["conversion"][1].decode() == "Posts"
    scripted = {
        r.rec_type: r.content_stream().read()
        for r in ArchiveIterator(io.BytesIO(capture(site + "/scripted", allow_loopback=True)))
    }
    assert scripted["conversion"].decode() == "You are\na liar"


def test_what_the_fetcher_refuses_is_not_captured(site):  # noqa: F811
    with pytest.raises(FetchRefused):
        capture(site + "/ok")  # loopback, not allowed outside tests
    with pytest.raises(FetchRefused):
        capture(site + "/to-private", allow_loopback=True)
