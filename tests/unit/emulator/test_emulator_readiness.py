# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Workers and readiness (CONTRACT.md, "Workers and readiness" and "Clock"):
# the clock the control API moves, worker states (initializing, ready, idle,
# running, throttled, unhealthy), demand, capacity, crashing images, the
# rollout of a new version one worker at a time, the data plane's health
# call (auth, 404, faults, the log), workerState, the documented profile,
# seeding and the state file.

import http.client
import json
import os
import subprocess
import sys

import pytest
import requests

from ansible_collections.tensorone.cloud.tests.emulator import Emulator, EmulatorServer
from ansible_collections.tensorone.cloud.tests.unit.emulator.test_emulator_cli import KEY, TESTS_DIR, cli_processes  # noqa: F401 pylint: disable=unused-import

START = 10
# The documented fields: valid on both profiles.
SAVE = "mutation Save($input: EndpointInput!) { saveEndpoint(input: $input) { id clusters { id desiredStatus } } }"
SAVE_TEMPLATE = "mutation SaveTemplate($input: SaveTemplateInput) { saveTemplate(input: $input) { id } }"
CLUSTERS = "query Get($id: String!) { myself { endpoint(id: $id) { clusters { %s } } } }"
WORKER_STATE = (
    "query Get($id: String!) { myself { endpoint(id: $id) { workerState(input: {granularity: %s}) { time initializing idle running throttled unhealthy } } } }"
)
ENDPOINT = {"name": "ready-check", "templateId": "tmpl", "gpuIds": "AMPERE_48"}
IDLE = {"idle": 0, "initializing": 0, "ready": 0, "running": 0, "throttled": 0, "unhealthy": 0}
NO_JOBS = {"completed": 0, "failed": 0, "inProgress": 0, "inQueue": 0, "retried": 0}
CONNECTION_DROPPED = (http.client.RemoteDisconnected, ConnectionError)


@pytest.fixture
def paused(emulator):
    """The emulator on a clock that moves only when the test says, workers that take START seconds to start."""
    emulator.set_clock(mode="manual")
    emulator.set_workers(start_seconds=START)
    return emulator


def control(emulator, method, path, payload=None):
    response = requests.request(method, emulator.url + "/_emulator" + path, data=None if payload is None else json.dumps(payload), timeout=10)
    return response.status_code, response.json()


def save(emulator, **fields):
    status, _headers, body = emulator.call(SAVE, {"input": fields})
    assert status == 200 and "errors" not in body, body
    return body["data"]["saveEndpoint"]


def create(emulator, **fields):
    """A save of ENDPOINT with these fields (an update with id=...)."""
    payload = dict(ENDPOINT)
    payload.update(fields)
    return save(emulator, **payload)


def update(emulator, endpoint_id, **fields):
    return create(emulator, id=endpoint_id, **fields)


def workers_of(emulator, endpoint_id):
    """The endpoint's workers as the full state dump shows them."""
    return [e for e in emulator.state(fields="all")["endpoints"] if e["id"] == endpoint_id][0]["clusters"]


def states(emulator, endpoint_id):
    return [(w["version"], w["state"]) for w in workers_of(emulator, endpoint_id)]


def health(emulator, endpoint_id, **kwargs):
    status, _headers, body = emulator.health_call(endpoint_id, **kwargs)
    assert status == 200, body
    return body


def expect(emulator, endpoint_id, **nonzero):
    """The health call's worker counters are 0 but those given."""
    assert health(emulator, endpoint_id)["workers"] == dict(IDLE, **nonzero)


def advance(emulator, seconds):
    emulator.set_clock(advance=seconds)


# -- the clock ------------------------------------------------------------------------


def test_the_clock_runs_on_wall_time_until_a_test_freezes_and_moves_it(emulator):
    status, clock = control(emulator, "GET", "/clock")
    assert status == 200 and clock["mode"] == "real"
    assert emulator.clock()["now"] > clock["now"]  # it moves by itself
    frozen = control(emulator, "POST", "/clock", {"mode": "manual"})[1]
    assert frozen["mode"] == "manual" and emulator.clock() == frozen  # and no longer does
    assert control(emulator, "POST", "/clock", {"advance": 90})[1] == {"mode": "manual", "now": frozen["now"] + 90}
    resumed = emulator.set_clock(mode="real", advance=10)
    assert resumed["mode"] == "real" and frozen["now"] + 100 <= resumed["now"] < frozen["now"] + 101  # no jump back
    for payload in ({"advance": -1}, {"advance": "1"}, {"advance": True}, {"mode": "fast"}, {"now": 5}):
        assert control(emulator, "POST", "/clock", payload)[0] == 400
    emulator.set_clock(mode="manual")
    emulator.reset()
    assert emulator.clock()["mode"] == "real" and emulator.clock()["now"] >= resumed["now"]


def test_drains_follow_the_clock_too(api, emulator):
    emulator.configure(drain_seconds=30)
    emulator.set_clock(mode="manual")
    endpoint = api.create(workersMin=1, name="drains", templateId="tmpl", gpuIds="AMPERE_16")
    api.update(id=endpoint["id"], name="drains", gpuIds="AMPERE_16", workersMin=0, workersMax=0)
    advance(emulator, 29.9)
    assert api.delete_error(endpoint["id"]).startswith("Endpoint has 1 worker(s) still running")
    advance(emulator, 0.1)
    assert api.delete(endpoint["id"])[2] == {"data": {"deleteEndpoint": None}}


# -- states on the clock ------------------------------------------------------------------


def test_workers_initialize_for_the_start_time_then_are_ready_and_idle(paused):
    endpoint = create(paused, workersMin=2, workersMax=3)
    # desiredStatus is what the platform wants: RUNNING from the start, ready or not.
    assert [c["desiredStatus"] for c in endpoint["clusters"]] == ["RUNNING", "RUNNING"]
    assert health(paused, endpoint["id"]) == {"jobs": NO_JOBS, "workers": dict(IDLE, initializing=2)}
    assert states(paused, endpoint["id"]) == [(1, "initializing")] * 2
    advance(paused, START - 0.5)
    expect(paused, endpoint["id"], initializing=2)
    advance(paused, 0.5)
    expect(paused, endpoint["id"], idle=2, ready=2)
    assert states(paused, endpoint["id"]) == [(1, "ready")] * 2


def test_the_body_has_exactly_the_observed_shape_in_its_order(paused):
    endpoint = create(paused)
    status, headers, raw = paused.health_call(endpoint["id"])
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert list(raw) == ["jobs", "workers"]
    assert list(raw["jobs"]) == ["completed", "failed", "inProgress", "inQueue", "retried"]
    assert list(raw["workers"]) == ["idle", "initializing", "ready", "running", "throttled", "unhealthy"]
    assert raw == {"jobs": NO_JOBS, "workers": IDLE}  # workersMin 0 and no demand: no worker


def test_demand_starts_workers_up_to_workers_max_and_the_counters_overlap(paused):
    endpoint = create(paused, workersMin=2, workersMax=3)
    advance(paused, START)
    paused.set_workers(demand={endpoint["id"]: 1})
    # The observed capture, idle 1, ready 1 and running 1 together: one idle worker, one serving a request.
    body = health(paused, endpoint["id"])
    assert body == {"jobs": dict(NO_JOBS, inProgress=1), "workers": dict(IDLE, idle=1, ready=1, running=1)}
    assert sum(body["workers"].values()) == 3 and len(workers_of(paused, endpoint["id"])) == 2  # not a partition
    # More demand than workersMin: a flex worker starts.
    paused.set_workers(demand={endpoint["id"]: 3})
    expect(paused, endpoint["id"], running=2, initializing=1)
    # More demand than workersMax: workersMax workers, the other requests queue.
    paused.set_workers(demand={endpoint["id"]: 5})
    advance(paused, START)
    assert health(paused, endpoint["id"]) == {"jobs": dict(NO_JOBS, inProgress=3, inQueue=2), "workers": dict(IDLE, running=3)}
    # No more demand: back to workersMin (the surplus drains; drain_seconds 0: at once).
    paused.set_workers(demand={})
    expect(paused, endpoint["id"], idle=2, ready=2)
    assert len(workers_of(paused, endpoint["id"])) == 2


# -- throttled -----------------------------------------------------------------------------


def test_no_capacity_in_the_pool_throttles_workers_until_there_is(paused):
    paused.set_workers(capacity={"AMPERE_48": 0})
    endpoint = create(paused, workersMin=2)
    expect(paused, endpoint["id"], throttled=2)
    advance(paused, 3 * START)
    expect(paused, endpoint["id"], throttled=2)  # no machine, however long
    assert [(w["state"], w["pool"], w["dataCenter"]) for w in workers_of(paused, endpoint["id"])] == [("throttled", None, None)] * 2
    # A machine for one of them: it starts then, the other still waits.
    paused.set_workers(capacity={"AMPERE_48": 1})
    expect(paused, endpoint["id"], initializing=1, throttled=1)
    advance(paused, START)
    expect(paused, endpoint["id"], idle=1, ready=1, throttled=1)
    paused.set_workers(capacity={})
    advance(paused, START)
    expect(paused, endpoint["id"], idle=2, ready=2)


def test_the_next_pool_in_priority_order_takes_the_workers(paused):
    paused.set_workers(capacity={"AMPERE_48": 0})
    endpoint = create(paused, gpuIds="AMPERE_48,ADA_48_PRO", workersMin=1)
    assert [(w["state"], w["pool"]) for w in workers_of(paused, endpoint["id"])] == [("initializing", "ADA_48_PRO")]


def test_capacity_per_data_centre_and_per_endpoint(paused):
    paused.set_workers(capacity={"EU-RO-1": 0})
    pinned = create(paused, name="pinned", locations="EU-RO-1", workersMin=1)
    expect(paused, pinned["id"], throttled=1)
    elsewhere = create(paused, name="elsewhere", locations="EU-RO-1,US-TX-3", workersMin=1)
    assert [w["dataCenter"] for w in workers_of(paused, elsewhere["id"])] == ["US-TX-3"]
    # A volume pins the workers to its data centre.
    paused.seed(networkVolumes=[{"id": "vol-ro", "name": "models", "size": 50, "dataCenterId": "EU-RO-1"}])
    mounted = create(paused, name="mounted", networkVolumeId="vol-ro", workersMin=1)
    expect(paused, mounted["id"], throttled=1)
    capped = create(paused, name="capped", workersMin=3, workersMax=3)
    paused.set_workers(capacity={capped["id"]: 2})
    save(paused, id=capped["id"], name="capped", gpuIds="AMPERE_48", workersMin=0, workersMax=3)
    save(paused, id=capped["id"], name="capped", gpuIds="AMPERE_48", workersMin=3, workersMax=3)
    expect(paused, capped["id"], initializing=2, throttled=1)


def test_a_machine_freed_by_another_endpoint_is_taken(paused):
    paused.set_workers(capacity={"AMPERE_48": 1})
    first = create(paused, name="first", workersMin=1)
    second = create(paused, name="second", workersMin=1)
    expect(paused, second["id"], throttled=1)
    advance(paused, 1)
    save(paused, id=first["id"], name="first", gpuIds="AMPERE_48", workersMin=0, workersMax=0)
    expect(paused, second["id"], initializing=1)
    advance(paused, START)
    expect(paused, second["id"], idle=1, ready=1)


def test_a_draining_worker_keeps_its_machine_until_its_drain_ends(paused):
    paused.configure(drain_seconds=5)
    paused.set_workers(capacity={"AMPERE_48": 1})
    first = create(paused, name="first", workersMin=1)
    second = create(paused, name="second", workersMin=1)
    save(paused, id=first["id"], name="first", gpuIds="AMPERE_48", workersMin=0, workersMax=0)
    advance(paused, 4.5)
    expect(paused, second["id"], throttled=1)
    advance(paused, 0.5)
    # It started when the drain ended, not when someone looked: ready START seconds after that.
    advance(paused, START)
    expect(paused, second["id"], idle=1, ready=1)


# -- unhealthy ----------------------------------------------------------------------------------


def store_template(emulator, image, name="llm-image"):
    status, _headers, body = emulator.call(
        SAVE_TEMPLATE,
        {"input": {"name": name, "imageName": image, "containerDiskInGb": 10, "volumeInGb": 0, "dockerArgs": "", "env": [], "isServerless": True}},
    )
    assert status == 200 and "errors" not in body, body
    return body["data"]["saveTemplate"]


def test_a_crashing_image_makes_workers_unhealthy_and_they_stay_so(paused):
    template = store_template(paused, "registry.example/llm:2")
    paused.set_workers(crashing_images=["registry.example/llm:2"])
    endpoint = create(paused, templateId=template["id"], workersMin=2)
    expect(paused, endpoint["id"], initializing=2)
    advance(paused, START)
    expect(paused, endpoint["id"], unhealthy=2)
    assert [(w["state"], w["image"], w["desiredStatus"]) for w in workers_of(paused, endpoint["id"])] == [
        ("unhealthy", "registry.example/llm:2", "RUNNING")
    ] * 2
    advance(paused, 100 * START)
    expect(paused, endpoint["id"], unhealthy=2)  # the retries crash too
    # Once the image no longer crashes, the next retry starts.
    paused.set_workers(crashing_images=[])
    expect(paused, endpoint["id"], initializing=2)
    advance(paused, START)
    expect(paused, endpoint["id"], idle=2, ready=2)


def test_an_endpoint_without_a_stored_template_never_crashes(paused):
    paused.set_workers(crashing_images=["registry.example/llm:2"])
    endpoint = create(paused, workersMin=1)
    advance(paused, START)
    expect(paused, endpoint["id"], idle=1, ready=1)
    assert workers_of(paused, endpoint["id"])[0]["image"] is None


# -- rollout -----------------------------------------------------------------------------------


def test_a_new_version_replaces_the_workers_one_by_one(paused):
    endpoint = create(paused, workersMin=2, workersMax=2)
    advance(paused, START)
    old_ids = [w["id"] for w in workers_of(paused, endpoint["id"])]
    updated = update(paused, endpoint["id"], workersMin=2, workersMax=2, env=[{"key": "MODEL", "value": "b"}])
    assert updated["id"] == endpoint["id"]
    # The old workers stay ready; one new worker starts.
    assert states(paused, endpoint["id"]) == [(1, "ready"), (1, "ready"), (2, "initializing")]
    expect(paused, endpoint["id"], idle=2, ready=2, initializing=1)
    advance(paused, START)
    # It is ready: the first old worker leaves, the next new one starts.
    assert states(paused, endpoint["id"]) == [(1, "ready"), (2, "ready"), (2, "initializing")]
    assert [w["id"] for w in workers_of(paused, endpoint["id"])][0] == old_ids[1]
    advance(paused, START)
    assert states(paused, endpoint["id"]) == [(2, "ready"), (2, "ready")]
    assert not set(old_ids) & set(w["id"] for w in workers_of(paused, endpoint["id"]))


def test_a_rollout_replays_in_order_when_nobody_looks(paused):
    endpoint = create(paused, workersMin=3, workersMax=3)
    advance(paused, START)
    update(paused, endpoint["id"], workersMin=3, workersMax=3, templateId="tmpl-2")
    advance(paused, 2.5 * START)
    # Two replaced at START and 2*START, the third new one half way.
    assert states(paused, endpoint["id"]) == [(1, "ready"), (2, "ready"), (2, "ready"), (2, "initializing")]


def test_a_template_save_rolls_out_the_new_image_one_by_one(paused):
    template = store_template(paused, "registry.example/llm:1")
    endpoint = create(paused, templateId=template["id"], workersMin=2)
    advance(paused, START)
    store_template(paused, "registry.example/llm:2", name="other")  # another template: not a roll
    status, _headers, body = paused.call(
        SAVE_TEMPLATE,
        {
            "input": {
                "id": template["id"],
                "name": "llm-image",
                "imageName": "registry.example/llm:3",
                "containerDiskInGb": 10,
                "volumeInGb": 0,
                "dockerArgs": "",
                "env": [],
                "isServerless": True,
            }
        },
    )
    assert status == 200 and "errors" not in body, body
    assert [(w["version"], w["state"], w["image"]) for w in workers_of(paused, endpoint["id"])] == [
        (1, "ready", "registry.example/llm:1"),
        (1, "ready", "registry.example/llm:1"),
        (2, "initializing", "registry.example/llm:3"),
    ]


def test_a_rollout_of_a_crashing_image_stalls_and_the_old_workers_keep_serving(paused):
    template = store_template(paused, "registry.example/llm:1")
    endpoint = create(paused, templateId=template["id"], workersMin=2)
    advance(paused, START)
    paused.set_workers(crashing_images=["registry.example/llm:2"])
    store_template(paused, "registry.example/llm:2", name="llm-image-2")
    broken = [t for t in paused.state()["templates"] if t["name"] == "llm-image-2"][0]
    update(paused, endpoint["id"], templateId=broken["id"], workersMin=2)
    advance(paused, 10 * START)
    assert states(paused, endpoint["id"]) == [(1, "ready"), (1, "ready"), (2, "unhealthy")]
    expect(paused, endpoint["id"], idle=2, ready=2, unhealthy=1)
    paused.set_workers(crashing_images=[])
    advance(paused, 2 * START)
    assert states(paused, endpoint["id"]) == [(2, "ready"), (2, "ready")]


def test_a_rollout_waits_for_capacity(paused):
    endpoint = create(paused, workersMin=1)
    advance(paused, START)
    paused.set_workers(capacity={"AMPERE_48": 1})
    update(paused, endpoint["id"], workersMin=1, templateId="tmpl-2")
    assert states(paused, endpoint["id"]) == [(1, "ready"), (2, "throttled")]
    paused.set_workers(capacity={"AMPERE_48": 2})
    advance(paused, START)
    assert states(paused, endpoint["id"]) == [(2, "ready")]


def test_scaling_to_zero_during_a_rollout_drains_every_worker(paused):
    paused.configure(drain_seconds=5)
    endpoint = create(paused, workersMin=2)
    advance(paused, START)
    update(paused, endpoint["id"], workersMin=2, templateId="tmpl-2")
    update(paused, endpoint["id"], workersMin=0, workersMax=0, templateId="tmpl-2")
    assert [c["desiredStatus"] for c in workers_of(paused, endpoint["id"])] == ["RUNNING"] * 3
    expect(paused, endpoint["id"])  # draining workers take no requests
    advance(paused, 5)
    assert workers_of(paused, endpoint["id"]) == []


# -- the health call ---------------------------------------------------------------------------


def test_health_needs_the_key_in_the_authorization_header(emulator):
    endpoint = create(emulator)
    assert emulator.health_call(endpoint["id"], auth="header")[0] == 200
    assert emulator.health_call(endpoint["id"], auth="bearer")[0] == 200
    assert emulator.health_call(endpoint["id"], api_key=emulator.read_only_key)[0] == 200  # a read
    for kwargs in ({"auth": None}, {"api_key": "wrong-key-123456"}, {"api_key": "wrong-key-123456", "auth": "bearer"}):
        status, _headers, body = emulator.health_call(endpoint["id"], **kwargs)
        assert (status, body) == (401, {"error": "Unauthorized"})
    # Never in the URL.
    response = requests.get(emulator.data_plane_url + "/v2/%s/health" % endpoint["id"], params={"api_key": emulator.api_key}, timeout=10)
    assert response.status_code == 401
    assert emulator.log()["counters"]["unauthorized"] == 4


def test_health_of_an_unknown_endpoint_is_404_and_other_paths_are_not_served(emulator):
    assert emulator.health_call("nosuchendpoint")[::2] == (404, {"error": "Endpoint not found"})
    emulator.seed_endpoints([{"id": None, "name": "without-id"}])
    assert emulator.health_call("None")[0] == 404
    status, headers, body = emulator.health_call("nosuchendpoint", method="POST")
    assert (status, headers["Allow"], body) == (405, "GET", {"error": "Method not allowed: use GET"})
    for path in ("/v2/abc/run", "/v2/abc/health/", "/v2/health", "/v2//health"):
        assert requests.get(emulator.url + path, headers={"Authorization": emulator.api_key}, timeout=10).status_code == 404


def test_health_calls_are_logged_and_counted(emulator):
    endpoint = create(emulator)
    emulator.clear_log()
    emulator.health_call(endpoint["id"])
    emulator.health_call("nosuchendpoint", auth=None)
    log = emulator.log()
    assert [(e["method"], e["path"], e["status"], e["operation_type"], e["root_fields"], e["variables"]) for e in log["requests"]] == [
        ("GET", "/v2/%s/health" % endpoint["id"], 200, "health", [], None),
        ("GET", "/v2/nosuchendpoint/health", 401, "health", [], None),
    ]
    assert (log["counters"]["requests"], log["counters"]["health"], log["counters"]["queries"]) == (2, 2, 0)
    assert emulator.api_key not in json.dumps(log)


def test_faults_hit_the_health_call(emulator):
    endpoint = create(emulator)
    emulator.set_faults(rate_429=1.0, retry_after=3)
    status, headers, body = emulator.health_call(endpoint["id"])
    assert (status, headers["Retry-After"], body) == (429, "3", {"errors": [{"message": "Too many requests"}]})
    emulator.set_faults(rate_5xx=1.0, statuses_5xx=[503])
    assert emulator.health_call(endpoint["id"])[0] == 503
    emulator.set_faults(rate_edge_403=1.0)
    assert emulator.health_call(endpoint["id"])[::2] == (403, "error code: 1010")
    emulator.set_faults(rate_html_200=1.0)
    status, headers, body = emulator.health_call(endpoint["id"], auth=None)  # before authentication
    assert status == 200 and headers["Content-Type"].startswith("text/html") and "<title>Tensor One</title>" in body
    emulator.set_faults(rate_reset=1.0)
    with pytest.raises(CONNECTION_DROPPED):
        emulator.health_call(endpoint["id"])
    emulator.set_faults(latency_ms=50)
    assert emulator.health_call(endpoint["id"])[0] == 200
    faults = [e["fault"] for e in emulator.log()["requests"] if e["operation_type"] == "health"]
    assert faults == ["429", "5xx", "edge_403", "html_200", "reset", None]
    assert emulator.log()["counters"]["faults"] == 5


# -- GraphQL -----------------------------------------------------------------------------------


def test_cluster_fields_of_the_full_profile(emulator):
    endpoint = create(emulator, workersMin=1, gpuCount=2)
    cpu = create(emulator, name="cpu-endpoint", gpuIds=None, instanceIds=["cpu3c-2-4"], workersMin=1)
    selection = "id version gpuCount imageName templateId lastStartedAt uptimeSeconds slsVersion networkVolumeId lastStatusChange"
    (worker,) = emulator.call(CLUSTERS % selection, {"id": endpoint["id"]})[2]["data"]["myself"]["endpoint"]["clusters"]
    # Filled: the version it runs and its GPUs; unverified for serverless workers: null.
    assert (worker["version"], worker["gpuCount"]) == (1, 2)
    assert [worker[f] for f in selection.split()[3:]] == [None] * 7
    assert emulator.call(CLUSTERS % "gpuCount", {"id": cpu["id"]})[2]["data"]["myself"]["endpoint"]["clusters"] == [{"gpuCount": 0}]


def test_worker_state_live_and_the_other_granularities(paused):
    endpoint = create(paused, workersMin=2)
    paused.set_workers(demand={endpoint["id"]: 1})
    advance(paused, START)
    status, _headers, body = paused.call(WORKER_STATE % "LIVE", {"id": endpoint["id"]})
    assert status == 200 and "errors" not in body, body
    (point,) = body["data"]["myself"]["endpoint"]["workerState"]
    assert dict(point, time=None) == {"time": None, "initializing": 0, "idle": 1, "running": 1, "throttled": 0, "unhealthy": 0}
    assert point["time"].endswith("Z")
    assert paused.call(WORKER_STATE % "HOURLY", {"id": endpoint["id"]})[2]["data"]["myself"]["endpoint"]["workerState"] == []
    # The argument is required.
    status, _headers, body = paused.call("{ myself { endpoints { workerState { idle } } } }")
    assert status == 400 and "input" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "selection",
    [
        "clusters { imageName }",
        "clusters { templateId }",
        "clusters { lastStartedAt }",
        "clusters { uptimeSeconds }",
        "clusters { slsVersion }",
        "clusters { gpuCount }",
        "clusters { networkVolumeId }",
        "workerState(input: {granularity: LIVE}) { idle }",
    ],
)
def test_documented_profile_has_none_of_it_but_the_health_call(emulator_factory, selection):
    server = emulator_factory(profile="documented")
    status, _headers, body = server.call("{ myself { endpoints { id %s } } }" % selection)
    assert status == 400 and "Cannot query field" in body["errors"][0]["message"], body
    endpoint = create(server, workersMin=1)
    assert health(server, endpoint["id"])["workers"] == dict(IDLE, idle=1, ready=1)  # the data plane is not GraphQL


# -- control, seed and persistence -------------------------------------------------------------


def test_worker_settings_merge_check_and_reset(emulator_factory):
    server = emulator_factory(worker_start_seconds=4)
    assert control(server, "GET", "/workers") == (200, {"start_seconds": 4, "capacity": {}, "crashing_images": [], "demand": {}})
    endpoint = create(server)
    changed = control(server, "POST", "/workers", {"capacity": {"AMPERE_48": 1, "EU-RO-1": 0, endpoint["id"]: 2}, "crashing_images": ["r/x:2"]})
    assert changed == (200, {"start_seconds": 4, "capacity": {"AMPERE_48": 1, "EU-RO-1": 0, endpoint["id"]: 2}, "crashing_images": ["r/x:2"], "demand": {}})
    assert server.set_workers(demand={endpoint["id"]: 1})["capacity"] == {"AMPERE_48": 1, "EU-RO-1": 0, endpoint["id"]: 2}  # merged
    for payload in (
        {"start_seconds": -1},
        {"start_seconds": "1"},
        {"capacity": {"AMPERE_48": -1}},
        {"capacity": {"AMPERE_48": 1.5}},
        {"capacity": {"NO_SUCH_POOL": 1}},
        {"capacity": ["AMPERE_48"]},
        {"demand": {"nosuchendpoint": 1}},
        {"demand": {endpoint["id"]: True}},
        {"crashing_images": "r/x:2"},
        {"crashing_images": [""]},
        {"speed": 1},
    ):
        status, body = control(server, "POST", "/workers", payload)
        assert status == 400 and "error" in body, payload
    assert server.workers()["demand"] == {endpoint["id"]: 1}  # a refused change changes nothing
    server.reset()
    assert server.workers() == {"start_seconds": 4, "capacity": {}, "crashing_images": [], "demand": {}}


def test_seeded_workers_take_their_state_and_follow_the_rules_from_there(paused):
    paused.set_workers(crashing_images=["r/x:2"], capacity={"AMPERE_48": 0})
    paused.seed_endpoints(
        [
            {
                "id": "seeded00000001",
                "name": "seeded",
                "gpuIds": "AMPERE_48",
                "workersMin": 3,
                "clusters": [
                    {"id": "w1", "state": "initializing", "readyRemaining": 2},
                    {"id": "w2", "state": "unhealthy", "image": "r/x:2"},
                    {"id": "w3", "state": "throttled"},
                    {"id": "w4", "desiredStatus": "EXITED"},
                ],
            }
        ]
    )
    assert [w["state"] for w in workers_of(paused, "seeded00000001")] == ["initializing", "unhealthy", "throttled", None]
    advance(paused, 2)
    expect(paused, "seeded00000001", idle=1, ready=1, unhealthy=1, throttled=1)
    for bad in ({"state": "idle"}, {"gpuCount": None}, {"readyRemaining": "2"}, {"pool": 5}):
        status, body = control(paused, "POST", "/seed", {"endpoints": [{"name": "bad", "clusters": [dict(bad, id="w")]}]})
        assert status == 400 and "error" in body, bad


def test_the_state_file_keeps_the_workers_and_their_remaining_start(tmp_path):
    state_file = str(tmp_path / "state.json")
    now = [1000.0]
    first = Emulator(api_keys=["key-123456"], state_file=state_file, clock=lambda: now[0], worker_start_seconds=START)
    first.set_workers(capacity={"ADA_24": 0})
    endpoint = first.store.save_endpoint(dict(ENDPOINT, workersMin=1))
    first.store.save_endpoint(dict(ENDPOINT, name="waiting", gpuIds="ADA_24", workersMin=1))
    now[0] += 4
    first.seed(endpoints=[])  # a change: the file is written
    with open(state_file) as handle:
        saved = [e["clusters"][0] for e in json.load(handle)["endpoints"]]
    assert [(w["state"], w["readyRemaining"], w["pool"]) for w in saved] == [("initializing", START - 4, "AMPERE_48"), ("throttled", None, None)]
    # A restart: the start goes on where it was (the time the emulator was down does not count).
    now[0] += 1000
    second = Emulator(api_keys=["key-123456"], state_file=state_file, clock=lambda: now[0], worker_start_seconds=START)
    loaded = [e["clusters"][0] for e in second.state(fields="all")["endpoints"]]
    assert loaded[0] == dict((k, v) for k, v in saved[0].items() if k not in ("readyRemaining", "drainRemaining"))
    # The settings are not saved: no capacity limit after the restart, the waiting worker starts.
    assert (loaded[1]["id"], loaded[1]["state"], loaded[1]["pool"]) == (saved[1]["id"], "initializing", "ADA_24")
    now[0] += START - 5
    assert second.store.tables["endpoints"].health(endpoint["id"])["workers"] == dict(IDLE, initializing=1)
    now[0] += 1
    assert second.store.tables["endpoints"].health(endpoint["id"])["workers"] == dict(IDLE, idle=1, ready=1)


def test_the_data_plane_url_and_the_start_time_on_the_command_line(cli_processes, tmp_path):
    cli = cli_processes("--api-key", KEY, "--worker-start-seconds", "7.5")
    assert requests.get(cli.url + "/_emulator/workers", timeout=10).json()["start_seconds"] == 7.5
    with EmulatorServer(api_keys=[KEY]) as server:
        assert server.data_plane_url == server.url
    config = tmp_path / "integration_config.yml"
    launch = os.path.join(TESTS_DIR, "emulator", "launch.py")
    subprocess.run([sys.executable, launch, "--integration-config", str(config), "--", sys.executable, "-c", "pass"], check=True, timeout=60)
    lines = dict(line.split(": ", 1) for line in config.read_text().splitlines()[1:])
    assert json.loads(lines["tensorone_data_plane_url"]) == json.loads(lines["tensorone_emulator_url"])
    assert json.loads(lines["tensorone_api_url"]) == json.loads(lines["tensorone_emulator_url"]) + "/graphql"
