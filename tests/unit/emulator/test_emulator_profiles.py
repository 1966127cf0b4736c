# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Profiles (full, documented) and how they are chosen; nullability and the
# served enums; the list cap; executed requests vs request errors.

import json

import pytest
import requests

from ansible_collections.tensorone.cloud.tests.emulator import CLUSTER_STATUSES, EmulatorServer
from ansible_collections.tensorone.cloud.tests.unit.emulator.accounts import EMPTY_STATE

VALID = {"name": "profiles", "templateId": "tmpl", "gpuIds": "AMPERE_16"}
SAVE = "mutation Save($input: EndpointInput!) { saveEndpoint(input: $input) { id } }"
LIST = "{ myself { endpoints { id name } } }"
# Endpoint fields only the full profile has, with a sub-selection where needed.
FULL_ONLY_SELECTIONS = [
    "gpuCount",
    "instanceIds",
    "computeType",
    "networkVolume { id }",
    "workersStandby",
    "workersPFBTarget",
    "executionTimeoutMs",
    "allowedCudaVersions",
    "type",
    "env { key value }",
    "version",
    "aiKey",
    "userId",
    "createdAt",
    "flashBootType",
    "minCudaVersion",
    "networkVolumeIds { networkVolumeId }",
    "modelReferences",
]
# EndpointInput fields only the full profile has, each with a valid value.
FULL_ONLY_INPUTS = {
    "gpuCount": 1,
    "instanceIds": ["cpu3c-2-4"],
    "workersPFBTarget": 0,
    "executionTimeoutMs": 600000,
    "allowedCudaVersions": "12.4",
    "type": "QB",
    "env": [{"key": "A", "value": "1"}],
    "bindEndpoint": False,
    "hubReleaseId": "rel",
    "modelName": "m",
    "flashBootType": "OFF",
    "minCudaVersion": "12.4",
    "networkVolumeIds": [{"networkVolumeId": "vol"}],
    "modelReferences": ["ref"],
}
INLINE = {
    "gpuCount": "1",
    "instanceIds": '["cpu3c-2-4"]',
    "workersPFBTarget": "0",
    "executionTimeoutMs": "600000",
    "allowedCudaVersions": '"12.4"',
    "type": '"QB"',
    "env": '[{key: "A", value: "1"}]',
    "bindEndpoint": "false",
    "hubReleaseId": '"rel"',
    "modelName": '"m"',
    "flashBootType": "OFF",
    "minCudaVersion": '"12.4"',
    "networkVolumeIds": '[{networkVolumeId: "vol"}]',
    "modelReferences": '["ref"]',
}


def control(server, method, path, payload=None):
    response = requests.request(method, server.url + "/_emulator" + path, data=None if payload is None else json.dumps(payload), timeout=10)
    return response.status_code, response.json()


def assert_validation_error_naming(body, status, field):
    assert status == 400 and set(body) == {"errors"}, body
    assert "'%s'" % field in body["errors"][0]["message"], body


# -- the documented profile -------------------------------------------------------------------


@pytest.mark.parametrize("selection", FULL_ONLY_SELECTIONS)
def test_documented_profile_refuses_each_extra_endpoint_field(emulator_factory, selection):
    server = emulator_factory(profile="documented")
    field = selection.split()[0]
    for query in (
        "{ myself { endpoints { id %s } } }" % selection,
        "mutation Save($input: EndpointInput!) { saveEndpoint(input: $input) { id %s } }" % selection,
    ):
        status, _headers, body = server.call(query, {"input": VALID} if "mutation" in query else None)
        assert_validation_error_naming(body, status, field)
        assert "Cannot query field" in body["errors"][0]["message"]
    assert server.state() == EMPTY_STATE
    # The full profile serves it.
    assert emulator_factory().call("{ myself { endpoints { id %s } } }" % selection)[0] == 200


@pytest.mark.parametrize("field", sorted(FULL_ONLY_INPUTS))
def test_documented_profile_refuses_each_extra_input_field(emulator_factory, field):
    server = emulator_factory(profile="documented")
    status, _headers, body = server.call(SAVE, {"input": dict(VALID, **{field: FULL_ONLY_INPUTS[field]})})
    assert_validation_error_naming(body, status, field)
    inline = 'mutation { saveEndpoint(input: {name: "abc", templateId: "t", gpuIds: "AMPERE_16", %s: %s}) { id } }' % (field, INLINE[field])
    status, _headers, body = server.call(inline)
    assert_validation_error_naming(body, status, field)
    assert server.state() == EMPTY_STATE
    assert server.log()["counters"]["applied_mutations"] == 0
    # The full profile takes the same requests (the inline one needs a new name), with the volume they name.
    full = emulator_factory()
    full.seed(networkVolumes=[{"id": "vol", "name": "vol", "size": 10, "dataCenterId": "EU-RO-1"}])
    for query, variables in ((SAVE, {"input": dict(VALID, **{field: FULL_ONLY_INPUTS[field]})}), (inline, None)):
        status, _headers, body = full.call(query, variables)
        assert status == 200 and "errors" not in body, body


@pytest.mark.parametrize(
    "selection, field",
    [
        ("serverlessDiscount { userId }", "userId"),
        ("serverlessDiscount { activeWorkers }", "activeWorkers"),
        ("endpoints { clusters { machineId } }", "machineId"),
        ("endpoints { clusters { version } }", "version"),
    ],
)
def test_documented_profile_refuses_extra_discount_and_cluster_fields(emulator_factory, selection, field):
    status, _headers, body = emulator_factory(profile="documented").call("{ myself { %s } }" % selection)
    assert_validation_error_naming(body, status, field)


def test_both_profiles_share_the_store_and_the_replace_rule(emulator):
    """What a documented-only client does to fields it cannot see: the update resets them."""
    status, _headers, body = emulator.call(SAVE, {"input": dict(VALID, gpuCount=4, flashBootType="FLASHBOOT")})
    endpoint_id = body["data"]["saveEndpoint"]["id"]
    emulator.configure(profile="documented")
    assert emulator.call("{ myself { endpoints { gpuCount } } }")[0] == 400
    assert emulator.call(SAVE, {"input": dict(VALID, id=endpoint_id, idleTimeout=30)})[0] == 200
    emulator.configure(profile="full")
    status, _headers, body = emulator.call("{ myself { endpoints { idleTimeout gpuCount flashBootType } } }")
    assert body["data"]["myself"]["endpoints"] == [{"idleTimeout": 30, "gpuCount": 1, "flashBootType": "OFF"}]


def test_profile_switch_through_config_and_reset(emulator):
    assert control(emulator, "GET", "/config")[1]["profile"] == "full"
    status, config = control(emulator, "POST", "/config", {"profile": "documented"})
    assert status == 200 and config["profile"] == "documented"
    assert control(emulator, "GET", "/config")[1]["profile"] == "documented"
    assert emulator.call("{ myself { endpoints { gpuCount } } }")[0] == 400
    assert emulator.call("{ myself { endpoints { workersMax } } }")[0] == 200
    assert control(emulator, "POST", "/config", {"profile": "other"})[0] == 400
    assert emulator.config()["profile"] == "documented"
    assert control(emulator, "POST", "/reset") == (200, {"ok": True})
    assert emulator.config()["profile"] == "full"
    assert emulator.call("{ myself { endpoints { gpuCount } } }")[0] == 200


def test_reset_returns_to_a_documented_startup_profile(emulator_factory):
    server = emulator_factory(profile="documented")
    assert server.config()["profile"] == "documented"
    server.configure(profile="full")
    assert server.call("{ myself { endpoints { gpuCount } } }")[0] == 200
    server.reset()
    assert server.config()["profile"] == "documented"
    assert server.call("{ myself { endpoints { gpuCount } } }")[0] == 400


def test_unknown_profile_is_refused_at_startup():
    with pytest.raises(ValueError, match="profile"):
        EmulatorServer(api_keys=["k"], profile="real")


# -- nullability and null items ---------------------------------------------------------------


def test_null_ids_names_and_null_items_are_served(emulator):
    emulator.seed_endpoints(
        [
            {"id": "first000000001", "name": "first", "clusters": [{"id": "w1"}, None, {"id": "w2", "desiredStatus": "EXITED"}]},
            None,
            {"id": None, "name": "no-id"},
            {"id": "noname00000001", "name": None},
            None,
        ]
    )
    status, _headers, body = emulator.call("{ myself { endpoints { id name clusters { id desiredStatus } } } }")
    assert status == 200 and "errors" not in body
    assert body["data"]["myself"]["endpoints"] == [
        {"id": "first000000001", "name": "first", "clusters": [{"id": "w1", "desiredStatus": "RUNNING"}, None, {"id": "w2", "desiredStatus": "EXITED"}]},
        None,
        {"id": None, "name": "no-id", "clusters": []},
        {"id": "noname00000001", "name": None, "clusters": []},
        None,
    ]
    status, _headers, body = emulator.call('{ myself { endpoint(id: "noname00000001") { id name } } }')
    assert body == {"data": {"myself": {"endpoint": {"id": "noname00000001", "name": None}}}}
    # The dump shows the nulls too, in both views.
    for fields in ("documented", "all"):
        endpoints = emulator.state(fields)["endpoints"]
        assert [None if e is None else (e["id"], e["name"]) for e in endpoints] == [
            ("first000000001", "first"),
            None,
            (None, "no-id"),
            ("noname00000001", None),
            None,
        ]
        assert endpoints[0]["clusters"][1] is None


def test_an_endpoint_without_id_is_kept_apart_and_counts(emulator):
    emulator.seed_endpoints([{"id": None, "name": "taken", "workersMax": 18}, {"id": None, "name": "other"}])
    status, _headers, body = emulator.call(SAVE, {"input": dict(VALID, name="taken")})
    assert body["errors"][0]["message"] == 'An endpoint named "taken" already exists.'
    status, _headers, body = emulator.call(SAVE, {"input": dict(VALID, workersMax=3)})
    assert "maximum limit of (20)" in body["errors"][0]["message"]
    assert [e["name"] for e in emulator.state()["endpoints"]] == ["taken", "other"]


def test_null_items_survive_saves_and_deletes(emulator):
    emulator.seed_endpoints([None, {"id": "deletable00001", "name": "deletable", "workersMax": 0}, None])
    assert emulator.call(SAVE, {"input": VALID})[0] == 200
    assert emulator.call('mutation { deleteEndpoint(id: "deletable00001") }')[2] == {"data": {"deleteEndpoint": None}}
    endpoints = emulator.call(LIST)[2]["data"]["myself"]["endpoints"]
    assert [None if e is None else e["name"] for e in endpoints] == [None, None, "profiles"]


# -- enums served -------------------------------------------------------------------------------


def test_every_cluster_status_is_served(emulator):
    clusters = [{"id": "w-%s" % status.lower(), "desiredStatus": status} for status in CLUSTER_STATUSES]
    emulator.seed_endpoints([{"id": "statuses000001", "name": "statuses", "clusters": clusters}])
    for profile in ("full", "documented"):
        emulator.configure(profile=profile)
        status, _headers, body = emulator.call("{ myself { endpoints { clusters { id desiredStatus } } } }")
        assert status == 200 and body["data"]["myself"]["endpoints"][0]["clusters"] == clusters


@pytest.mark.parametrize("discount_type", ["SERVERLESS", "SERVERLESS_LO_VRAM", "SERVERLESS_HI_VRAM"])
@pytest.mark.parametrize("profile", ["full", "documented"])
def test_every_discount_type_is_served(emulator_factory, discount_type, profile):
    discount = {"discountFactor": 0.75, "type": discount_type, "expirationDate": "2030-06-30T00:00:00Z"}
    server = emulator_factory(profile=profile, discount=discount)
    status, _headers, body = server.call("{ myself { serverlessDiscount { discountFactor type expirationDate } } }")
    assert (status, body) == (200, {"data": {"myself": {"serverlessDiscount": discount}}})


def test_full_discount_has_the_emulator_user_and_the_optional_fields(emulator):
    emulator.configure(discount={"discountFactor": 0.5, "type": "SERVERLESS", "expirationDate": "2031-01-01", "activeWorkers": 4})
    status, _headers, body = emulator.call(
        "{ myself { id serverlessDiscount { userId type discountFactor expirationDate activeDiscountFactor activeWorkers } } }"
    )
    assert body["data"]["myself"] == {
        "id": "user_emulator",
        "serverlessDiscount": {
            "userId": "user_emulator",
            "type": "SERVERLESS",
            "discountFactor": 0.5,
            "expirationDate": "2031-01-01",
            "activeDiscountFactor": None,
            "activeWorkers": 4,
        },
    }
    emulator.configure(discount=None)
    assert emulator.call("{ myself { serverlessDiscount { type } } }")[2] == {"data": {"myself": {"serverlessDiscount": None}}}


# -- list cap -----------------------------------------------------------------------------------


def seed_names(server, count):
    server.seed_endpoints([{"id": "capped%08d" % number, "name": "capped-%d" % number} for number in range(count)])


def test_list_cap_returns_only_the_first_rows(emulator):
    seed_names(emulator, 5)
    assert control(emulator, "GET", "/config")[1]["list_cap"] is None
    assert len(emulator.call(LIST)[2]["data"]["myself"]["endpoints"]) == 5
    status, config = control(emulator, "POST", "/config", {"list_cap": 3})
    assert status == 200 and config["list_cap"] == 3
    endpoints = emulator.call(LIST)[2]["data"]["myself"]["endpoints"]
    assert [e["name"] for e in endpoints] == ["capped-0", "capped-1", "capped-2"]
    # Only the list is capped: the rest still exists and is reachable by id.
    assert len(emulator.state()["endpoints"]) == 5
    assert emulator.call('{ myself { endpoint(id: "capped00000004") { name } } }')[2]["data"]["myself"]["endpoint"] == {"name": "capped-4"}
    emulator.configure(list_cap=0)
    assert emulator.call(LIST)[2]["data"]["myself"]["endpoints"] == []
    emulator.configure(list_cap=None)
    assert len(emulator.call(LIST)[2]["data"]["myself"]["endpoints"]) == 5


def test_list_cap_at_startup_and_after_reset(emulator_factory):
    server = emulator_factory(list_cap=2)
    seed_names(server, 4)
    assert len(server.call(LIST)[2]["data"]["myself"]["endpoints"]) == 2
    server.configure(list_cap=10)
    server.reset()
    assert server.config()["list_cap"] == 2
    with pytest.raises(ValueError):
        EmulatorServer(api_keys=["k"], list_cap=-1)


# -- executed requests vs request errors -------------------------------------------------------


def test_a_refused_save_is_an_executed_request(emulator):
    status, _headers, body = emulator.call(SAVE, {"input": dict(VALID, scalerValue=0)})
    assert (status, body["data"]) == (200, None)
    assert body["errors"][0]["message"] == "Scaler value cannot be less than 1."
    assert body["errors"][0]["path"] == ["saveEndpoint"]
    # A request error nulls nothing: there is no data key at all, and HTTP 400.
    status, _headers, body = emulator.call(SAVE, {"input": dict(VALID, scalerValue="0")})
    assert status == 400 and set(body) == {"errors"}
    entries = emulator.log()["requests"]
    assert [(e["status"], e["mutation_kind"], e["applied"]) for e in entries] == [(200, "create", False), (400, "create", False)]


def test_a_refused_save_nulls_data_even_beside_other_fields(emulator):
    # Two root fields: saveEndpoint's error nulls the whole data (it is non-null).
    status, _headers, body = emulator.call('mutation { ok: deleteEndpoint(id: "nothing") saveEndpoint(input: {name: "ab", gpuIds: "AMPERE_16"}) { id } }')
    assert status == 200 and body["data"] is None
    assert [e["message"] for e in body["errors"]] == ["Endpoint not found", "name must be between 3 and 191 characters."]
