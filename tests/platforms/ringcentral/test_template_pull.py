"""Templates changed in RingCentral arrive without anyone opening the manager: a periodic
pull per signed-in user, which writes nothing when nothing changed."""

from __future__ import annotations

from sqlalchemy import event

from tests.platforms.ringcentral.helpers import signed_in
from tests.platforms.ringcentral.test_templates import _local
from widget.extensions import db
from widget.platforms.ringcentral.tokens import forget_tokens
from widget.sms_templates.tasks import pull_templates_of_everyone

LISTS = ("/message-store-templates",)


def _pull(app) -> tuple[int, list[str]]:
    """Run the periodic task as the worker would; return users pulled and SQL it ran."""
    statements: list[str] = []
    with app.app_context():

        def seen(conn, cursor, statement, *args):
            statements.append(statement.split(None, 1)[0].upper())

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            pulled = pull_templates_of_everyone.call_local()
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
    return pulled, statements


def _template_lists_read(fake) -> int:
    return sum(fake.call_count("GET", suffix) for suffix in LISTS)


def test_the_periodic_pull_brings_ringcentral_changes_in(rc_server):
    fake = rc_server.fake
    fake.templates.add_template("Company", "Hours", "Open 9 to 5.")
    signed_in(rc_server)
    assert _local(rc_server.app) == []  # nobody opened the manager yet
    fake.templates.add_template("Personal", "Late", "Running late!")

    pulled, _ = _pull(rc_server.app)

    assert pulled == 1
    assert _local(rc_server.app) == [
        ("company", "Hours", "Open 9 to 5."),
        ("personal", "Late", "Running late!"),
    ]
    (hours_id,) = [i for i, t in fake.templates.template_store.items() if t.scope == "Company"]
    fake.templates.template_store[hours_id].text = "Open 8 to 6."
    _pull(rc_server.app)
    assert ("company", "Hours", "Open 8 to 6.") in _local(rc_server.app)


def test_a_pull_with_nothing_changed_reads_two_lists_and_writes_nothing(rc_server):
    fake = rc_server.fake
    fake.templates.add_template("Personal", "Late", "Running late!")
    signed_in(rc_server)
    _pull(rc_server.app)
    before = _template_lists_read(fake)

    pulled, statements = _pull(rc_server.app)

    assert pulled == 1
    assert _template_lists_read(fake) - before == 2  # personal and company, nothing else
    writes = [s for s in statements if s in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    # Twenty more templates: the same statements (costs do not grow with the lists).
    for n in range(20):
        fake.templates.add_template("Personal", f"T{n}", f"Text {n}")
    _pull(rc_server.app)
    _, again = _pull(rc_server.app)
    assert again == statements


def test_users_signed_out_or_revoked_are_not_pulled(rc_server):
    fake = rc_server.fake
    signed_in(rc_server)
    with rc_server.app.app_context():
        from widget.models import Extension

        forget_tokens(db.session.query(Extension.id).scalar())
    before = _template_lists_read(fake)

    pulled, _ = _pull(rc_server.app)

    assert pulled == 0
    assert _template_lists_read(fake) == before
