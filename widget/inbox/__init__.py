"""The sidebar's message list and threads."""

from flask import Blueprint, Flask

bp = Blueprint("inbox", __name__, url_prefix="/widget")


def init_app(app: Flask) -> None:
    """Register the views, ``media_url`` (the signed link every page's media uses) and
    the tab counts, read along with every new message for its push."""
    from widget.inbox import read_along
    from widget.inbox.presenters import media_url
    from widget.inbox.service import UNREAD_COUNTS, counts_by_tab, unread_counts_after

    app.register_blueprint(bp)
    app.jinja_env.globals["media_url"] = media_url
    read_along.register(read_along.ReadAlong(UNREAD_COUNTS, unread_counts_after, counts_by_tab))


from widget.inbox import routes  # noqa: E402,F401
