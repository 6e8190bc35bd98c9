"""With RingCentral, admins come from the platform's permissions, not from the console.

Each sign-in reads ``GET /restapi/v1.0/account/~/extension/~`` from the fake RingCentral
and sets Sidetalk's admin flag from ``permissions.admin.enabled``, both ways; the console
shows the roles read-only and refuses to change them. The field's shape is RingCentral's
``ExtensionPermissions`` ("corresponding to the Service Web permissions 'Admin' and
'InternationalCalling'", each a ``PermissionInfo`` with ``enabled``) as its SDK references
describe it; ``conformance/ringcentral/`` holds no extension-info payload.
"""

from __future__ import annotations

import json

from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.platforms.ringcentral.conftest import sign_in_over_http
from widget import htmx_support
from widget.extensions import db
from widget.models import AdminAuditEntry, Extension
from widget.platforms.ringcentral.tasks import refresh_everyones_provisioning


def _sign_in(rc_server) -> dict[str, str]:
    browser, token = sign_in_over_http(rc_server)
    widget = browser.get(f"{rc_server.url}/widget/", headers={htmx_support.TOKEN_HEADER: token})
    body = BeautifulSoup(widget.text, "html.parser").find("body")
    headers = json.loads(body["hx-headers"])  # the token and CSRF headers htmx sends
    assert set(headers) >= {htmx_support.TOKEN_HEADER, htmx_support.CSRF_HEADER}
    return headers


def _is_admin(rc_server) -> bool:
    with rc_server.app.app_context():
        return db.session.scalars(select(Extension)).one().is_admin


def test_the_admin_flag_follows_the_extension_permissions_at_each_sign_in(rc_server):
    rc_server.fake.is_admin = False
    user = _sign_in(rc_server)

    assert _is_admin(rc_server) is False
    refused = rc_server.session().get(f"{rc_server.url}/admin/", headers=user)
    assert refused.status_code == 403

    rc_server.fake.is_admin = True  # granted in RingCentral's admin portal
    admin = _sign_in(rc_server)

    assert _is_admin(rc_server) is True
    opened = rc_server.session().get(f"{rc_server.url}/admin/settings", headers=admin)
    assert opened.status_code == 200

    rc_server.fake.is_admin = False  # and revoked there again
    _sign_in(rc_server)

    assert _is_admin(rc_server) is False
    assert rc_server.session().get(f"{rc_server.url}/admin/", headers=admin).status_code == 403


def test_the_console_shows_platform_roles_read_only_and_refuses_changes(rc_server):
    rc_server.fake.is_admin = True
    admin = _sign_in(rc_server)
    with rc_server.app.app_context():
        extension_id = db.session.scalars(select(Extension.id)).one()

    page = rc_server.session().get(f"{rc_server.url}/admin/settings", headers=admin)
    roles = BeautifulSoup(page.text, "html.parser").select_one("#admin-roles")
    assert "come from your telephony platform" in roles.get_text()
    assert roles.find("button") is None

    revoke = rc_server.session().post(
        f"{rc_server.url}/admin/settings/admins/{extension_id}",
        data={"role": "user"},
        headers=admin,
    )

    assert revoke.status_code == 403
    assert "change them there" in revoke.text
    assert _is_admin(rc_server) is True
    with rc_server.app.app_context():
        assert db.session.scalars(select(AdminAuditEntry)).first() is None


def test_a_revocation_in_ringcentral_reaches_a_signed_in_admin_at_the_periodic_refresh(
    rc_server,
):
    rc_server.fake.is_admin = True
    admin = _sign_in(rc_server)
    assert rc_server.session().get(f"{rc_server.url}/admin/", headers=admin).status_code == 200

    rc_server.fake.is_admin = False  # revoked in RingCentral; the admin stays signed in
    with rc_server.app.app_context():
        assert refresh_everyones_provisioning.call_local() == 1

    assert _is_admin(rc_server) is False
    assert rc_server.session().get(f"{rc_server.url}/admin/", headers=admin).status_code == 403
