"""``GET /healthz``: is the process up and is the database answering."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from widget.errors import json_endpoint
from widget.extensions import db

bp = Blueprint("health", __name__)


def init_app(app: Flask) -> None:
    """Register ``/healthz``."""
    app.register_blueprint(bp)


@bp.get("/healthz")
@json_endpoint
def healthz():
    """Return 200 JSON with the database status, or 503 when the database is down."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        db.session.rollback()
        database = "unavailable"
    body = {
        "status": "ok" if database == "ok" else "degraded",
        "database": database,
        "database_backend": db.engine.dialect.name,
        "platform": current_app.config["PLATFORM"],
    }
    return jsonify(body), 200 if database == "ok" else 503
