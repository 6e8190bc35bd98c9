"""``sidetalk queue ...``: manage shared inboxes from the command line (the admin
console's Queues page does the same in a browser). Each command opens an app context,
calls ``manage`` and prints one line per result; a domain error exits 1 with its message
and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from widget.errors import DomainError


def _run(make_app: Callable, work: Callable[[], None]) -> None:
    from widget.extensions import db

    app = make_app()
    with app.app_context():
        try:
            work()
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from exc


def _account(account_id: int | None):
    from sqlalchemy import select

    from widget.errors import Invalid
    from widget.extensions import db
    from widget.models import Account

    accounts = db.session.scalars(select(Account).order_by(Account.id)).all()
    if account_id is not None:
        found = [a for a in accounts if a.id == account_id]
        if not found:
            raise Invalid(f"There is no account {account_id}.")
        return found[0]
    if len(accounts) != 1:
        raise Invalid("Name the account with --account ID (there is not exactly one).")
    return accounts[0]


def _person(account, extension_number: str):
    from sqlalchemy import select

    from widget.errors import NotFound
    from widget.extensions import db
    from widget.models import Extension

    person = db.session.scalar(
        select(Extension).where(
            Extension.account_id == account.id,
            Extension.extension_number == extension_number,
            Extension.people(),
        )
    )
    if person is None:
        raise NotFound(f"There is no extension {extension_number}.")
    return person


def _minutes(value: str | None, name: str):
    """``None`` keeps the setting, ``off`` turns it off, a number sets it."""
    from widget.errors import Invalid

    if value is None:
        return ...
    if value.strip().lower() == "off":
        return None
    if not value.strip().isdigit():
        raise Invalid(f"{name} must be a whole number or off; got {value!r}.")
    return int(value)


def _settings(account, claim_timeout, no_reply_timeout, idle_resolve, overflow) -> dict:
    from widget.queues import manage

    settings = {
        "claim_timeout_minutes": _minutes(claim_timeout, "--claim-timeout"),
        "no_reply_timeout_minutes": _minutes(no_reply_timeout, "--no-reply-timeout"),
        "idle_resolve_hours": _minutes(idle_resolve, "--idle-resolve"),
    }
    if overflow is not None:
        off = overflow.strip().lower() == "off"
        settings["overflow_queue"] = None if off else manage.queue_named(account, overflow)
    return {key: value for key, value in settings.items() if value is not ...}


def _describe(queue) -> str:
    def show(value, unit):
        return "off" if value is None else f"{value}{unit}"

    numbers = ",".join(n.e164 for n in queue.mailbox.phone_numbers) or "-"
    members = ",".join(
        f"{m.extension.extension_number}{'' if m.available else '(away)'}" for m in queue.members
    )
    return (
        f"{queue.id}\t{queue.name}\t{numbers}\tmembers={members or '-'}\t"
        f"claim={show(queue.claim_timeout_minutes, 'm')}\t"
        f"no-reply={show(queue.no_reply_timeout_minutes, 'm')}\t"
        f"idle={show(queue.idle_resolve_hours, 'h')}"
    )


def queue_group(make_app: Callable) -> click.Group:
    """Build the ``queue`` command group; ``make_app`` builds the application."""

    @click.group()
    def queue() -> None:
        """Shared SMS inboxes: create, members, settings, list."""

    account_option = click.option("--account", "account_id", type=int, help="Account id")
    timeouts = [
        click.option("--claim-timeout", help="Minutes unclaimed before re-notify/overflow, or off"),
        click.option("--no-reply-timeout", help="Minutes claimed without a reply, or off"),
        click.option("--idle-resolve", help="Hours without a message before resolving, or off"),
        click.option("--overflow", help="Queue that takes cases unclaimed too long, or off"),
    ]

    def with_timeouts(fn):
        for option in reversed(timeouts):
            fn = option(fn)
        return fn

    @queue.command("create")
    @click.argument("name")
    @click.option("--number", "numbers", multiple=True, required=True, help="E.164 number")
    @account_option
    @with_timeouts
    def create(name, numbers, account_id, claim_timeout, no_reply_timeout, idle_resolve, overflow):
        """Create queue NAME answering --number (repeatable)."""

        def work():
            from widget.extensions import db
            from widget.phone import to_e164
            from widget.queues import manage

            account = _account(account_id)
            e164s = [to_e164(n, "US", field="number") for n in numbers]
            settings = _settings(account, claim_timeout, no_reply_timeout, idle_resolve, overflow)
            created = manage.create_queue(account, name, e164s, **settings)
            db.session.commit()
            click.echo(_describe(created))

        _run(make_app, work)

    @queue.command("set")
    @click.argument("name")
    @account_option
    @with_timeouts
    def set_(name, account_id, claim_timeout, no_reply_timeout, idle_resolve, overflow):
        """Change queue NAME's timeouts or overflow queue."""

        def work():
            from widget.extensions import db
            from widget.queues import manage

            account = _account(account_id)
            found = manage.queue_named(account, name)
            settings = _settings(account, claim_timeout, no_reply_timeout, idle_resolve, overflow)
            manage.change_settings(found, **settings)
            db.session.commit()
            click.echo(_describe(found))

        _run(make_app, work)

    @queue.command("add-member")
    @click.argument("name")
    @click.argument("extension_numbers", nargs=-1, required=True)
    @account_option
    def add_member(name, extension_numbers, account_id):
        """Add extensions (by extension number) to queue NAME."""

        def work():
            from widget.extensions import db
            from widget.queues import manage

            account = _account(account_id)
            found = manage.queue_named(account, name)
            for number in extension_numbers:
                manage.add_member(found, _person(account, number))
            db.session.commit()
            click.echo(_describe(found))

        _run(make_app, work)

    @queue.command("remove-member")
    @click.argument("name")
    @click.argument("extension_number")
    @account_option
    def remove_member(name, extension_number, account_id):
        """Remove an extension from queue NAME; their claims return to the queue."""

        def work():
            from widget.queues import manage

            account = _account(account_id)
            found = manage.queue_named(account, name)
            returned = manage.remove_member(found, _person(account, extension_number))
            click.echo(f"Removed {extension_number}; {len(returned)} claim(s) back in the queue.")

        _run(make_app, work)

    @queue.command("list")
    @account_option
    def list_(account_id):
        """List the account's queues: id, name, numbers, members, timeouts."""

        def work():
            from widget.queues import manage

            for found in manage.account_queues(_account(account_id)):
                click.echo(_describe(found))

        _run(make_app, work)

    return queue
