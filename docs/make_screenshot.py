"""Regenerate docs/screenshot-sidebar.png: the seeded demo's sidebar at 360 x 640.

Run with the project's venv (Debian's chromium must be installed):

    .venv/bin/python docs/make_screenshot.py [--thread]

It seeds a throw-away demo database in a temporary folder, serves it on a free port,
signs in as Alice (101) in headless Chromium and saves the sidebar. ``--thread`` also
saves docs/screenshot-thread.png with the first unread conversation open.
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
WIDTH, HEIGHT = 360, 640


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
        }
    )
    with app.app_context():
        from widget.platforms.sandbox.seed import seed_demo

        db.create_all()
        seed_demo()
        db.session.remove()
    return app


def capture(base_url: str, with_thread: bool) -> list[Path]:
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
        target = DOCS / "screenshot-sidebar.png"
        page.screenshot(path=str(target))
        saved.append(target)
        if with_thread:
            page.locator("#rows li.row.unread .row-main").first.click()
            page.locator("#thread article.thread li.bubble").first.wait_for()
            page.wait_for_load_state("networkidle")
            target = DOCS / "screenshot-thread.png"
            page.screenshot(path=str(target))
            saved.append(target)
        browser.close()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--thread", action="store_true", help="also save an open thread")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sidetalk-screenshot-") as tmp:
        app = demo_app(Path(tmp))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            saved = capture(f"http://127.0.0.1:{server.server_port}", args.thread)
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()
    for path in saved:
        print(f"saved {path.relative_to(DOCS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
