"""Admin console requests on a small and a large history: SQL statements and time.

    .venv/bin/python bench/admin_console.py [--small 10 --large 2000] [--requests 20]

For each size it seeds the demo people (SQLite, temporary), then ``N`` published
versions of the local CRM's manifest and ``10 * N`` audit entries, signs in as the admin
(101) and measures the builder page, a builder edit (form -> JSON, check, preview,
draft save), a JSON edit, the audit log and the home page: statements per request (must
not grow with the history) and median/p95 milliseconds. The last line is one JSON
object.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import StatementLog, make_app, sign_in  # noqa: E402
from manifest.builder import form_data, page_fields  # noqa: E402
from widget.crm_logging import manifests  # noqa: E402
from widget.extensions import db  # noqa: E402
from widget.models import AdminAuditEntry, Extension, ManifestVersion  # noqa: E402
from widget.models.types import utcnow  # noqa: E402

CONNECTOR = "local"


def seed(versions: int) -> None:
    from widget.platforms.sandbox.seed import seed_people

    db.create_all()
    account = seed_people()
    db.session.commit()
    admin = db.session.query(Extension).filter_by(account_id=account.id, is_admin=True).first()
    document = manifests.bundled_manifest(CONNECTOR)
    now = utcnow()
    db.session.execute(
        ManifestVersion.__table__.insert(),
        [
            {
                "account_id": account.id,
                "connector_id": CONNECTOR,
                "version": number,
                "document": document,
                "restored_version": None,
                "published_by_id": admin.id,
                "created_at": now,
            }
            for number in range(1, versions + 1)
        ],
    )
    db.session.execute(
        AdminAuditEntry.__table__.insert(),
        [
            {
                "account_id": account.id,
                "actor_id": admin.id,
                "actor_name": admin.name,
                "action": "manifest.publish",
                "subject": "Log form (Local CRM)",
                "summary": f"Published version {number}",
                "diff": "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y",
                "created_at": now,
            }
            for number in range(10 * versions)
        ],
    )
    db.session.commit()


def cases(versions: int) -> dict[str, tuple[str, str, dict | None]]:
    text = manifests.manifest_text(manifests.bundled_manifest(CONNECTOR))
    rows = page_fields(json.loads(text), CONNECTOR, "messageLog")
    edit = dict(form_data(rows))
    edit.update(document=text, base_version=str(versions), builder_page="messageLog")
    json_edit = {"document": text, "base_version": str(versions), "builder_page": "messageLog"}
    return {
        "home": ("GET", "/admin/", None),
        "builder_page": ("GET", f"/admin/manifests/{CONNECTOR}", None),
        "builder_edit": ("POST", f"/admin/manifests/{CONNECTOR}/builder", edit),
        "json_edit": ("POST", f"/admin/manifests/{CONNECTOR}/validate", json_edit),
        "audit_log": ("GET", "/admin/audit", None),
    }


def measure(versions: int, requests: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="sidetalk-bench-admin-") as tmp:
        root = Path(tmp)
        app = make_app(f"sqlite:///{root / 'bench.db'}", root)
        with app.app_context():
            seed(versions)
            log = StatementLog(db.engine)
        client = app.test_client()
        headers = sign_in(client)
        page_headers = {k: v for k, v in headers.items() if k != "HX-Request"}
        results = {}
        for name, (method, url, data) in cases(versions).items():
            sent = page_headers if method == "GET" else headers
            timings = []
            for attempt in range(requests + 1):
                with log.capture() as statements:
                    started = time.perf_counter()
                    response = client.open(url, method=method, data=data, headers=sent)
                    elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{method} {url}: {response.status_code}")
                if attempt:  # the first request warms caches
                    timings.append(elapsed)
            timings.sort()
            results[name] = {
                "statements": len(statements),
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(timings[math.ceil(0.95 * len(timings)) - 1], 1),  # nearest rank
            }
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10, help="versions (x10 audit entries)")
    parser.add_argument("--large", type=int, default=2000, help="versions (x10 audit entries)")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per case")
    args = parser.parse_args(argv)
    figures = {
        "small_versions": args.small,
        "large_versions": args.large,
        "small": measure(args.small, args.requests),
        "large": measure(args.large, args.requests),
    }
    print(f"{'case':<14}{'statements':>22}{'median ms':>22}{'p95 ms':>22}")
    print(f"{'':<14}{'small / large':>22}{'small / large':>22}{'small / large':>22}")
    for name, small in figures["small"].items():
        large = figures["large"][name]
        print(
            f"{name:<14}{small['statements']:>13} / {large['statements']:<6}"
            f"{small['median_ms']:>13} / {large['median_ms']:<6}"
            f"{small['p95_ms']:>13} / {large['p95_ms']:<6}"
        )
    figures["statements_grow"] = any(
        figures["large"][n]["statements"] != figures["small"][n]["statements"]
        for n in figures["small"]
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
