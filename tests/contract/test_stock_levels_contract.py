"""One behaviour suite for both QR repositories on what the inventory added: minimums,
low-stock alerts, a unit's recorded events and a dry run's read of the parts. The
in-memory one the unit tests use (tests/support/fakes.py FakeQrRepository) and the
Firestore one (on the emulator, infra/firestore_qr_repository.py) behave alike."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from identity import Caller
from qr.ports import PartRequest
from tests.support.fakes import FakeClock, FakeQrRepository

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
STAFF = Caller(uid="staff-1", has_staff_claim=True)
_serial = itertools.count()


def new_id(part_code: str) -> str:
    return f"{part_code}-{next(_serial):012d}"


class Store:
    """The repository and a way to read what it wrote, whichever it is."""

    def __init__(self, repo: Any, client: Any = None) -> None:
        self.repo = repo
        self.client = client

    def part(self, code: str) -> dict[str, Any]:
        if self.client is None:
            return dict(self.repo.parts.get(code) or {})
        return self.client.collection("parts").document(code).get().to_dict() or {}

    def alerts(self) -> dict[str, dict[str, Any]]:
        if self.client is None:
            found = dict(self.repo.notices)
        else:
            found = {d.id: d.to_dict() for d in
                     self.client.collection("admin_notifications").stream()}
        # Ids end in the adapter's random nonce: keyed here by part and number, each once.
        numbered = {k.rsplit("-", 1)[0]: v for k, v in found.items()}
        assert len(numbered) == len(found), "two alerts of one number"
        return {k: {f: v[f] for f in ("kind", "audience", "part_code", "available",
                                      "min_units", "alert")} for k, v in numbered.items()}

    def audit(self) -> list[tuple[Any, ...]]:
        if self.client is None:
            entries = self.repo.audit
        else:
            entries = [d.to_dict() for d in self.client.collection("admin_actions").stream()]
        return [(e["action"], e["adminUid"], e["target"], e["before"], e["after"])
                for e in entries]


@pytest.fixture(params=["memory", "firestore"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "memory":
        return Store(FakeQrRepository(FakeClock(NOW)))
    from infra.firestore_qr_repository import FirestoreQrRepository

    client = request.getfixturevalue("firestore_client")
    return Store(FirestoreQrRepository(client, FakeClock(NOW)), client)


def add(store: Store, code: str, quantity: int, minimum: int | None = None) -> list[str]:
    (outcome,) = store.repo.add_missing_units(
        [PartRequest(code, f"name {code}", quantity, minimum)], new_id, "staff-1")
    return list(outcome.added_ids)


def test_a_minimum_from_a_list_alerts_when_the_part_goes_below(store: Store) -> None:
    units = add(store, "P", 4, minimum=3)
    assert store.part("P")["min_units"] == 3 and store.part("P")["below_minimum"] is False
    store.repo.mark_used(units[:1], "staff-1", "sold")  # 3 left
    assert store.alerts() == {}
    outcome = store.repo.mark_used(units[1:3], "staff-1", "sold")  # 1 left
    assert outcome.used_counts == {"P": 3}
    assert store.alerts() == {"low_stock-P-1": {
        "kind": "low_stock", "audience": "staff", "part_code": "P", "available": 1,
        "min_units": 3, "alert": 1}}
    assert (store.part("P")["below_minimum"], store.part("P")["low_alerts"]) == (True, 1)


def test_units_added_re_arm_and_the_next_crossing_is_alert_two(store: Store) -> None:
    units = add(store, "P", 2, minimum=2)
    store.repo.mark_used(units[:1], "staff-1", "sold")
    more = add(store, "P", 4)  # 3 left of 4: re-armed
    assert len(more) == 2 and store.part("P")["below_minimum"] is False
    store.repo.mark_used(more, "staff-1", "sold")  # 1 left
    assert sorted(store.alerts()) == ["low_stock-P-1", "low_stock-P-2"]


def test_a_list_without_a_minimum_keeps_the_one_set(store: Store) -> None:
    add(store, "P", 2, minimum=5)
    (outcome,) = store.repo.add_missing_units([PartRequest("P", "name P", 2)], new_id, "s")
    assert (outcome.minimum_changed, store.part("P")["min_units"]) == (False, 5)
    (changed,) = store.repo.add_missing_units([PartRequest("P", "name P", 2, 1)], new_id, "s")
    assert (changed.minimum_changed, changed.minimum_from) == (True, 5)
    assert store.part("P")["below_minimum"] is False  # 2 left, minimum 1: re-armed


def test_an_unchanged_list_leaves_the_part_as_it_is(store: Store) -> None:
    add(store, "P", 3, minimum=1)
    before = store.part("P")
    (outcome,) = store.repo.add_missing_units([PartRequest("P", "name P", 3, 1)], new_id, "s")
    assert (outcome.added_ids, outcome.minimum_changed, outcome.existing) == ((), False, 3)
    assert store.part("P") == before


def test_setting_a_minimum_is_audited_with_the_change(store: Store) -> None:
    add(store, "P", 2)
    outcome = store.repo.set_minimum("P", 3, STAFF)
    assert outcome is not None
    assert (outcome.min_before, outcome.min_units, outcome.available, outcome.below_minimum,
            outcome.alert_raised) == (None, 3, 2, True, True)
    assert store.repo.set_minimum("P", 4, STAFF).alert_raised is False  # still low
    assert store.repo.set_minimum("P", None, STAFF).below_minimum is False
    expected = [
        ("set_part_minimum", "staff-1", {"part_code": "P"}, {"min_units": None},
         {"min_units": 3}),
        ("set_part_minimum", "staff-1", {"part_code": "P"}, {"min_units": 3},
         {"min_units": 4}),
        ("set_part_minimum", "staff-1", {"part_code": "P"}, {"min_units": 4},
         {"min_units": None})]
    assert sorted(map(repr, store.audit())) == sorted(map(repr, expected))  # ids: any order
    assert list(store.alerts()) == ["low_stock-P-1"]
    assert store.repo.set_minimum("NOPE", 1, STAFF) is None


def test_part_states_read_what_a_dry_run_needs(store: Store) -> None:
    add(store, "P", 2, minimum=1)
    states = store.repo.part_states(["P", "Q"])
    assert list(states) == ["P"]
    assert (states["P"].units, states["P"].min_units, states["P"].part_name) == (
        2, 1, "name P")


def test_printing_and_downloading_are_recorded_as_events(store: Store) -> None:
    (qr_id,) = add(store, "P", 1)
    records = store.repo.get_many([qr_id])
    store.repo.mark_printed(records, "staff-1", "avery-l7160")
    store.repo.mark_printed(records, "staff-2", "brother-62")
    store.repo.mark_downloaded(records, "staff-3")
    unit = store.repo.unit_file(qr_id)
    assert unit is not None and unit.record.print_count == 2
    assert [(e["kind"], e["by"], e.get("layout")) for e in unit.fields["events"]] == [
        ("printed", "staff-1", "avery-l7160"), ("printed", "staff-2", "brother-62"),
        ("downloaded", "staff-3", None)]
    assert store.repo.unit_file("P-missing") is None
