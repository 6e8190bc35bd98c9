"""Fixtures and helpers for sending tests: a signed-in widget, forms, queries, the job clock."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.helpers import html, sign_in
from widget.extensions import db
from widget.jobs import huey
from widget.models import Conversation, Extension, Message


@pytest.fixture(autouse=True)
def empty_job_schedule():
    """Tasks a test scheduled for later must not run in another test."""
    huey.flush()
    yield
    huey.flush()


def run_due_jobs(now: datetime | None = None) -> int:
    """Run every scheduled task whose time has come (immediate mode parks future ones)."""
    ran = 0
    while True:
        due = huey.read_schedule((now or datetime.now(UTC)).replace(tzinfo=None))
        if not due:
            return ran
        for task in due:
            huey.execute(task)
            ran += 1


def extension(number: str) -> Extension:
    return db.session.scalar(select(Extension).where(Extension.extension_number == number))


def messages_of(ext_number: str, **filters) -> list[Message]:
    stmt = select(Message).where(Message.extension_id == extension(ext_number).id)
    for name, value in filters.items():
        stmt = stmt.where(getattr(Message, name) == value)
    return list(db.session.scalars(stmt.order_by(Message.id)))


def conversation_with(ext_number: str, address: str, channel: str = "text") -> Conversation | None:
    return db.session.scalar(
        select(Conversation).where(
            Conversation.extension_id == extension(ext_number).id,
            Conversation.channel == channel,
            Conversation.participants == f",{address},",
        )
    )


def form_key(client, headers, path: str = "/widget/compose/") -> str:
    """Open a form the way the widget does and return its idempotency key."""
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.data
    return html(response).find("input", {"name": "idempotency_key"})["value"]


def post_form(client, path: str, headers, data: dict):
    """POST a form; with files, the multipart body is encoded here, in memory.

    (Werkzeug's test client spools bodies over 500 KB to a temporary file it never closes,
    which ``filterwarnings = error`` turns into a ResourceWarning failure.)
    """
    fields = MultiDict()
    for name, value in data.items():
        if isinstance(value, tuple):
            content, filename = value
            fields.add(name, FileStorage(stream=io.BytesIO(content), filename=filename))
        elif isinstance(value, list):
            for item in value:
                fields.add(name, item)
        else:
            fields.add(name, value)
    boundary, body = encode_multipart(fields)
    return client.post(
        path, headers=headers, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def compose(client, headers, to, text="Hello", key=None, files=None, **fields):
    """Submit the compose form; ``files`` maps a field to ``(bytes, filename)``."""
    data = {"idempotency_key": key or form_key(client, headers), "to": list(to), "text": text}
    data.update(fields)
    data.update(files or {})
    return post_form(client, "/widget/compose/send", headers, data)


def noisy_png(width: int, height: int, seed: int = 7, grain: int = 4) -> bytes:
    """A PNG that compresses badly: random ``grain``-pixel blocks (deterministic)."""
    rng = random.Random(seed)
    small = (width // grain, height // grain)
    image = Image.frombytes("RGB", small, rng.randbytes(small[0] * small[1] * 3))
    image = image.resize((width, height), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def small_png(color=(10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def alice(demo_client):
    return sign_in(demo_client, "101")


def counts(app):
    """Return (messages, conversations) in the database: "changes nothing" checks."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Message)),
            db.session.scalar(select(func.count()).select_from(Conversation)),
        )
