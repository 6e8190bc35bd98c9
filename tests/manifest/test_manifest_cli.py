"""`python -m manifest validate`: exit codes and `FILE: POINTER: MESSAGE` lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from manifest import validate_paths

REPO_ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, name: str, doc: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "manifest", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=60,
        check=False,
    )


def test_validate_paths_all_valid(tmp_path: Path, manifest_doc: dict[str, Any]) -> None:
    good = _write(tmp_path, "good.json", manifest_doc)
    assert validate_paths([good, good]) == (0, [])


def test_validate_paths_reports_each_error_per_file(
    tmp_path: Path, manifest_doc: dict[str, Any]
) -> None:
    good = _write(tmp_path, "good.json", manifest_doc)
    fields = manifest_doc["platforms"]["pipedrive"]["page"]["messageLog"]["additionalFields"]
    fields[2]["type"] = "dropdown"
    del fields[0]["const"]
    bad = _write(tmp_path, "bad.json", manifest_doc)
    missing = str(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{nope", encoding="utf-8")

    code, lines = validate_paths([good, bad, missing, str(broken)])

    pointer = "/platforms/pipedrive/page/messageLog/additionalFields"
    assert code == 1
    assert lines == [
        f"{bad}: {pointer}/0/const: required property 'const' is missing",
        f"{bad}: {pointer}/2/type: type must be one of selection, inputField, checkbox, "
        "date, warning; got 'dropdown'",
        f"{missing}: /: file not found",
        f"{broken}: /: not valid JSON (line 1, column 2): "
        "Expecting property name enclosed in double quotes",
    ]


def test_module_exit_zero_and_silent_for_valid_files(
    tmp_path: Path, manifest_doc: dict[str, Any]
) -> None:
    result = _run("validate", _write(tmp_path, "good.json", manifest_doc))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_module_exit_one_with_one_line_per_error(
    tmp_path: Path, manifest_doc: dict[str, Any]
) -> None:
    manifest_doc["platforms"]["pipedrive"]["canOpenLogPage"] = "yes"
    manifest_doc["version"] = 3
    bad = _write(tmp_path, "bad.json", manifest_doc)
    result = _run("validate", bad, str(tmp_path / "nowhere.json"))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{bad}: /platforms/pipedrive/canOpenLogPage: canOpenLogPage must be true or false; "
        "got 'yes'",
        f"{bad}: /version: version must be a string; got 3",
        f"{tmp_path / 'nowhere.json'}: /: file not found",
    ]


def test_module_upgrades_legacy_files(tmp_path: Path) -> None:
    legacy = {
        "author": "Someone",
        "platforms": {
            "crm": {"name": "crm", "authType": "oauth", "clientId": "c", "authUrl": "https://a"}
        },
    }
    assert _run("validate", _write(tmp_path, "legacy.json", legacy)).returncode == 0


def test_module_usage_errors_exit_two() -> None:
    result = _run("validate")
    assert result.returncode == 2
    assert "PATH" in result.stderr
