"""The picture of a scheduled MMS: prepared when scheduled, sent by the worker later.

Checked and resized exactly as Send does (``widget.compose.images``), then kept in the
media store, which names a file by its content's hash (so the path is ours, never the
uploader's name), until the worker hands the same bytes to the send path.

Once the row has gone (sent or failed) or was cancelled, its picture is let go: the row
forgets the path (``picture_name`` still says a picture went with it) and the file is
removed unless something else still points at it (``widget.media_references``: one file
can be a sent message's picture, or the picture of another scheduled message). The
row's state is committed first, so a crash in between leaves a path that
``release_finished_pictures`` lets go of at the next sweep.
"""

from __future__ import annotations

from sqlalchemy import select

from widget import media, media_references
from widget.compose.images import ImageRejected
from widget.compose.service import Upload, prepare_upload
from widget.errors import Invalid
from widget.extensions import db
from widget.models import ScheduledMessage

PAGER_REFUSAL = "Pictures cannot be sent by pager."


def store_picture(upload: Upload) -> dict:
    """The picture columns of a scheduled row; ``Invalid`` (field ``attachment``) names
    what is wrong with the file, as Send would."""
    try:
        image = prepare_upload(upload)
    except ImageRejected as exc:
        raise Invalid(str(exc), "attachment") from None
    return {
        "picture_path": media.store_bytes(image.data),
        "picture_type": image.content_type,
        "picture_name": image.filename[:120],
    }


def picture_upload(row: ScheduledMessage) -> Upload | None:
    """The stored picture as the send path takes an upload; None for a text."""
    if not row.picture_path:
        return None
    return Upload(filename=row.picture_name or "picture", data=media.read_bytes(row.picture_path))


def release_pictures(rows: list[ScheduledMessage]) -> set[str]:
    """Let go of the pictures of ``rows`` that will not be sent any more (sent, failed,
    cancelled); return the files removed. Rows still waiting to go keep theirs."""
    paths = set()
    for row in rows:
        if row.picture_path and row.state not in media_references.PICTURE_NEEDED_WHILE:
            paths.add(row.picture_path)
            row.picture_path = None
    if not paths:
        return set()
    db.session.commit()
    # After the commit: a rollback must not leave a waiting row without its file.
    return media_references.remove_unreferenced(paths)


def release_finished_pictures(batch: int = 100) -> set[str]:
    """The sweep's half: pictures of finished rows that a crash kept (see the module)."""
    rows = db.session.scalars(
        select(ScheduledMessage)
        .where(
            ScheduledMessage.picture_path.is_not(None),
            ScheduledMessage.state.not_in(media_references.PICTURE_NEEDED_WHILE),
        )
        .limit(batch)
    ).all()
    return release_pictures(list(rows))
