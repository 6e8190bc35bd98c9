"""Property-based tests (Hypothesis) for every parser of outside input: whatever arrives,
each answers with its own domain error (a 4xx), never anything else (a 500), and what
it accepts keeps the guarantees it promises. Bounded in time: a fixed number of
examples per test and a deadline per example, so CI stays fast."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manifest.errors import ManifestInvalid
from manifest.json_text import MAX_DEPTH, JsonTooDeep, loads_bounded, nesting_depth
from manifest.loader import load_manifest, parse_manifest_text
from widget.compose.images import ImageRejected, prepare_image
from widget.errors import DomainError
from widget.inputs import clean_message_text, parse_id, utf16_length
from widget.media import clean_filename, download_name
from widget.phone import to_e164
from widget.platforms.records import RecordError, parse_record
from widget.sms_templates.variables import VARIABLES, RecipientValues, fill, variable_errors

pytestmark = pytest.mark.reliability

BOUNDED = settings(
    max_examples=150,
    deadline=1000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@BOUNDED
@given(st.text())
def test_bounded_json_parses_or_refuses_with_a_value_error(text):
    with contextlib.suppress(ValueError):  # JSONDecodeError and JsonTooDeep
        loads_bounded(text)


@BOUNDED
@given(json_values, st.integers(min_value=0, max_value=3 * MAX_DEPTH))
def test_the_depth_check_agrees_with_the_structure(value, extra):
    text = "[" * extra + json.dumps(value) + "]" * extra
    if nesting_depth(text, 10_000) > MAX_DEPTH:
        with pytest.raises(JsonTooDeep):
            loads_bounded(text)
    else:
        assert loads_bounded(text) is not None or value is None


@BOUNDED
@given(st.one_of(st.text(), json_values.map(json.dumps)))
def test_manifest_text_gives_manifest_errors_only(text):
    try:
        document = parse_manifest_text(text)
        load_manifest(document) if isinstance(document, dict) else None
    except ManifestInvalid as exc:
        assert exc.errors and all(e.message for e in exc.errors)


@BOUNDED
@given(
    json_values
    | st.dictionaries(
        st.sampled_from(
            [
                "id",
                "type",
                "direction",
                "creationTime",
                "from",
                "to",
                "subject",
                "attachments",
                "conversation",
            ]
        ),
        json_values,
    )
)
def test_platform_records_give_record_errors_only(record):
    try:
        parsed = parse_record(record)
    except RecordError:
        return
    assert "\x00" not in parsed.subject


@BOUNDED
@given(st.text(max_size=40))
def test_phone_numbers_give_invalid_only(raw):
    try:
        number = to_e164(raw, "US")
    except DomainError:
        return
    assert number.startswith("+") and number[1:].isdigit()


@BOUNDED
@given(st.text(max_size=30))
def test_row_ids_are_none_or_in_range(raw):
    value = parse_id(raw)
    assert value is None or 0 <= value < 2**63


@BOUNDED
@given(st.text())
def test_message_text_cleaning_leaves_no_control_and_is_idempotent(text):
    cleaned = clean_message_text(text)
    assert clean_message_text(cleaned) == cleaned
    assert not any(ord(c) < 32 and c not in "\n\t" for c in cleaned)
    assert "\r" not in cleaned
    assert utf16_length(cleaned) <= utf16_length(text)


@BOUNDED
@given(st.text(), st.sampled_from(["image/png", "application/pdf", "audio/wav", "x/y"]))
def test_file_names_are_safe_for_headers_and_disks(name, content_type):
    cleaned = clean_filename(name)
    saved = download_name(name, content_type, "attachment-1")
    for value in filter(None, (cleaned, saved)):
        assert not any(c in value for c in '/\\"\x00\r\n;')
        assert value == value.strip()
    assert len(saved) <= 110


variable_text = st.lists(
    st.one_of(
        st.text(max_size=10),
        st.sampled_from([f"{{{{{v}}}}}" for v in VARIABLES]),
        st.just("{{"),
        st.just("}}"),
    ),
    max_size=8,
).map("".join)


@BOUNDED
@given(variable_text, st.dictionaries(st.sampled_from(sorted(VARIABLES)), st.text(max_size=20)))
def test_template_variables_fill_once_and_never_run(body, values):
    errors = variable_errors(body)
    filled = fill(body, RecipientValues(values))
    if not errors:
        for value in values.values():
            assert isinstance(value, str)
    # A value that looks like a variable stays as it is (never scanned again).
    sneaky = fill("{{contact.name}}", RecipientValues({"contact.name": "{{user.name}}"}))
    assert sneaky.text == "{{user.name}}"
    assert isinstance(filled.text, str)


@settings(max_examples=60, deadline=3000)
@given(st.binary(max_size=2048))
def test_uploaded_pictures_give_image_rejected_only(data):
    for prefix in (b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a"):
        with contextlib.suppress(ImageRejected):
            prepare_image(prefix + data, "x.png", 600 * 1024, 10 * 1024 * 1024, 40_000_000)


def _pdf_upload(data: bytes):
    from widget.compose.service import Upload

    return Upload("x.pdf", data)


@pytest.mark.usefixtures("app_ctx")
@settings(max_examples=25, deadline=10_000, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=1024))
def test_uploaded_pdfs_give_domain_errors_only(data):
    from widget.compose.fax import check_document

    for prefix in (b"", b"%PDF-1.4\n"):
        try:
            pages = check_document(_pdf_upload(prefix + data), 10 * 1024 * 1024)
        except DomainError:
            continue
        assert 1 <= pages <= 200


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


inbound_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "from": st.one_of(st.text(max_size=20), st.just("+14155550123"), json_values),
            "to": st.one_of(st.text(max_size=20), st.just("+16505550101"), st.just("102")),
            "text": st.one_of(st.text(max_size=60), json_values),
            "type": st.one_of(st.sampled_from(["SMS", "Pager", "VoiceMail", "Fax"]), st.text()),
        },
    ),
)


@settings(
    max_examples=60, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(inbound_bodies)
def test_sandbox_inbound_bodies_get_a_4xx_or_a_201(demo_client, demo_db, body):
    response = demo_client.post(
        "/sandbox/inbound", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )

    assert response.status_code in (201, 400, 404, 409, 422), (body, response.status_code)
    if response.status_code != 201:
        assert response.get_json()["error"]["message"]
