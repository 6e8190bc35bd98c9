"""The admin console and Salesforce screenshots of the README (``make_screenshot.py --only
admin``; ``make_screenshot.py`` alone makes every screenshot).

Before the pages are opened, Alice (101, the demo's admin) publishes version 1 of the
local CRM's log form (a required "Reason" field added) and edits a company template,
through the same services the console uses, so the diff and the audit log have something
to show. Then it saves:

- docs/admin-home.png, docs/admin-builder.png (with the live preview), docs/admin-diff.png
  (version 0 against 1), docs/admin-audit.png, at a desktop width;
- docs/salesforce-softphone.png and docs/salesforce-click-to-dial.png: the widget framed by
  a stand-in of Salesforce's Lightning page (another origin serving the stand-in
  ``opencti_min.js`` of ``fakes/salesforce/``), docked 360 x 640 like the softphone panel;
- docs/salesforce-log-panel.png: the Log panel at the softphone's 360 x 640.
"""

from __future__ import annotations

import html
import json
import sys
import threading
from pathlib import Path
from urllib.parse import quote

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
STAND_IN = ROOT / "fakes" / "salesforce" / "opencti_min.js"
CONNECTOR = "local"
DESKTOP = {"width": 1280, "height": 820}

# A Lightning record page reduced to what matters: the record on the left, the
# softphone utility panel docked bottom-right, and the stand-in Open CTI events.
HOST_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Jane Roe | Salesforce</title>
<style>
body{margin:0;font-family:system-ui,sans-serif;background:#f3f3f3;color:#181818}
header{background:#0176d3;color:#fff;padding:.6rem 1rem;font-weight:600}
main{padding:1rem 1.25rem;max-width:560px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:1rem}
.card dt{color:#555;font-size:.8rem}.card dd{margin:0 0 .6rem}
.phone{color:#0176d3;text-decoration:underline;cursor:pointer}
.utility{position:fixed;right:1rem;bottom:0;width:362px;background:#fff;
 border:1px solid #c9c9c9;border-bottom:0;border-radius:6px 6px 0 0;box-shadow:0 -2px 6px #0002}
.utility h2{margin:0;font-size:.85rem;padding:.4rem .6rem;border-bottom:1px solid #ddd}
iframe{border:0;display:block}
</style></head><body>
<header>Sales · Contacts</header>
<main><div class="card"><h1>Jane Roe</h1><dl>
<dt>Account</dt><dd>Acme Logistics</dd>
<dt>Mobile</dt><dd><span class="phone" id="click-to-dial">(415) 555-0123</span></dd>
</dl></div></main>
<section class="utility"><h2>Sidetalk (Open CTI softphone)</h2>
<iframe id="softphone" src="{src}" width="360" height="640"></iframe></section>
<script>
function send(event, payload) {
  document.getElementById("softphone").contentWindow.postMessage({event, payload}, "*");
}
document.getElementById("click-to-dial").addEventListener("click", function () {
  send("dial", {number: this.textContent, recordName: "Jane Roe", objectType: "Contact"});
});
</script></body></html>"""


def prepare(app) -> None:
    """Alice publishes version 1 of the log form and edits a company template."""
    from sqlalchemy import select

    from widget.admin import company, drafts
    from widget.crm_logging import manifests
    from widget.extensions import db
    from widget.models import Extension

    with app.app_context():
        alice = db.session.scalars(select(Extension).where(Extension.extension_number == "101"))
        alice = alice.one()
        document = manifests.bundled_manifest(CONNECTOR)
        fields = document["platforms"][CONNECTOR]["page"]["messageLog"]["additionalFields"]
        reason = {
            "const": "reason",
            "title": "Reason",
            "type": "selection",
            "required": True,
            "options": [
                {"const": "Billing", "title": "Billing"},
                {"const": "Scheduling", "title": "Scheduling"},
            ],
        }
        fields.insert(2, reason)
        drafts.publish(alice, CONNECTOR, json.dumps(document), 0)
        first = company.company_templates(alice).templates[0]
        company.edit_company_template(alice, first.id, first.title, first.body + " Thank you!")
        db.session.remove()


def _sign_in(page, base_url: str, path: str) -> None:
    page.goto(f"{base_url}/auth/signin?next={path}")
    page.locator("label[data-extension-number='101']").click()
    page.get_by_role("button", name="Sign in").click()


def _serve_host(base_url: str):
    """Serve the stand-in Salesforce page on ``localhost`` (another origin than the widget)."""
    holder = {}

    def host(environ, start_response):
        if environ.get("PATH_INFO", "").endswith("/lightning/opencti_min.js"):
            start_response("200 OK", [("Content-Type", "text/javascript")])
            return [STAND_IN.read_bytes()]
        target = f"/widget/?sfdcIframeOrigin={holder['origin']}"
        src = f"{base_url}/auth/signin?next={quote(target, safe='')}"
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [HOST_PAGE.replace("{src}", html.escape(src)).encode()]

    server = make_server("127.0.0.1", 0, host, threaded=True)
    holder["origin"] = f"http://localhost:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, holder["origin"]


def _admin_pages(browser, base_url: str, docs: Path) -> list[Path]:
    page = browser.new_page(viewport=DESKTOP)
    saved = []

    def save(name: str, target=None) -> None:
        saved.append(docs / name)
        (target or page).screenshot(path=str(saved[-1]))

    _sign_in(page, base_url, "/admin/")
    page.get_by_role("heading", name="Salesforce").wait_for()
    save("admin-home.png")
    page.goto(f"{base_url}/admin/manifests/{CONNECTOR}")
    page.frame_locator("#log-form-preview iframe").locator("#log-panel").wait_for()
    save("admin-builder.png")
    page.locator("#diff-from").select_option("0")
    page.locator("#diff-to").select_option("1")
    page.get_by_role("button", name="Show diff").click()
    page.locator("#version-diff").get_by_text("Reason").first.wait_for()
    section = page.locator("section[aria-labelledby='diff-title']")
    section.scroll_into_view_if_needed()
    save("admin-diff.png", section)
    page.goto(f"{base_url}/admin/audit")
    page.get_by_text("Published version 1").wait_for()
    page.locator("details summary").first.click()  # the latest change, with its diff
    save("admin-audit.png")
    page.close()
    return saved


def _salesforce_pages(browser, base_url: str, docs: Path) -> list[Path]:
    server, origin = _serve_host(base_url)
    saved = []
    try:
        page = browser.new_page(viewport=DESKTOP)
        page.goto(origin + "/")
        widget = page.frame_locator("#softphone")
        widget.locator("label[data-extension-number='101']").click()
        widget.get_by_role("button", name="Sign in").click()
        widget.locator("#rows li.row[data-channel='text'] .row-main").first.click()
        widget.locator("#thread article.thread li.bubble").first.wait_for()
        page.wait_for_timeout(800)  # htmx settles, fonts paint
        saved.append(docs / "salesforce-softphone.png")
        page.screenshot(path=str(saved[-1]))
        page.locator("#click-to-dial").click()
        widget.get_by_role("dialog").get_by_role("button", name="Text").wait_for()
        saved.append(docs / "salesforce-click-to-dial.png")
        page.screenshot(path=str(saved[-1]))
        page.close()
    finally:
        server.shutdown()

    sidebar = browser.new_page(viewport={"width": 360, "height": 640})
    _sign_in(sidebar, base_url, "/widget/")
    sidebar.locator("#rows li.row[data-channel='text'] .row-main").first.click()
    sidebar.locator("#thread").get_by_role("button", name="Log", exact=True).click()
    sidebar.locator("#log-panel").wait_for()
    sidebar.wait_for_load_state("networkidle")
    saved.append(docs / "salesforce-log-panel.png")
    sidebar.screenshot(path=str(saved[-1]))
    sidebar.close()
    return saved


def capture(base_url: str) -> list[Path]:
    from make_screenshot import CHROMIUM, CHROMIUM_ARGS, DOCS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        saved = _admin_pages(browser, base_url, DOCS) + _salesforce_pages(browser, base_url, DOCS)
        browser.close()
    return saved


if __name__ == "__main__":
    from make_screenshot import main

    sys.exit(main(["--only", "admin"]))
