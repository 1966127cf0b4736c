# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Control surface (HTTP and Python), the request log, seeding, the state
# file, loopback-only binding.

import json
import socket
import time

import pytest
import requests

from ansible_collections.tensorone.cloud.tests.emulator import EmulatorServer
from ansible_collections.tensorone.cloud.tests.unit.emulator.accounts import EMPTY_STATE

SAVE = "mutation Save($input: EndpointInput!) { saveEndpoint(input: $input) { id } }"
DELETE = "mutation Delete($id: String!) { deleteEndpoint(id: $id) }"
VALID = {"name": "control", "templateId": "tmpl", "gpuIds": "AMPERE_16"}
STATE_FIELDS = [
    "id",
    "name",
    "templateId",
    "gpuIds",
    "idleTimeout",
    "locations",
    "networkVolumeId",
    "scalerType",
    "scalerValue",
    "workersMin",
    "workersMax",
    "clusters",
]
LOG_FIELDS = {
    "seq",
    "method",
    "path",
    "status",
    "operation_type",
    "operation_name",
    "root_fields",
    "mutation_kind",
    "applied",
    "variables",
    "user_agent",
    "fault",
}


def control(emulator, method, path, payload=None):
    response = requests.request(method, emulator.url + "/_emulator" + path, data=None if payload is None else json.dumps(payload), timeout=10)
    return response.status_code, response.json()


def test_health_and_state(api, emulator):
    assert control(emulator, "GET", "/health") == (200, {"ok": True})
    first = api.create(workersMin=1, **VALID)
    api.create(name="second")
    status, state = control(emulator, "GET", "/state")
    assert status == 200 and state == emulator.state()
    assert [list(e) for e in state["endpoints"]] == [STATE_FIELDS, STATE_FIELDS]
    assert [e["name"] for e in state["endpoints"]] == ["control", "second"]  # creation order
    assert state["endpoints"][0]["clusters"] == first["clusters"]
    assert state["endpoints"][0]["clusters"][0]["desiredStatus"] == "RUNNING"


def test_request_log_entries_and_counters(api, emulator):
    endpoint = api.create(workersMax=0, **VALID)
    api.update(id=endpoint["id"], **VALID)
    api.save_error(**dict(VALID, name="x"))
    emulator.call("query Views { myself { endpoints { id } } }")
    emulator.call(DELETE, {"id": endpoint["id"]})
    api.update(id=endpoint["id"], workersMax=0, **VALID)
    emulator.call(DELETE, {"id": endpoint["id"]})
    log = emulator.log()
    assert control(emulator, "GET", "/log") == (200, log)
    entries = log["requests"]
    assert all(set(entry) == LOG_FIELDS for entry in entries)
    assert [e["seq"] for e in entries] == list(range(1, 8))
    assert [(e["operation_type"], e["mutation_kind"], e["applied"]) for e in entries] == [
        ("mutation", "create", True),
        ("mutation", "update", True),
        ("mutation", "create", False),
        ("query", None, False),
        ("mutation", "delete", False),
        ("mutation", "update", True),
        ("mutation", "delete", True),
    ]
    assert entries[0]["root_fields"] == ["saveEndpoint"] and entries[3]["root_fields"] == ["myself"]
    assert entries[0]["operation_name"] == "Save" and entries[3]["operation_name"] == "Views"
    assert entries[0]["variables"] == {"input": dict(VALID, workersMax=0)}
    assert entries[0]["method"] == "POST" and entries[0]["path"] == "/graphql" and entries[0]["status"] == 200
    assert entries[0]["user_agent"] == "tensorone-emulator-tests" and entries[0]["fault"] is None
    # the kinds of the other resources, which these requests do not touch
    untouched = (
        "registry_auth_create",
        "registry_auth_update",
        "registry_auth_delete",
        "secret_create",
        "secret_value_update",
        "secret_description_update",
        "secret_delete",
        "network_volume_create",
        "network_volume_update",
        "network_volume_delete",
    )
    assert log["counters"] == dict(
        dict.fromkeys(untouched + tuple("applied_" + kind for kind in untouched), 0),
        **{
            "requests": 7,
            "queries": 1,
            "mutations": 6,
            "applied_mutations": 4,
            "create": 2,
            "update": 2,
            "delete": 2,
            "applied_create": 1,
            "applied_update": 2,
            "applied_delete": 1,
            "health": 0,
            "faults": 0,
            "unauthorized": 0,
            "template_create": 0,
            "template_update": 0,
            "template_delete": 0,
            "applied_template_create": 0,
            "applied_template_update": 0,
            "applied_template_delete": 0,
        },
    )
    assert control(emulator, "POST", "/log/clear") == (200, {"ok": True})
    assert emulator.log() == {"requests": [], "counters": dict.fromkeys(log["counters"], 0)}


def test_mutation_kind_with_inline_values_and_fragments(emulator):
    emulator.call('mutation { saveEndpoint(input: {id: "abc", name: "abc", gpuIds: "AMPERE_16"}) { id } }')
    emulator.call('mutation { saveEndpoint(input: {id: null, name: "abc", gpuIds: "AMPERE_16"}) { id } }')
    emulator.call("mutation M { ...F } fragment F on Mutation { deleteEndpoint(id: \"x\") }")
    emulator.call("query Q($id: String!) { myself { ... on User { endpoint(id: $id) { id } } } }", {"id": "x"})
    entries = emulator.log()["requests"]
    assert [e["mutation_kind"] for e in entries] == ["update", "create", "delete", None]
    assert entries[2]["root_fields"] == ["deleteEndpoint"] and entries[3]["root_fields"] == ["myself"]


def test_no_key_ever_appears_in_log_or_control_output(emulator):
    key, read_only = emulator.api_key, emulator.read_only_key
    # Keys sent every possible way, even inside variables and the User-Agent.
    emulator.call(SAVE, {"input": dict(VALID, name="name-" + key)}, headers={"User-Agent": "client/1 " + key})
    emulator.call(SAVE, {"input": VALID, "apiKey": "whatever-secret", "token": "t0k3n-value"}, auth="bearer")
    emulator.call(SAVE, {"input": VALID}, api_key=read_only)
    emulator.call(SAVE, {"input": VALID}, api_key="unknown-key-42")
    outputs = [emulator.log(), emulator.config(), emulator.faults()]
    for path in ("/log", "/config", "/faults", "/health"):
        outputs.append(control(emulator, "GET", path)[1])
    outputs.append(control(emulator, "POST", "/config", {"read_only_keys": [read_only, "another-ro-key"]})[1])
    text = json.dumps(outputs)
    for secret in (key, read_only, "unknown-key-42", "whatever-secret", "t0k3n-value", "another-ro-key"):
        assert secret not in text
    variables = emulator.log()["requests"][1]["variables"]
    assert variables["apiKey"] == "<redacted>" and variables["token"] == "<redacted>"
    assert emulator.log()["requests"][0]["user_agent"] == "client/1 <redacted>"
    # The endpoint name (not a credential field) keeps its shape around the redaction.
    assert emulator.log()["requests"][0]["variables"]["input"]["name"] == "name-<redacted>"


SAVE_TEMPLATE = "mutation SaveTemplate($input: SaveTemplateInput) { saveTemplate(input: $input) { id } }"


def test_log_masks_every_environment_value(emulator):
    # Environment values hold secrets (tokens, licence keys): the log keeps the
    # variable names and the request's shape, never a value.
    env = [{"key": "HF_TOKEN", "value": "hf-token-value-1"}, {"key": "MODEL_NAME", "value": "model-value-2"}, None]
    emulator.call(SAVE, {"input": dict(VALID, env=env)})
    template = {
        "name": "tpl-log",
        "imageName": "registry.example/llm:1.0",
        "containerDiskInGb": 10,
        "volumeInGb": 0,
        "dockerArgs": "",
        "env": [{"key": "LICENSE_KEY", "value": "licence-value-3"}],
    }
    emulator.call(SAVE_TEMPLATE, {"input": template}, operation_name="SaveTemplate")
    # Refused requests are logged too: an env of the wrong shape, and a variable called env.
    emulator.call(SAVE, {"input": dict(VALID, env=[{"key": "K", "value": "wrong-shape-value-4", "extra": "extra-value-5"}])})
    emulator.call(SAVE, {"input": dict(VALID, env="flat-value-6"), "env": [{"key": "TOP", "value": "top-value-7"}]})
    entries = emulator.log()["requests"]
    text = json.dumps(entries)
    for value in ("hf-token-value-1", "model-value-2", "licence-value-3", "wrong-shape-value-4", "extra-value-5", "flat-value-6", "top-value-7"):
        assert value not in text
    assert entries[0]["variables"]["input"]["env"] == [{"key": "HF_TOKEN", "value": "<masked>"}, {"key": "MODEL_NAME", "value": "<masked>"}, None]
    assert entries[0]["variables"]["input"]["name"] == VALID["name"]
    assert entries[1]["variables"]["input"]["env"] == [{"key": "LICENSE_KEY", "value": "<masked>"}]
    assert entries[1]["variables"]["input"]["imageName"] == template["imageName"]
    assert [e["operation_name"] for e in entries[:2]] == ["Save", "SaveTemplate"]
    assert [e["mutation_kind"] for e in entries[:2]] == ["create", "template_create"]
    assert entries[2]["variables"]["input"]["env"] == [{"key": "K", "value": "<masked>", "extra": "<masked>"}]
    assert entries[3]["variables"]["input"]["env"] == "<masked>"
    assert entries[3]["variables"]["env"] == [{"key": "TOP", "value": "<masked>"}]
    # A mask is not a redaction: "<redacted>" still means that a credential reached the emulator.
    assert "<redacted>" not in text


def test_config_and_reset(api, emulator):
    status, config = control(emulator, "GET", "/config")
    startup = {
        "drain_seconds": 0,
        "worker_quota": 20,
        "templates": None,
        "discount": None,
        "profile": "full",
        "list_cap": None,
        "template_recent_use_seconds": 2,
    }
    assert (status, config) == (200, startup)
    changed = {
        "drain_seconds": 2.5,
        "worker_quota": 7,
        "templates": ["a", "b"],
        "discount": {"discountFactor": 0.8, "type": "SERVERLESS_HI_VRAM", "expirationDate": "2030-01-01T00:00:00Z"},
        "profile": "documented",
        "list_cap": 400,
        "template_recent_use_seconds": 0,
    }
    status, config = control(emulator, "POST", "/config", dict(changed, read_only_keys=["ro-key-xyz"]))
    assert (status, config) == (200, changed)
    assert control(emulator, "POST", "/config", {"worker_quota": 9})[1]["templates"] == ["a", "b"]  # merged
    api.create(templateId="a")
    emulator.set_faults(rate_429=0.5)
    assert control(emulator, "POST", "/reset") == (200, {"ok": True})
    assert emulator.config() == startup
    assert emulator.state() == EMPTY_STATE
    assert emulator.log()["requests"] == []
    assert emulator.faults()["rate_429"] == 0.0
    assert emulator.call("{ myself { id } }", api_key=emulator.read_only_key)[0] == 200  # startup keys again


@pytest.mark.parametrize(
    "payload",
    [
        {"drain_seconds": -1},
        {"worker_quota": 1.5},
        {"templates": "abc"},
        {"read_only_keys": "k"},
        {"discount": {"percent": 3}},
        {"nope": 1},
        {"api_keys": []},
        # The discount's non-null fields are required and typed; type is a DiscountType.
        {"discount": {"discountFactor": 0.8, "type": "SERVERLESS"}},
        {"discount": {"discountFactor": 0.8, "type": "PROMO", "expirationDate": "2030-01-01"}},
        {"discount": {"discountFactor": None, "type": "SERVERLESS", "expirationDate": "2030-01-01"}},
        {"discount": {"discountFactor": 0.8, "type": "SERVERLESS", "expirationDate": None}},
        {"discount": {"discountFactor": 0.8, "type": "SERVERLESS", "expirationDate": "2030-01-01", "userId": "u"}},
        {"profile": "nope"},
        {"profile": None},
        {"list_cap": -1},
        {"list_cap": 1.5},
        {"list_cap": True},
    ],
)
def test_bad_config_is_400(emulator, payload):
    status, body = control(emulator, "POST", "/config", payload)
    assert status == 400 and "error" in body
    assert emulator.config()["worker_quota"] == 20


def test_control_errors(emulator):
    assert control(emulator, "GET", "/nothing")[0] == 404
    assert control(emulator, "POST", "/state")[0] == 405
    assert control(emulator, "GET", "/reset")[0] == 405
    response = requests.post(emulator.url + "/_emulator/config", data="not json", timeout=10)
    assert response.status_code == 400
    response = requests.post(emulator.url + "/_emulator/config", data="[1]", timeout=10)
    assert response.status_code == 400
    assert emulator.log()["requests"] == []  # control paths are never logged


def test_seed_endpoints_verbatim(api, emulator):
    status, body = control(
        emulator,
        "POST",
        "/seed",
        {
            "endpoints": [
                {"id": "legacy00000001", "name": "dup", "templateId": "t", "gpuIds": "AMPERE_16", "workersMax": 25},
                {"id": "legacy00000002", "name": "dup", "templateId": "t", "gpuIds": "NOT_VALIDATED", "workersMin": 2},
                {"name": "no-id-given"},
            ]
        },
    )
    assert status == 200
    endpoints = body["endpoints"]
    assert endpoints == emulator.state()["endpoints"]
    assert [e["name"] for e in endpoints] == ["dup", "dup", "no-id-given"]
    assert endpoints[0]["workersMax"] == 25 and endpoints[0]["idleTimeout"] == 5  # defaults fill the rest
    assert len(endpoints[1]["clusters"]) == 2 and endpoints[2]["templateId"] is None
    assert len(endpoints[2]["id"]) == 14
    # The service lowering workersMax: patch one field of an existing endpoint.
    emulator.seed_endpoints([{"id": "legacy00000001", "workersMax": 1}])
    patched = emulator.state()["endpoints"][0]
    assert (patched["workersMax"], patched["name"], patched["gpuIds"]) == (1, "dup", "AMPERE_16")
    # Clusters can be given verbatim.
    emulator.seed_endpoints([{"id": "legacy00000002", "clusters": [{"id": "pod1", "desiredStatus": "EXITED"}]}])
    assert emulator.state()["endpoints"][1]["clusters"] == [{"id": "pod1", "desiredStatus": "EXITED"}]
    assert api.get("legacy00000002")["clusters"] == [{"id": "pod1", "desiredStatus": "EXITED"}]


@pytest.mark.parametrize(
    "payload",
    [
        {"endpoints": [{"id": "x"}]},  # new endpoint without a name
        {"endpoints": [{"name": "abc", "noSuchField": 1}]},
        {"endpoints": [{"name": "abc", "computeType": "CPU"}]},  # derived, never seeded
        {"endpoints": [{"name": "abc", "workersMax": "3"}]},
        {"endpoints": [{"name": "abc"}, {"name": 5}]},
        {"endpoints": [{"name": "abc", "clusters": [{"status": "x"}]}]},
        {"endpoints": "abc"},
        {"items": []},
    ],
)
def test_bad_seed_is_400_and_changes_nothing(emulator, payload):
    status, body = control(emulator, "POST", "/seed", payload)
    assert status == 400 and "error" in body
    assert emulator.state() == EMPTY_STATE


def test_state_file_round_trip(tmp_path):
    state_file = str(tmp_path / "state.json")
    with EmulatorServer(api_keys=["key-123456"], drain_seconds=0.3, state_file=state_file) as first:
        first.call(SAVE, {"input": dict(VALID, workersMin=2)})
        endpoint_id = first.state()["endpoints"][0]["id"]
        first.call(SAVE, {"input": dict(VALID, id=endpoint_id, workersMax=0)})  # 2 workers start draining
        saved = first.state()
    with open(state_file) as handle:
        on_disk = json.load(handle)
    assert [c["drainRemaining"] > 0 for c in on_disk["endpoints"][0]["clusters"]] == [True, True]
    assert "key-123456" not in json.dumps(on_disk)
    with EmulatorServer(api_keys=["key-123456"], state_file=state_file) as second:
        assert second.state() == saved
        # The drain goes on across the restart, then the workers are gone.
        time.sleep(0.35)
        assert second.state()["endpoints"][0]["clusters"] == []
        assert second.call(DELETE, {"id": endpoint_id})[2] == {"data": {"deleteEndpoint": None}}
    with EmulatorServer(api_keys=["key-123456"], state_file=state_file) as third:
        assert third.state() == EMPTY_STATE


def test_bad_state_file_is_refused(tmp_path):
    state_file = tmp_path / "state.json"
    state_file.write_text("{not json")
    with pytest.raises(ValueError):
        EmulatorServer(api_keys=["k"], state_file=str(state_file))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com", ""])
def test_only_loopback(host):
    with pytest.raises(ValueError):
        EmulatorServer(api_keys=["k"], host=host)


def test_localhost_and_ipv6_loopback():
    with EmulatorServer(api_keys=["k"], host="localhost") as server:
        assert server.url.startswith("http://127.0.0.1:")
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        server = EmulatorServer(api_keys=["k"], host="::1").start()
    except OSError:
        pytest.skip("::1 not available")
    try:
        assert server.url.startswith("http://[::1]:")
        assert requests.get(server.url + "/_emulator/health", timeout=10).json() == {"ok": True}
    finally:
        server.stop()


def test_api_key_is_required():
    with pytest.raises(ValueError):
        EmulatorServer(api_keys=[])


def test_stop_ends_kept_alive_connections(emulator_factory):
    server = emulator_factory()
    with requests.Session() as session:
        assert session.get(server.url + "/_emulator/health", timeout=10).status_code == 200
        server.stop()
        with pytest.raises(requests.exceptions.ConnectionError):
            session.get(server.url + "/_emulator/health", timeout=10)


ALL_STATE_FIELDS = [
    "id",
    "name",
    "templateId",
    "gpuIds",
    "gpuCount",
    "instanceIds",
    "idleTimeout",
    "locations",
    "networkVolumeId",
    "networkVolume",
    "scalerType",
    "scalerValue",
    "workersMin",
    "workersMax",
    "workersStandby",
    "workersPFBTarget",
    "executionTimeoutMs",
    "allowedCudaVersions",
    "type",
    "env",
    "version",
    "aiKey",
    "userId",
    "createdAt",
    "flashBootType",
    "minCudaVersion",
    "networkVolumeIds",
    "modelReferences",
    "clusters",
]
# A value for every seedable field of the full profile.
EVERY_FIELD = {
    "id": "everything0001",
    "name": "everything",
    "templateId": "tmpl",
    "gpuIds": "",
    "gpuCount": 2,
    "instanceIds": ["cpu3c-2-4", None],
    "idleTimeout": 9,
    "locations": "EU-RO-1",
    "networkVolumeId": "vol-a",
    "networkVolume": {"id": "vol-a", "name": "data", "size": 100, "dataCenterId": "EU-RO-1"},
    "scalerType": "REQUEST_COUNT",
    "scalerValue": 2,
    "workersMin": 1,
    "workersMax": 4,
    "workersStandby": 3,
    "workersPFBTarget": 1,
    "executionTimeoutMs": 0,
    "allowedCudaVersions": "12.4,12.8",
    "type": "LB",
    "env": [{"key": "A", "value": "1"}, None, {"key": None, "value": None}],
    "version": 7,
    "aiKey": "ai-key",
    "userId": "another-user",
    "createdAt": "2023-03-03T03:03:03Z",
    "flashBootType": "FLASHBOOT",
    "minCudaVersion": "12.4",
    "networkVolumeIds": [{"networkVolumeId": "vol-a", "dataCenterId": "EU-RO-1"}, None],
    "modelReferences": ["ref", None],
    "clusters": [
        {
            "id": "w1",
            "desiredStatus": "PAUSED",
            "lastStatusChange": "Paused by user",
            "machineId": "m1",
            "createdAt": "2023-03-03",
            "version": 6,
            "imageName": "registry.example/llm:1",
            "templateId": "tmpl",
            "lastStartedAt": "2023-03-04",
            "uptimeSeconds": 60,
            "slsVersion": 5,
            "gpuCount": 2,
            "networkVolumeId": "vol-a",
            # The emulator's own: dumped and seeded, never served.
            "state": "throttled",
            "image": "registry.example/llm:1",
            "pool": "AMPERE_48",
            "dataCenter": "EU-RO-1",
        },
        None,
    ],
}
# What GraphQL serves of the seeded workers: every Cluster field, not the emulator's own.
SERVED_CLUSTERS = [dict((k, v) for k, v in EVERY_FIELD["clusters"][0].items() if k not in ("state", "image", "pool", "dataCenter")), None]
FULL_QUERY = (
    "{ myself { endpoints { id name templateId gpuIds gpuCount instanceIds computeType idleTimeout locations "
    "networkVolumeId networkVolume { id name size dataCenterId } scalerType scalerValue workersMin workersMax "
    "workersStandby workersPFBTarget executionTimeoutMs allowedCudaVersions type env { key value } version aiKey "
    "userId createdAt flashBootType minCudaVersion networkVolumeIds { networkVolumeId dataCenterId } "
    "modelReferences clusters { id desiredStatus lastStatusChange machineId createdAt version imageName templateId "
    "lastStartedAt uptimeSeconds slsVersion gpuCount networkVolumeId } } } }"
)


def test_seed_every_field_and_read_it_back(emulator):
    emulator.seed_endpoints([EVERY_FIELD])
    status, state = control(emulator, "GET", "/state?fields=all")
    assert status == 200 and state == emulator.state(fields="all")
    assert list(state["endpoints"][0]) == ALL_STATE_FIELDS
    assert state["endpoints"][0] == EVERY_FIELD
    status, _headers, body = emulator.call(FULL_QUERY)
    assert status == 200 and "errors" not in body, body
    assert body["data"]["myself"]["endpoints"] == [dict(EVERY_FIELD, computeType="CPU", clusters=SERVED_CLUSTERS)]
    # The default view keeps the documented fields.
    assert list(emulator.state()["endpoints"][0]) == STATE_FIELDS
    assert control(emulator, "GET", "/state?fields=none")[0] == 400
    assert control(emulator, "GET", "/state?other=1")[0] == 400


def test_seed_defaults_for_a_new_entry(emulator):
    emulator.seed_endpoints([{"name": "defaults"}])
    stored = emulator.state(fields="all")["endpoints"][0]
    assert dict((k, v) for k, v in stored.items() if k not in ("id", "name")) == {
        "templateId": None,
        "gpuIds": None,
        "gpuCount": 1,
        "instanceIds": None,
        "idleTimeout": 5,
        "locations": None,
        "networkVolumeId": None,
        "networkVolume": None,
        "scalerType": "QUEUE_DELAY",
        "scalerValue": 4,
        "workersMin": 0,
        "workersMax": 3,
        "workersStandby": 0,
        "workersPFBTarget": None,
        "executionTimeoutMs": 600000,
        "allowedCudaVersions": None,
        "type": "QB",
        "env": None,
        "version": 1,
        "aiKey": None,
        "userId": "user_emulator",
        "createdAt": "2024-01-01T00:00:00.000Z",
        "flashBootType": "OFF",
        "minCudaVersion": None,
        "networkVolumeIds": None,
        "modelReferences": None,
        "clusters": [],
    }


def test_seeded_clusters_get_machine_ids_and_defaults(emulator):
    emulator.seed_endpoints([{"id": "workers0000001", "name": "workers", "clusters": [{"id": "w1"}, {"machineId": None}]}])
    clusters = emulator.state(fields="all")["endpoints"][0]["clusters"]
    assert clusters[0] == {
        "id": "w1",
        "desiredStatus": "RUNNING",
        "lastStatusChange": None,
        "machineId": "machine-w1",
        "createdAt": "2024-01-01T00:00:00.000Z",
        "version": 1,
        "imageName": None,
        "templateId": None,
        "lastStartedAt": None,
        "uptimeSeconds": None,
        "slsVersion": None,
        "gpuCount": 1,
        "networkVolumeId": None,
        "state": "ready",
        "image": None,
        "pool": None,
        "dataCenter": None,
    }
    assert len(clusters[1]["id"]) == 14 and clusters[1]["machineId"] == "machine-" + clusters[1]["id"]


@pytest.mark.parametrize(
    "entry",
    [
        {"name": "abc", "flashBootType": "ON"},
        {"name": "abc", "flashBootType": 1},
        {"name": "abc", "instanceIds": "cpu3c-2-4"},
        {"name": "abc", "instanceIds": [1]},
        {"name": "abc", "modelReferences": {"a": 1}},
        {"name": "abc", "env": [{"key": "A", "val": "1"}]},
        {"name": "abc", "env": [{"key": 1, "value": "1"}]},
        {"name": "abc", "env": {"A": "1"}},
        {"name": "abc", "networkVolumeIds": [{"id": "vol"}]},
        {"name": "abc", "networkVolumeIds": ["vol"]},
        {"name": "abc", "networkVolume": {"size": "100"}},
        {"name": "abc", "networkVolume": {"region": "EU"}},
        {"name": "abc", "networkVolume": "vol"},
        {"name": "abc", "gpuCount": "1"},
        {"name": "abc", "version": True},
        {"name": "abc", "workersMax": 2**31},
        {"name": "abc", "clusters": [{"id": "w", "version": -(2**31) - 1}]},
        {"name": "abc", "type": 1},
        {"name": "abc", "clusters": [{"id": "w", "desiredStatus": "STOPPED"}]},
        {"name": "abc", "clusters": [{"id": "w", "desiredStatus": None}]},
        {"name": "abc", "clusters": [{"id": "w", "machineId": 5}]},
        {"name": "abc", "clusters": [{"id": "w", "version": "1"}]},
        {"name": "abc", "clusters": [{"id": "w", "drainRemaining": "1"}]},
        {"name": "abc", "clusters": None},
        {"name": "abc", "computeType": "GPU"},
        {"id": 5, "name": "abc"},
        "not an object",
    ],
)
def test_bad_full_field_seeds_are_400_and_change_nothing(emulator, entry):
    status, body = control(emulator, "POST", "/seed", {"endpoints": [{"name": "fine"}, entry]})
    assert status == 400 and "error" in body, body
    assert emulator.state() == EMPTY_STATE


def test_seed_patches_extra_fields_of_an_existing_endpoint(api, emulator):
    endpoint = api.create(**VALID)
    emulator.seed_endpoints([{"id": endpoint["id"], "type": "LB", "workersStandby": 2, "env": [{"key": "K", "value": "v"}]}])
    stored = emulator.state(fields="all")["endpoints"][0]
    assert (stored["type"], stored["workersStandby"], stored["env"], stored["name"]) == ("LB", 2, [{"key": "K", "value": "v"}], "control")


def test_state_file_keeps_every_field_and_the_nulls(tmp_path):
    state_file = str(tmp_path / "state.json")
    with EmulatorServer(api_keys=["key-123456"], state_file=state_file) as first:
        first.seed_endpoints([EVERY_FIELD, None, {"id": None, "name": None}])
        saved = first.state(fields="all")
    with open(state_file) as handle:
        on_disk = json.load(handle)
    assert on_disk["endpoints"][1] is None and on_disk["endpoints"][2]["id"] is None
    with EmulatorServer(api_keys=["key-123456"], state_file=state_file) as second:
        assert second.state(fields="all") == saved
        status, _headers, body = second.call("{ myself { endpoints { id name type env { key } } } }", api_key="key-123456")
        assert status == 200 and body["data"]["myself"]["endpoints"] == [
            {"id": "everything0001", "name": "everything", "type": "LB", "env": [{"key": "A"}, None, {"key": None}]},
            None,
            {"id": None, "name": None, "type": "QB", "env": None},
        ]


def test_a_full_state_dump_is_a_valid_state_file(tmp_path):
    with EmulatorServer(api_keys=["key-123456"]) as first:
        first.seed_endpoints([EVERY_FIELD, None])
        dump = first.state(fields="all")
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(dump))
    with EmulatorServer(api_keys=["key-123456"], state_file=str(state_file)) as second:
        assert second.state(fields="all") == dump
