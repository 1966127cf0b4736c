# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Workers (clusters), draining, and deleteEndpoint's refusals.

import time

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
    assert emulator.state() == {"endpoints": []}


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
