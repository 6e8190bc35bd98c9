"""``sidetalk queue create|set|add-member|remove-member|list`` against a real database."""

from __future__ import annotations

import pytest

from tests.app.test_cli import env, run  # noqa: F401 (fixtures)
from widget.platforms.sandbox import seed


@pytest.fixture
def seeded(run, env, monkeypatch):  # noqa: F811
    monkeypatch.setattr(seed, "seed_history", lambda account, now=None: None)
    monkeypatch.setenv("SIDETALK_DEMO", "1")  # demo seed is a demo-mode command
    seeded_ok = run("demo", "seed")
    assert seeded_ok.exit_code == 0, (seeded_ok.output, seeded_ok.exception)
    return run


def test_create_add_list_set_and_remove(seeded):
    created = seeded(
        "queue", "create", "Sales", "--number", "+16505550160", "--claim-timeout", "3",
        "--idle-resolve", "off",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "Sales\t+16505550160" in created.output
    assert "claim=3m" in created.output and "idle=off" in created.output

    added = seeded("queue", "add-member", "Sales", "104", "105")
    assert added.exit_code == 0, added.output
    assert "members=104,105" in added.output

    changed = seeded("queue", "set", "Sales", "--overflow", "Support", "--no-reply-timeout", "9")
    assert changed.exit_code == 0, changed.output
    assert "no-reply=9m" in changed.output

    removed = seeded("queue", "remove-member", "Sales", "105")
    assert removed.exit_code == 0, removed.output
    assert "0 claim(s) back in the queue" in removed.output

    listed = seeded("queue", "list")
    assert listed.exit_code == 0
    lines = listed.output.strip().splitlines()
    assert [line.split("\t")[1] for line in lines] == ["Sales", "Support"]
    assert "members=104\t" in lines[0]
    assert "members=101,102,103\t" in lines[1]


@pytest.mark.parametrize(
    "args, says",
    [
        (("queue", "create", "Support", "--number", "+16505550161"), "already a queue named"),
        (("queue", "create", "X", "--number", "+16505550101"), "already belongs to someone"),
        (("queue", "create", "X", "--number", "nope"), "number"),
        (("queue", "create", "X", "--number", "+16505550162", "--claim-timeout", "soon"),
         "--claim-timeout must be a whole number"),
        (("queue", "add-member", "Support", "101"), "already a member"),
        (("queue", "add-member", "Support", "999"), "no extension 999"),
        (("queue", "add-member", "Nope", "101"), "no queue named 'Nope'"),
        (("queue", "remove-member", "Support", "104"), "not a member of Support"),
    ],
)  # fmt: skip
def test_bad_input_exits_1_and_changes_nothing(seeded, args, says):
    before = seeded("queue", "list").output
    result = seeded(*args)
    assert result.exit_code == 1, result.output
    assert says in result.output
    assert seeded("queue", "list").output == before
