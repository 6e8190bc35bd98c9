"""Platform discovery through entry points, unknown names, and the platform's own routes."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import make_app
from tests.entry_points import fake_entry_points, skip_unless_installed
from widget.config import ConfigError
from widget.extensions import db
from widget.inbox.events import IngestionSink
from widget.platforms import registry
from widget.platforms.base import SignInStart
from widget.platforms.sandbox import SandboxPlatform


class DummyPlatform(SandboxPlatform):
    """Another platform: an OAuth-style sign-in and no pages of its own."""

    name = "dummy"

    def blueprints(self):
        return ()

    def start_sign_in(self, callback_url: str) -> SignInStart:
        return SignInStart(redirect_url=f"https://login.example/authorize?cb={callback_url}")


class NotAPlatform:
    name = "nope"


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    registry.refresh()
    yield
    registry.unregister("dummy")
    registry.refresh()


def _entry_points(*specs: tuple[str, str]) -> Any:
    return fake_entry_points(registry.ENTRY_POINT_GROUP, *specs)


def test_the_sandbox_is_found_through_its_entry_point() -> None:
    skip_unless_installed()
    assert registry.available_platforms()["sandbox"] is SandboxPlatform
    sink = IngestionSink()
    platform = registry.build_platform("sandbox", sink)
    assert isinstance(platform, SandboxPlatform)
    assert platform.sink is sink


def test_entry_points_are_loaded_and_broken_ones_skipped_with_a_log(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(
        registry,
        "entry_points",
        _entry_points(
            ("sandbox", "widget.platforms.sandbox:SandboxPlatform"),
            ("dummy", f"{__name__}:DummyPlatform"),
            ("broken", "sidetalk_no_such_module:Platform"),
            ("nope", f"{__name__}:NotAPlatform"),
            ("renamed", f"{__name__}:DummyPlatform"),
        ),
    )
    with caplog.at_level(logging.ERROR, logger="widget.platforms.registry"):
        found = registry.available_platforms()
    assert found == {"sandbox": SandboxPlatform, "dummy": DummyPlatform}
    assert "'broken'" in caplog.text and "failed to load" in caplog.text
    assert "'nope'" in caplog.text and "not a Platform subclass" in caplog.text
    assert "'renamed'" in caplog.text and "must equal the entry-point name" in caplog.text


def test_an_unknown_platform_is_a_config_error_naming_the_available_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        registry,
        "entry_points",
        _entry_points(("sandbox", "widget.platforms.sandbox:SandboxPlatform")),
    )
    registry.register(DummyPlatform)
    with pytest.raises(
        ConfigError, match=r"Unknown SIDETALK_PLATFORM 'nowhere'; available: dummy, sandbox"
    ):
        registry.build_platform("nowhere", IngestionSink())


def test_register_rejects_what_is_not_a_platform() -> None:
    with pytest.raises(TypeError):
        registry.register(NotAPlatform)  # type: ignore[arg-type]


def test_under_another_platform_the_sandbox_pages_do_not_exist(tmp_path, empty_template) -> None:
    registry.register(DummyPlatform)
    shutil.copy(empty_template, tmp_path / "test.db")
    app = make_app(f"sqlite:///{tmp_path / 'test.db'}", tmp_path, PLATFORM="dummy")
    try:
        client = app.test_client()
        assert client.get("/sandbox/extensions").status_code == 404
        assert client.get("/sandbox/phone").status_code == 404
        assert client.post("/sandbox/inbound", json={}).status_code == 404
        # The sign-in page hands over to the platform's own sign-in.
        signin = client.get("/auth/signin")
        assert signin.status_code == 302
        assert signin.headers["Location"].startswith("https://login.example/authorize?cb=")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_sandbox_brings_its_own_pages(client) -> None:
    assert client.get("/sandbox/extensions").status_code == 200
