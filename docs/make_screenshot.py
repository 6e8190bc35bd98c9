"""Regenerate the README's screenshots: the sidebar of the seeded demo at 360 x 800 (the
list, a thread, Compose and the Log panel: docs/screenshot-*.png), and the admin console
and Salesforce views (docs/admin-*.png, docs/salesforce-*.png: see
``make_admin_screenshots.py``).

Run with the project's venv (Debian's chromium must be installed):

    .venv/bin/python docs/make_screenshot.py [--only sidebar|admin]

Each set seeds a throw-away demo database in a temporary folder, serves it on a free
port, signs in as Alice (101) in headless Chromium and saves each view.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from pathlib import Path

from cryptography.fernet import Fernet
from werkzeug.serving import make_server

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

from widget import create_app  # noqa: E402
from widget.extensions import db  # noqa: E402

CHROMIUM = os.environ.get("SIDETALK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTH, HEIGHT = 360, 800


def demo_app(root: Path):
    """An application on a freshly seeded demo in ``root`` (jobs run inline)."""
    os.environ["SIDETALK_INSTANCE_PATH"] = str(root / "instance")
    app = create_app(
        {
            "SECRET_KEY": os.urandom(24).hex(),
            "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'demo.db'}",
            "MEDIA_DIR": str(root / "media"),
            "JOBS_IMMEDIATE": True,
            # Demo sign-in (choose an extension); lets the stand-in Salesforce page of the
            # Salesforce screenshots (on localhost) frame the widget.
            "DEMO_MODE": True,
        }
    )
    with app.app_context():
        from widget.demo import seed_demo

        db.create_all()
        seed_demo()
        db.session.remove()
    return app


def _home(page) -> None:
    page.locator("#thread [data-close-thread]").first.click()
    page.locator("#thread").wait_for(state="hidden")


def _views(page):
    """(file name, how to show it) for each screenshot, starting from the list."""

    def thread():
        page.locator("#rows li.row[data-channel='text'] .row-main").first.click()
        page.locator("#thread article.thread li.bubble").first.wait_for()

    def compose():
        page.get_by_role("button", name="Compose").click()
        form = page.locator("#compose-form")
        form.locator("#recipient-query").fill("jane")
        form.locator("#recipient-options [data-picker-option]").first.click()
        form.locator("#compose-text").fill("Your order ships today; tracking to follow.")

    def log_panel():
        thread()
        page.locator("#thread").get_by_role("button", name="Log", exact=True).click()
        page.locator("#thread .log-panel").wait_for()

    return [
        ("screenshot-sidebar.png", lambda: None),
        ("screenshot-thread.png", thread),
        ("screenshot-compose.png", compose),
        ("screenshot-log.png", log_panel),
    ]


def capture(base_url: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=2)
        page.goto(f"{base_url}/auth/signin?next=/widget/")
        page.locator("label[data-extension-number='101']").click()
        page.get_by_role("button", name="Sign in").click()
        page.locator("#rows li[data-conversation-id]").first.wait_for()
        page.locator("#realtime[data-state='live']").wait_for()
        for name, show in _views(page):
            show()
            page.wait_for_timeout(800)  # htmx settles, fonts and pictures paint
            target = DOCS / name
            page.screenshot(path=str(target))
            saved.append(target)
            if page.locator("#thread [data-close-thread]").count():
                _home(page)
        browser.close()
    return saved


def run_on_demo(capture_pages, prepare=None) -> int:
    """Serve a fresh demo (``prepare(app)`` first), call ``capture_pages(base_url)`` and
    print the files it saved."""
    with tempfile.TemporaryDirectory(prefix="sidetalk-screenshot-") as tmp:
        app = demo_app(Path(tmp))
        if prepare is not None:
            prepare(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            saved = capture_pages(f"http://127.0.0.1:{server.server_port}")
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()
    for path in saved:
        print(f"saved {path.relative_to(DOCS.parent)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sidebar", "admin"], help="make one set only")
    only = parser.parse_args(argv).only
    status = 0
    if only in (None, "sidebar"):
        status |= run_on_demo(capture)
    if only in (None, "admin"):
        import make_admin_screenshots as admin

        status |= run_on_demo(admin.capture, admin.prepare)
    return status


if __name__ == "__main__":
    sys.exit(main())
