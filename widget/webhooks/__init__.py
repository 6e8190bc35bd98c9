"""Platform webhooks: verify, answer the validation handshake, hand notifications over."""

from flask import Blueprint, Flask

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


from widget.webhooks import routes  # noqa: E402,F401
