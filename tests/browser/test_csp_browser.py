"""The tightened CSP in real Chromium: no plugins (object-src 'none'), sockets only to
Sidetalk's own host; a fax still opens in Chromium's PDF viewer, and the widget's own
socket still connects."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"


def _sign_in(page, url: str) -> None:
    page.goto(url + "/auth/signin?next=/widget/")
    page.locator("label[data-extension-number='101']").click()
    page.get_by_role("button", name="Sign in").click()


def test_a_fax_opens_in_chromiums_pdf_viewer_under_object_src_none(page, live_server):
    from playwright.sync_api import expect

    _sign_in(page, live_server.url)
    link = page.locator("a.inline-doc").first
    expect(link).to_be_visible()

    with page.context.expect_page() as opened:
        link.click()
    pdf = opened.value
    refused: list[str] = []
    pdf.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
    pdf.wait_for_load_state()

    assert pdf.evaluate("document.contentType") == "application/pdf"
    for _ in range(50):  # the viewer attaches itself a moment after the load
        if any(frame.url.startswith(PDF_VIEWER) for frame in pdf.frames):
            break
        pdf.wait_for_timeout(200)
    assert any(frame.url.startswith(PDF_VIEWER) for frame in pdf.frames), pdf.frames
    assert refused == []


def test_the_policy_allows_only_this_hosts_socket_and_no_plugins(page, live_server):
    from playwright.sync_api import expect

    _sign_in(page, live_server.url)
    expect(page.locator("#realtime")).to_have_attribute("data-state", "live")

    policy = page.evaluate(
        "fetch('/widget/list', {headers: JSON.parse(document.body.getAttribute('hx-headers'))})"
        ".then(r => r.headers.get('content-security-policy'))"
    )
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    host = live_server.url.split("//", 1)[1]
    assert directives["connect-src"] == f"'self' ws://{host} wss://{host}"
    assert directives["object-src"] == "'none'"
    blocked = page.evaluate(
        """() => new Promise(resolve => {
            document.addEventListener('securitypolicyviolation', e => resolve(e.violatedDirective));
            try { new WebSocket('ws://evil.example/ws'); } catch (e) { resolve('threw'); }
            setTimeout(() => resolve('allowed'), 3000);
        })"""
    )
    assert blocked in ("connect-src", "threw")
