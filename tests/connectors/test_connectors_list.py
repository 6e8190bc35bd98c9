"""``sidetalk connectors list``: every registered connector, its auth type, configured or not;
and every bundled manifest passes ``sidetalk manifest validate``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from connectors.catalog import list_connectors
from widget import cli

ROOT = Path(__file__).resolve().parents[2]
SIDETALK = Path(sys.executable).parent / "sidetalk"


def _rows(output: str) -> dict[str, list[str]]:
    lines = output.strip().splitlines()
    assert lines[0].split() == ["ID", "NAME", "AUTH", "CONFIGURED"]
    # Fixed-width columns: names may hold spaces ("Local CRM").
    return {
        line[:12].strip(): [line[12:26].strip(), line[26:34].strip(), line[34:].strip()]
        for line in lines[1:]
    }


def test_lists_every_connector_with_auth_and_configuration(monkeypatch):
    for name in ("HUBSPOT_CLIENT_ID", "PIPEDRIVE_CLIENT_ID", "SALESFORCE_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    for name in ("CLIO_CLIENT_ID", "CLIO_EU_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUBSPOT_CLIENT_ID", "hs-app")
    monkeypatch.setenv("CLIO_EU_CLIENT_ID", "clio-eu-app")  # one region is enough

    result = CliRunner().invoke(cli.main, ["connectors", "list"])

    assert result.exit_code == 0, result.output
    rows = _rows(result.output)
    assert list(rows) == ["clio", "hubspot", "local", "pipedrive", "salesforce"]
    assert rows["hubspot"] == ["HubSpot", "oauth", "yes"]
    assert rows["clio"] == ["Clio", "oauth", "yes"]
    assert rows["local"] == ["Local CRM", "none", "yes"]
    assert rows["pipedrive"][:2] == ["Pipedrive", "oauth"]
    assert rows["pipedrive"][2] == "no (set PIPEDRIVE_CLIENT_ID and PIPEDRIVE_CLIENT_SECRET)"


def test_catalog_entries():
    entries = {e.id: e for e in list_connectors({"SALESFORCE_CLIENT_ID": "sf"})}
    assert (entries["salesforce"].auth_type, entries["salesforce"].configured) == ("oauth", True)
    assert (entries["local"].auth_type, entries["local"].configured) == ("none", True)
    assert entries["hubspot"].configured is False and entries["hubspot"].missing


def test_the_bundled_manifests_validate():
    manifests = sorted(str(p) for p in (ROOT / "connectors").glob("*/manifest.json"))
    assert len(manifests) == 4
    done = subprocess.run(
        [str(SIDETALK), "manifest", "validate", *manifests], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (0, "")
