"""Inline SVG icons: they render without any emoji font (headless Chromium has none) and
read as their name, or not at all, in a screen reader.

``icon("fax", "Fax")`` is an image named "Fax"; ``icon("fax")`` is decoration beside a
visible word (hidden from assistive technology).
"""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup

# 24 x 24 stroke drawings (round caps), in the style of Feather icons (MIT).
PATHS = {
    "text": Markup('<path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/>'),
    "voicemail": Markup(
        '<circle cx="5.5" cy="11.5" r="4.5"/><circle cx="18.5" cy="11.5" r="4.5"/>'
        '<line x1="5.5" y1="16" x2="18.5" y2="16"/>'
    ),
    "fax": Markup(
        '<polyline points="6 9 6 2 18 2 18 9"/>'
        '<path d="M6 18H4a2 2 0 0 1-2-2v-5a2 2 0 0 1 2-2h16a2 2 0 0 1 2 2v5a2 2 0 0 1-2 2h-2"/>'
        '<rect x="6" y="14" width="12" height="8"/>'
    ),
    "pager": Markup(
        '<rect x="2" y="6" width="20" height="12" rx="2"/><line x1="6" y1="10" x2="14" '
        'y2="10"/><line x1="6" y1="14" x2="11" y2="14"/>'
    ),
    "attach": Markup(
        '<path d="M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 '
        '5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48"/>'
    ),
    "phone": Markup(
        '<path d="M22 16.92v3a2 2 0 0 1-2.18 2 19.79 19.79 0 0 1-8.63-3.07 19.5 19.5 0 0 '
        "1-6-6 19.79 19.79 0 0 1-3.07-8.67A2 2 0 0 1 4.11 2h3a2 2 0 0 1 2 1.72c.13.96.36 1.9.7 "
        "2.81a2 2 0 0 1-.45 2.11L8.09 9.91a16 16 0 0 0 6 6l1.27-1.27a2 2 0 0 1 2.11-.45c.91.34 "
        '1.85.57 2.81.7A2 2 0 0 1 22 16.92z"/>'
    ),
    "document": Markup(
        '<path d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z"/>'
        '<polyline points="14 2 14 8 20 8"/>'
    ),
    "blocked": Markup(
        '<circle cx="12" cy="12" r="10"/><line x1="4.93" y1="4.93" x2="19.07" y2="19.07"/>'
    ),
    "check": Markup('<polyline points="20 6 9 17 4 12"/>'),
    "warning": Markup(
        '<path d="M10.29 3.86L1.82 18a2 2 0 0 0 1.71 3h16.94a2 2 0 0 0 1.71-3L13.71 3.86a2 '
        '2 0 0 0-3.42 0z"/><line x1="12" y1="9" x2="12" y2="13"/><line x1="12" y1="17" x2="12.01" '
        'y2="17"/>'
    ),
    "mobile": Markup(
        '<rect x="5" y="2" width="14" height="20" rx="2"/><line x1="12" y1="18" x2="12.01" '
        'y2="18"/>'
    ),
    "clock": Markup('<circle cx="12" cy="12" r="10"/><polyline points="12 6 12 12 16 14"/>'),
}


SVG = Markup(
    '<svg class="icon icon-{name}" viewBox="0 0 24 24" width="16" height="16" {a11y} '
    'focusable="false" fill="none" stroke="currentColor" stroke-width="2" '
    'stroke-linecap="round" stroke-linejoin="round">{paths}</svg>'
)
NAMED = Markup('role="img" aria-label="{label}"')
HIDDEN = Markup('aria-hidden="true"')


def icon(name: str, label: str | None = None) -> Markup:
    """The icon ``name``; named ``label`` for assistive technology, else hidden from it."""
    if name not in PATHS:
        raise KeyError(f"no icon named {name!r}")
    a11y = NAMED.format(label=label) if label else HIDDEN
    return SVG.format(name=name, a11y=a11y, paths=PATHS[name])


def init_app(app: Flask) -> None:
    """Make ``icon`` available to every template."""
    app.jinja_env.globals["icon"] = icon
