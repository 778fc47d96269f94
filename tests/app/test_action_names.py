"""One list of the store actions (``centrale.core.actions``): every place that names them agrees."""

from __future__ import annotations

from pathlib import Path

from centrale.app.actions import store_actions
from centrale.app.console.store_page import BUTTONS
from centrale.core.actions import ACTIONS, PULL_GROUPS, PUSH_GROUPS, SCREEN
from centrale.core.catalog import load_default_tables
from centrale.core.config import load
from tests.core.po_catalog import texts

ROOT = Path(__file__).resolve().parents[2]


def test_the_store_runs_every_action_head_office_may_ask_for_and_no_other() -> None:
    cfg = load(ROOT / "deploy/compose/store12.toml", env={"CENTRALE_HQ_PASSWORD": "x"})
    assert sorted(store_actions(cfg)) == sorted(ACTIONS)
    assert len(set(ACTIONS)) == len(ACTIONS)


def test_the_screen_shows_actions_of_the_list_each_with_its_label() -> None:
    assert set(SCREEN) <= set(ACTIONS)
    assert [name for name, _ in BUTTONS] == list(SCREEN)
    for name in ACTIONS:
        assert f"action.{name}" in texts(), name


def test_pulls_are_of_groups_head_office_owns_and_pushes_of_groups_the_stores_own() -> None:
    kinds: dict[str, set[str]] = {}
    for spec in load_default_tables().values():
        kinds.setdefault(spec.group, set()).add(spec.kind)
    for group in PULL_GROUPS:
        assert kinds[group] & {"reference", "shared"}, group
    for group in PUSH_GROUPS:
        assert kinds[group] & {"aggregate", "shared"}, group
