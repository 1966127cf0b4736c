# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Workers (clusters), draining, and deleteEndpoint's refusals.

import time

import pytest

from ansible_collections.tensorone.cloud.tests.unit.emulator.accounts import EMPTY_STATE

DRAIN = 0.3
REQUIRED = {"name": "workers", "templateId": "tmpl", "gpuIds": "AMPERE_16"}
SET_TO_ZERO = "workersMin and workersMax must both be set to 0 before deletion."


def scale(api, endpoint_id, workers_min, workers_max):
    return api.update(id=endpoint_id, workersMin=workers_min, workersMax=workers_max, **REQUIRED)


def test_workers_min_always_on_workers_are_listed_running(api):
    endpoint = api.create(workersMin=2, workersMax=3, **REQUIRED)
    assert [c["desiredStatus"] for c in endpoint["clusters"]] == ["RUNNING", "RUNNING"]
    assert len(set(c["id"] for c in endpoint["clusters"])) == 2
    grown = scale(api, endpoint["id"], 3, 3)
    # Scaling up keeps the existing workers and adds new ones.
    assert grown["clusters"][:2] == endpoint["clusters"] and len(grown["clusters"]) == 3


def test_scale_down_drains_then_workers_vanish(api, emulator):
    emulator.configure(drain_seconds=DRAIN)
    endpoint = api.create(workersMin=2, **REQUIRED)
    started = time.monotonic()
    after = scale(api, endpoint["id"], 1, 3)
    # The removed worker is still listed RUNNING while it drains.
    assert after["clusters"] == endpoint["clusters"]
    assert emulator.state()["endpoints"][0]["clusters"] == endpoint["clusters"]
    while time.monotonic() - started < DRAIN * 0.5:
        assert len(api.get(endpoint["id"])["clusters"]) == 2
        time.sleep(0.02)
    time.sleep(max(0.0, DRAIN - (time.monotonic() - started)) + 0.05)
    assert api.get(endpoint["id"])["clusters"] == endpoint["clusters"][:1]


def test_drain_zero_removes_workers_at_once(api):
    endpoint = api.create(workersMin=2, **REQUIRED)
    assert scale(api, endpoint["id"], 0, 0)["clusters"] == []


def test_delete_refusals_then_success(api, emulator):
    emulator.configure(drain_seconds=DRAIN)
    endpoint = api.create(workersMin=2, workersMax=3, **REQUIRED)
    assert api.delete_error(endpoint["id"]) == SET_TO_ZERO
    scale(api, endpoint["id"], 0, 1)
    assert api.delete_error(endpoint["id"]) == SET_TO_ZERO  # workersMax alone also blocks
    scale(api, endpoint["id"], 0, 0)
    # Both are 0 now, but two workers still drain: a different refusal.
    message = api.delete_error(endpoint["id"])
    assert message == "Endpoint has 2 worker(s) still running; wait for them to drain before deleting."
    assert len(emulator.state()["endpoints"]) == 1
    time.sleep(DRAIN + 0.05)
    status, _headers, body = api.delete(endpoint["id"])
    assert (status, body) == (200, {"data": {"deleteEndpoint": None}})
    assert emulator.state() == EMPTY_STATE


def test_delete_unknown_and_twice(api):
    endpoint = api.create(workersMax=0, **REQUIRED)
    assert api.delete(endpoint["id"])[2] == {"data": {"deleteEndpoint": None}}
    assert api.delete_error(endpoint["id"]) == "Endpoint not found"
    assert api.delete_error("nosuchendpoint") == "Endpoint not found"


def test_drain_time_is_fixed_when_the_drain_starts(api, emulator):
    emulator.configure(drain_seconds=DRAIN)
    endpoint = api.create(workersMin=1, **REQUIRED)
    scale(api, endpoint["id"], 0, 0)
    emulator.configure(drain_seconds=0)  # does not shorten a running drain
    assert len(api.get(endpoint["id"])["clusters"]) == 1
    time.sleep(DRAIN + 0.05)
    assert api.get(endpoint["id"])["clusters"] == []


def test_update_without_workers_min_drains_too(api, emulator):
    """The replace trap: an update omitting workersMin scales to 0."""
    emulator.configure(drain_seconds=DRAIN)
    endpoint = api.create(workersMin=1, **REQUIRED)
    updated = api.update(id=endpoint["id"], **REQUIRED)
    assert updated["workersMin"] == 0 and len(updated["clusters"]) == 1
    time.sleep(DRAIN + 0.05)
    assert api.get(endpoint["id"])["clusters"] == []


@pytest.mark.parametrize("status", ["CREATED", "RUNNING", "RESTARTING"])
def test_a_live_worker_blocks_delete(api, emulator, status):
    emulator.seed_endpoints(
        [
            {
                "id": "live0000000001",
                "name": "live",
                "workersMin": 0,
                "workersMax": 0,
                "clusters": [{"id": "w1", "desiredStatus": "EXITED"}, {"id": "w2", "desiredStatus": status}],
            }
        ]
    )
    message = api.delete_error("live0000000001")
    assert message == "Endpoint has 1 worker(s) still running; wait for them to drain before deleting."
    assert len(emulator.state()["endpoints"]) == 1


@pytest.mark.parametrize("status", ["EXITED", "PAUSED", "DEAD", "TERMINATED"])
def test_a_stopped_worker_does_not_block_delete(api, emulator, status):
    emulator.seed_endpoints(
        [{"id": "stopped0000001", "name": "stopped", "workersMin": 0, "workersMax": 0, "clusters": [{"id": "w1", "desiredStatus": status}, None]}]
    )
    assert api.get("stopped0000001")["clusters"] == [{"id": "w1", "desiredStatus": status}, None]
    assert api.delete("stopped0000001")[2] == {"data": {"deleteEndpoint": None}}
    assert emulator.state() == EMPTY_STATE


def test_stopped_workers_still_need_workers_set_to_zero(api, emulator):
    emulator.seed_endpoints(
        [{"id": "stopped0000002", "name": "stopped", "workersMin": 0, "workersMax": 1, "clusters": [{"id": "w1", "desiredStatus": "DEAD"}]}]
    )
    assert api.delete_error("stopped0000002") == SET_TO_ZERO


def test_stopped_workers_are_not_the_always_on_ones(api, emulator):
    """workersMin counts live workers: a seeded EXITED one stays listed and a new RUNNING one starts."""
    emulator.seed_endpoints(
        [{"id": "mixed000000001", "name": "mixed", "templateId": "tmpl", "gpuIds": "AMPERE_16", "clusters": [{"id": "old", "desiredStatus": "EXITED"}]}]
    )
    updated = api.update(id="mixed000000001", name="mixed", gpuIds="AMPERE_16", workersMin=1)
    assert [(c["id"], c["desiredStatus"]) for c in updated["clusters"]][0] == ("old", "EXITED")
    assert [c["desiredStatus"] for c in updated["clusters"]] == ["EXITED", "RUNNING"]
    assert [c["desiredStatus"] for c in scale(api, "mixed000000001", 0, 0)["clusters"]] == ["EXITED"]


def test_a_draining_worker_blocks_delete_until_its_drain_ends(api, emulator):
    emulator.seed_endpoints(
        [
            {
                "id": "draining000001",
                "name": "draining",
                "workersMin": 0,
                "workersMax": 0,
                "clusters": [{"id": "w1", "desiredStatus": "RUNNING", "drainRemaining": DRAIN}, {"id": "w2", "desiredStatus": "TERMINATED"}],
            }
        ]
    )
    assert api.delete_error("draining000001").startswith("Endpoint has 1 worker(s) still running")
    time.sleep(DRAIN + 0.05)
    assert api.get("draining000001")["clusters"] == [{"id": "w2", "desiredStatus": "TERMINATED"}]
    assert api.delete("draining000001")[2] == {"data": {"deleteEndpoint": None}}
