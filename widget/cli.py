"""The ``sidetalk`` console script: serve, db upgrade, demo seed, manifest validate, sandbox."""

from __future__ import annotations

import json
import os
import sys

import click

from widget.config import ConfigError


def _app():
    from widget import create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def upgrade_database(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


SANDBOX_CLOSED = (
    "The sandbox is closed: its commands work only in demo mode (SIDETALK_DEMO=1) with "
    "the sandbox platform (SIDETALK_PLATFORM=sandbox); this server runs {platform}{demo}."
)


def require_open_sandbox(app) -> None:
    """Refuse a demo-only command outside the demo, as the sandbox's routes are refused.

    Outside demo mode (or on a real platform) the sandbox could forge inbound messages
    or seed a fake account into a real company's database.
    """
    if app.config["SANDBOX_OPEN"]:
        return
    demo = "" if app.config["DEMO_MODE"] else " outside demo mode"
    click.echo(SANDBOX_CLOSED.format(platform=app.config["PLATFORM"], demo=demo), err=True)
    sys.exit(1)


def seed_if_empty(app) -> bool:
    """Seed the sandbox demo once; return True when it created data."""
    from widget.demo import seed_demo

    with app.app_context():
        _, created = seed_demo()
    return created


@click.group()
def main() -> None:
    """Sidetalk: the messaging sidebar for CRM pages."""


@main.command()
@click.option(
    "--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1"
)
@click.option(
    "--port", type=int, default=lambda: int(os.environ.get("PORT", "5000")), show_default="5000"
)
def serve(host: str, port: int) -> None:
    """Run the server (demo mode also migrates and seeds on first start)."""
    # Links written into CRM activities must reach this server: unless told otherwise,
    # the public URL is where it listens (PORT=5095 make run writes :5095 links).
    if not os.environ.get("SIDETALK_PUBLIC_URL"):
        wildcard = host in ("0.0.0.0", "::", "")  # noqa: S104 -- compared, not bound
        shown_host = "127.0.0.1" if wildcard else host
        os.environ["SIDETALK_PUBLIC_URL"] = f"http://{shown_host}:{port}"
    app = _app()
    if app.config["DEMO_MODE"]:
        upgrade_database(app)
        if app.config["SEED_DEMO"] and app.config["PLATFORM"] == "sandbox" and seed_if_empty(app):
            click.echo("Seeded the demo account.")
    if app.config["DEMO_MODE"] and not app.config.get("REDIS_URL"):
        from widget.jobs import start_embedded_consumer

        consumer = start_embedded_consumer()
    else:
        consumer = None
    simulator = ", phone simulator: /sandbox/phone" if app.config["SANDBOX_OPEN"] else ""
    click.echo(f"Sidetalk on http://{host}:{port}/  (sidebar: /widget/{simulator})")
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    finally:
        if consumer is not None:
            consumer.stop()


@main.command()
@click.option("--workers", type=int, default=2, show_default=True)
def worker(workers: int) -> None:
    """Run the background job consumer (sending, logging, sweeping)."""
    from widget.jobs import huey

    _app()  # binds the job storage to the configured backend
    huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every Alembic migration."""
    upgrade_database(_app())
    click.echo("Database is up to date.")


@main.group()
def demo() -> None:
    """Demo data commands."""


@demo.command("seed")
def demo_seed() -> None:
    """Create the sandbox demo account and its history (once)."""
    app = _app()
    require_open_sandbox(app)
    upgrade_database(app)
    click.echo("Seeded the demo account." if seed_if_empty(app) else "The demo is already seeded.")


@main.group()
def manifest() -> None:
    """Connector manifest commands."""


@manifest.command("validate")
@click.argument("paths", nargs=-1, required=True)
def manifest_validate(paths: tuple[str, ...]) -> None:
    """Validate manifest files: exit 1 with one line per error."""
    from manifest.cli import validate_paths

    code, lines = validate_paths(list(paths))
    for line in lines:
        click.echo(line)
    sys.exit(code)


@main.group()
def connectors() -> None:
    """CRM connector commands."""


@connectors.command("list")
def connectors_list() -> None:
    """Print each registered connector: id, name, auth type, configured or not."""
    from connectors.catalog import list_connectors

    entries = list_connectors(os.environ)
    click.echo(f"{'ID':<12}{'NAME':<14}{'AUTH':<8}CONFIGURED")
    for entry in entries:
        state = "yes" if entry.configured else f"no (set {entry.missing})"
        click.echo(f"{entry.id:<12}{entry.name:<14}{entry.auth_type:<8}{state}")


@main.group()
def sandbox() -> None:
    """Sandbox platform commands."""


@sandbox.command("inbound")
@click.option("--from", "sender", required=True, help="Outside number (or extension for Pager)")
@click.option(
    "--to", "recipient", required=True, help="An extension's number (or extension number)"
)
@click.option("--text", required=True)
@click.option(
    "--type",
    "message_type",
    default="SMS",
    show_default=True,
    type=click.Choice(["SMS", "Pager", "VoiceMail", "Fax"]),
)
def sandbox_inbound(sender: str, recipient: str, text: str, message_type: str) -> None:
    """Deliver a message into the sandbox as if it came from outside; print its id as JSON."""
    from widget.errors import DomainError
    from widget.platforms.sandbox.delivery import deliver_inbound, parse_inbound

    app = _app()
    require_open_sandbox(app)
    with app.app_context():
        payload = {"from": sender, "to": recipient, "text": text, "type": message_type}
        try:
            message = deliver_inbound(parse_inbound(payload, app.config["DEFAULT_REGION"]))
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(json.dumps({"id": message.id, "conversation_id": message.conversation_id}))


def _queue_commands() -> None:
    from widget.queues.commands import queue_group

    # A lambda, not _app itself: tests replace _app to dispose the apps it builds.
    main.add_command(queue_group(lambda: _app()), "queue")


_queue_commands()
