"""Form model for a manifest's ``additionalFields``: what to show and what was chosen.

:func:`build_form` turns the manifest's field list into :class:`FormField` values for
one log form, resolving contact-dependent options the way App Connect does: a
``contactDependent`` field is shown only when the matched contact's
``additional_info`` has an entry for its ``const`` (App Connect skips it otherwise),
and a selection's first option is preselected.

:func:`validate_submission` checks what the browser sent back and returns the typed
``additional_submission`` a connector receives. Option values are strings, as HTML
forms carry them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from manifest.validation import is_iso_date

NONE_OPTION = ("", "None")
MAX_TEXT_LENGTH = 5000
FIELD_TYPES = ("selection", "inputField", "checkbox", "date", "warning")

_TRUE_WORDS = frozenset({"on", "true", "1", "yes"})
_FALSE_WORDS = frozenset({"", "off", "false", "0", "no"})

Option = tuple[str, str]


@dataclass(frozen=True, slots=True)
class FormField:
    """One control of a log form, ready to render (see ``macros/manifest_fields.html``)."""

    const: str
    title: str
    type: str
    options: list[Option] = field(default_factory=list)
    required: bool = False
    default: str | bool = ""
    include_none_option: bool = False
    allow_custom_value: bool = False
    contact_dependent: bool = False
    placeholder: str = ""
    warning: str = ""
    description: str = ""

    @property
    def option_values(self) -> list[str]:
        """Return the values a user may pick (including ``""`` for the None option)."""
        return [value for value, _ in self.options]


def _as_options(raw: Any) -> list[Option]:
    # Accept the shapes connectors and manifests use: {const, title}, settings-style
    # {id, name}, or bare scalars.
    options: list[Option] = []
    if not isinstance(raw, list):
        return options
    for item in raw:
        if isinstance(item, dict):
            value = item.get("const", item.get("id"))
            title = item.get("title", item.get("name", value))
        else:
            value, title = item, item
        if value is None or isinstance(value, dict | list):
            continue
        options.append((str(value), str(title)))
    return options


def _account_options(spec: Mapping[str, Any], account_data: Mapping[str, Any] | None) -> Any:
    key = spec.get("accountDataKey")
    if not account_data or not isinstance(key, str):
        return None
    data = account_data.get(key)
    prop = spec.get("accountDataProperty")
    if isinstance(prop, str) and isinstance(data, Mapping):
        return data.get(prop)
    return data


def _selection(
    spec: Mapping[str, Any],
    contact_info: Mapping[str, Any],
    account_data: Mapping[str, Any] | None,
    base: dict[str, Any],
) -> FormField | None:
    const = base["const"]
    if base["contact_dependent"]:
        options = _as_options(contact_info.get(const))
    else:
        # Static options first; App Connect also fills a non-dependent selection from
        # the contact (Redtail's category) or from account data (Bullhorn).
        options = (
            _as_options(spec.get("options"))
            or _as_options(contact_info.get(const))
            or _as_options(_account_options(spec, account_data))
        )
    allow_custom = spec.get("allowCustomValue") is True
    if not options and not allow_custom:
        return None  # nothing to choose from: App Connect hides such a field too
    values = [value for value, _ in options]
    default = spec.get("defaultValue")
    chosen = str(default) if isinstance(default, str | int | float) else None
    if chosen is not None and chosen not in values and not allow_custom:
        chosen = None
    if chosen is None:
        chosen = values[0] if base["contact_dependent"] and values else ""
    include_none = spec.get("includeNoneOption") is True
    if include_none:
        options = [NONE_OPTION, *options]
    return FormField(
        **base,
        options=options,
        default=chosen,
        include_none_option=include_none,
        allow_custom_value=allow_custom,
    )


def _scalar_default(spec: Mapping[str, Any], contact_info: Mapping[str, Any]) -> Any:
    if spec.get("contactDependent") is True:
        value = contact_info.get(spec["const"])
        if isinstance(value, str | int | float | bool):
            return value
    return spec.get("defaultValue")


def _build_field(
    spec: Mapping[str, Any],
    contact_info: Mapping[str, Any],
    account_data: Mapping[str, Any] | None,
) -> FormField | None:
    const = spec.get("const")
    field_type = spec.get("type")
    if not isinstance(const, str) or not const or field_type not in FIELD_TYPES:
        return None
    contact_dependent = spec.get("contactDependent") is True
    if contact_dependent and const not in contact_info:
        return None
    title = spec.get("title") if isinstance(spec.get("title"), str) else const
    description = spec.get("description") if isinstance(spec.get("description"), str) else ""
    base: dict[str, Any] = {
        "const": const,
        "title": title,
        "type": field_type,
        "required": spec.get("required") is True,
        "contact_dependent": contact_dependent,
        "placeholder": str(spec.get("placeholder") or ""),
        "description": description,
    }
    if field_type == "selection":
        return _selection(spec, contact_info, account_data, base)
    if field_type == "warning":
        # App Connect puts a warning's text in description; fall back to the title.
        base["description"] = ""
        return FormField(**base, warning=description or title)
    default = _scalar_default(spec, contact_info)
    if field_type == "checkbox":
        return FormField(**base, default=default is True)
    if field_type == "date":
        valid = isinstance(default, str) and is_iso_date(default)
        return FormField(**base, default=default if valid else "")
    text = "" if default is None or isinstance(default, bool) else str(default)
    return FormField(**base, default=text)


def build_form(
    fields: Sequence[Mapping[str, Any]],
    contact_additional_info: Mapping[str, Any] | None = None,
    *,
    account_data: Mapping[str, Any] | None = None,
) -> list[FormField]:
    """Return the controls to show for ``fields`` (a manifest ``additionalFields`` list).

    ``contact_additional_info`` is the matched contact's ``additional_info`` (option
    lists of ``{const, title}`` keyed by field ``const``); ``account_data`` holds data a
    connector fetched for the account, read through a field's ``accountDataKey`` and
    ``accountDataProperty``. Contact-dependent fields without an entry for this
    contact, selections with nothing to offer, and malformed entries are left out.
    """
    contact_info = contact_additional_info or {}
    built = (_build_field(spec, contact_info, account_data) for spec in fields)
    return [form_field for form_field in built if form_field is not None]


def _submitted_text(submitted: Mapping[str, Any], name: str) -> str | None:
    # Werkzeug's MultiDict hides repeated keys behind getlist(); plain dicts may hold
    # a list. The last non-empty value wins, as with an overriding later input.
    getlist = getattr(submitted, "getlist", None)
    if callable(getlist):
        values = list(getlist(name))
    elif name in submitted:
        raw = submitted[name]
        values = list(raw) if isinstance(raw, list | tuple) else [raw]
    else:
        return None
    texts = [str(value) for value in values if value is not None]
    non_empty = [text for text in texts if text.strip()]
    if non_empty:
        return non_empty[-1]
    return "" if texts else None


def _checkbox_value(raw: str | None) -> bool | None:
    if raw is None:
        return False  # browsers send nothing for an unchecked box
    word = raw.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    return None


def _check_field(form_field: FormField, raw: str | None) -> tuple[Any, str | None]:
    # Returns (value or None when nothing is submitted, error message or None).
    if form_field.type == "checkbox":
        checked = _checkbox_value(raw)
        if checked is None:
            return None, "Not a yes/no value"
        if form_field.required and not checked:
            return None, "Required"
        return checked, None
    text = (raw or "").strip()
    if not text:
        return None, "Required" if form_field.required else None
    if len(text) > MAX_TEXT_LENGTH:
        return None, f"Too long (at most {MAX_TEXT_LENGTH} characters)"
    if form_field.type == "selection":
        if text not in form_field.option_values and not form_field.allow_custom_value:
            return None, "Not one of the offered options"
    elif form_field.type == "date" and not is_iso_date(text):
        return None, "Not a date (YYYY-MM-DD)"
    return text, None


def validate_submission(
    form: Sequence[FormField], submitted: Mapping[str, Any], *, prefix: str = ""
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return ``(additional_submission, errors)`` for what the user submitted.

    ``submitted`` maps ``prefix + const`` to the submitted text (or list of texts), e.g.
    ``request.form`` with ``prefix="field_"``. ``additional_submission`` is keyed by
    ``const`` with typed values: checkbox -> bool, date -> ``YYYY-MM-DD``, selection ->
    an offered value (any text with ``allowCustomValue``), inputField -> stripped
    text. Empty optional fields are left out; warnings are never submitted; keys that
    match no field are ignored. ``errors`` maps ``const`` to a short message.
    """
    additional_submission: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for form_field in form:
        if form_field.type == "warning":
            continue
        value, error = _check_field(
            form_field, _submitted_text(submitted, prefix + form_field.const)
        )
        if error is not None:
            errors[form_field.const] = error
        elif value is not None:
            additional_submission[form_field.const] = value
    return additional_submission, errors
