# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Network volumes (CONTRACT.md, "Network volumes"): ids, names that need not be
# unique, required fields and size bounds, the grow-only size, the fixed data
# centre, rename, delete (refused while an endpoint names the volume), the
# endpoints' attach rules, the request log, faults, read-only keys, seeding,
# the state file and the documented profile.

import re

import pytest
import requests

from ansible_collections.tensorone.cloud.tests.emulator import EmulatorServer
from ansible_collections.tensorone.cloud.tests.unit.emulator.accounts import EMPTY_STATE

VOLUME = "id name size dataCenterId dataCenter { id location } storageClusterId"
CREATE = "mutation Create($input: CreateNetworkVolumeInput!) { createNetworkVolume(input: $input) { %s } }" % VOLUME
UPDATE = "mutation Update($input: UpdateNetworkVolumeInput!) { updateNetworkVolume(input: $input) { %s } }" % VOLUME
DELETE = "mutation Delete($input: DeleteNetworkVolumeInput!) { deleteNetworkVolume(input: $input) }"
LIST = "query Volumes { myself { networkVolumes { id name size dataCenterId } } }"
SAVE_ENDPOINT = "mutation Save($input: EndpointInput!) { saveEndpoint(input: $input) { id networkVolumeId networkVolumeIds { networkVolumeId dataCenterId } } }"

MODELS = {"name": "models", "size": 50, "dataCenterId": "EU-RO-1"}
ENDPOINT = {"name": "uses-volumes", "templateId": "tpl", "gpuIds": "AMPERE_48"}
VOLUME_ID = re.compile(r"^[a-z0-9]{10}$")
KINDS = ("network_volume_create", "network_volume_update", "network_volume_delete")


def data(emulator, query, variables=None, api_key=None):
    status, _headers, body = emulator.call(query, variables, api_key=api_key)
    assert status == 200 and "errors" not in body, body
    return body["data"]


def refusal(emulator, query, variables, field):
    """The one business error of a refused mutation: HTTP 200, the (nullable) field null."""
    status, _headers, body = emulator.call(query, variables)
    assert status == 200 and body["data"] == {field: None} and len(body["errors"]) == 1, body
    assert body["errors"][0]["path"] == [field], body
    return body["errors"][0]["message"]


def save_error(emulator, **fields):
    """saveEndpoint is non-null: its refusal nulls the whole data."""
    status, _headers, body = emulator.call(SAVE_ENDPOINT, {"input": dict(ENDPOINT, **fields)})
    assert status == 200 and body["data"] is None and len(body["errors"]) == 1, body
    return body["errors"][0]["message"]


def create(emulator, **fields):
    return data(emulator, CREATE, {"input": dict(MODELS, **fields)})["createNetworkVolume"]


def save_endpoint(emulator, **fields):
    return data(emulator, SAVE_ENDPOINT, {"input": dict(ENDPOINT, **fields)})["saveEndpoint"]


def test_create_serves_the_volume_with_its_data_centre(emulator):
    created = create(emulator)
    assert VOLUME_ID.match(created["id"])
    assert created == {
        "id": created["id"],
        "name": "models",
        "size": 50,
        "dataCenterId": "EU-RO-1",
        "dataCenter": {"id": "EU-RO-1", "location": "Romania"},
        "storageClusterId": None,
    }
    assert data(emulator, LIST)["myself"]["networkVolumes"] == [{"id": created["id"], "name": "models", "size": 50, "dataCenterId": "EU-RO-1"}]
    stored = emulator.state()["networkVolumes"]
    assert stored == [{"id": created["id"], "name": "models", "size": 50, "dataCenterId": "EU-RO-1", "storageClusterId": None}]
    assert emulator.state(fields="all")["networkVolumes"] == stored


@pytest.mark.parametrize(
    "fields, message",
    [
        (dict(name=None), "name is required."),
        (dict(name=" "), "name must not be empty."),
        (dict(size=None), "size is required."),
        (dict(size=9), "size must be between 10 and 4000 GB."),
        (dict(size=4001), "size must be between 10 and 4000 GB."),
        (dict(dataCenterId=None), "dataCenterId is required."),
        (dict(dataCenterId="EU-XX-9"), 'dataCenterId "EU-XX-9" is not a data centre.'),
        (dict(dataCenterId="AP-IN-1"), 'Data centre "AP-IN-1" does not support network volumes.'),
        (dict(userId="user_emulator"), "userId cannot be set: a volume belongs to the account of the key."),
    ],
)
def test_create_refusals(emulator, fields, message):
    assert refusal(emulator, CREATE, {"input": dict(MODELS, **fields)}, "createNetworkVolume") == message
    assert emulator.state() == EMPTY_STATE


def test_the_size_bounds_are_accepted(emulator):
    assert [create(emulator, size=size)["size"] for size in (10, 4000)] == [10, 4000]


def test_names_are_not_unique(emulator):
    first, second = create(emulator), create(emulator, dataCenterId="US-TX-3")
    assert first["id"] != second["id"] and first["name"] == second["name"] == "models"
    assert [(v["name"], v["dataCenterId"]) for v in emulator.state()["networkVolumes"]] == [("models", "EU-RO-1"), ("models", "US-TX-3")]


def test_an_update_renames_and_grows_and_keeps_the_data_centre(emulator):
    created = create(emulator)
    updated = data(emulator, UPDATE, {"input": {"id": created["id"], "name": "weights", "size": 120}})["updateNetworkVolume"]
    assert updated == dict(created, name="weights", size=120)
    assert data(emulator, UPDATE, {"input": {"id": created["id"], "name": "weights", "size": 120}})["updateNetworkVolume"] == updated  # the same size
    # the input has no dataCenterId: the data centre cannot be changed
    status, _headers, body = emulator.call(UPDATE, {"input": {"id": created["id"], "name": "weights", "size": 120, "dataCenterId": "US-TX-3"}})
    assert status == 400 and "data" not in body and "dataCenterId" in body["errors"][0]["message"]
    assert emulator.state()["networkVolumes"][0]["dataCenterId"] == "EU-RO-1"


@pytest.mark.parametrize(
    "fields, message",
    [
        (dict(id="novolume01"), "Network volume not found"),
        (dict(size=49), "size cannot be decreased: the volume has 50 GB."),
        (dict(size=4001), "size must be between 10 and 4000 GB."),
        (dict(size=None), "size is required."),
        (dict(name=None), "name is required."),
        (dict(name=""), "name must not be empty."),
    ],
)
def test_update_refusals(emulator, fields, message):
    created = create(emulator)
    before = emulator.state()
    update = dict({"id": created["id"], "name": "models", "size": 50}, **fields)
    assert refusal(emulator, UPDATE, {"input": update}, "updateNetworkVolume") == message
    assert emulator.state() == before


def test_delete_answers_null_and_is_refused_while_an_endpoint_names_the_volume(emulator):
    first, second = create(emulator), create(emulator, dataCenterId="US-TX-3")
    assert refusal(emulator, DELETE, {"input": {"id": "novolume01"}}, "deleteNetworkVolume") == "Network volume not found"
    single = save_endpoint(emulator, networkVolumeId=first["id"])
    listed = save_endpoint(emulator, name="lists-both", networkVolumeIds=[{"networkVolumeId": first["id"]}, {"networkVolumeId": second["id"]}])
    in_use = 'Network volume "%s" is in use by %d endpoint(s) and cannot be deleted.'
    assert refusal(emulator, DELETE, {"input": {"id": first["id"]}}, "deleteNetworkVolume") == in_use % (first["id"], 2)
    assert refusal(emulator, DELETE, {"input": {"id": second["id"]}}, "deleteNetworkVolume") == in_use % (second["id"], 1)
    save_endpoint(emulator, id=listed["id"], name="lists-both", networkVolumeIds=[])
    assert data(emulator, DELETE, {"input": {"id": second["id"]}}) == {"deleteNetworkVolume": None}
    # Void: no selection set
    status, _headers, body = emulator.call("mutation($i: DeleteNetworkVolumeInput!) { deleteNetworkVolume(input: $i) { id } }", {"i": {"id": first["id"]}})
    assert status == 400 and "data" not in body
    save_endpoint(emulator, id=single["id"], networkVolumeId="")
    assert data(emulator, DELETE, {"input": {"id": first["id"]}}) == {"deleteNetworkVolume": None}
    assert emulator.state()["networkVolumes"] == []


def test_an_endpoint_names_only_the_accounts_volumes(emulator):
    volume = create(emulator)
    assert save_error(emulator, networkVolumeId="novolume01") == 'networkVolumeId "novolume01" is not a network volume of the account.'
    assert save_error(emulator, networkVolumeIds=[{"networkVolumeId": volume["id"]}, {"networkVolumeId": "novolume02"}]) == (
        'networkVolumeIds "novolume02" is not a network volume of the account.'
    )
    # networkVolumeIds overrides networkVolumeId, which must still name a volume of the account
    assert save_error(emulator, networkVolumeId="novolume01", networkVolumeIds=[{"networkVolumeId": volume["id"]}]) == (
        'networkVolumeId "novolume01" is not a network volume of the account.'
    )
    assert emulator.state()["endpoints"] == []
    endpoint = save_endpoint(emulator, networkVolumeIds=[{"networkVolumeId": volume["id"]}])
    assert endpoint["networkVolumeIds"] == [{"networkVolumeId": volume["id"], "dataCenterId": "EU-RO-1"}]


def test_at_most_one_attached_volume_per_data_centre(emulator):
    romania, romania_too, texas = create(emulator), create(emulator, name="other"), create(emulator, dataCenterId="US-TX-3")
    message = save_error(
        emulator, networkVolumeIds=[{"networkVolumeId": romania["id"]}, {"networkVolumeId": texas["id"]}, {"networkVolumeId": romania_too["id"]}]
    )
    assert message == 'networkVolumeIds has two volumes in EU-RO-1 ("%s", "%s"): an endpoint takes at most one per data centre.' % (
        romania["id"],
        romania_too["id"],
    )
    # networkVolumeId beside a non-empty networkVolumeIds is not attached: no conflict
    endpoint = save_endpoint(
        emulator, networkVolumeId=romania_too["id"], networkVolumeIds=[{"networkVolumeId": romania["id"]}, {"networkVolumeId": texas["id"]}]
    )
    assert [item["dataCenterId"] for item in endpoint["networkVolumeIds"]] == ["EU-RO-1", "US-TX-3"]


@pytest.mark.parametrize("locations", [None, "", "EU-RO-1", "RO", "US,RO", "US-TX-3,EU-RO-1"])
def test_locations_that_allow_the_volumes_data_centre(emulator, locations):
    volume = create(emulator)
    endpoint = save_endpoint(emulator, networkVolumeId=volume["id"], locations=locations)
    assert endpoint["networkVolumeId"] == volume["id"]


def test_a_volume_pins_the_workers_to_its_data_centre(emulator):
    romania, texas = create(emulator), create(emulator, dataCenterId="US-TX-3")
    pinned = 'Network volume "%s" is in %s, which locations "%s" does not include: a network volume pins the endpoint\'s workers to its data centre.'
    assert save_error(emulator, networkVolumeId=romania["id"], locations="US") == pinned % (romania["id"], "EU-RO-1", "US")
    assert save_error(emulator, networkVolumeId=romania["id"], locations="EU-CZ-1,CZ") == pinned % (romania["id"], "EU-RO-1", "EU-CZ-1,CZ")
    both = [{"networkVolumeId": romania["id"]}, {"networkVolumeId": texas["id"]}]
    assert save_error(emulator, networkVolumeIds=both, locations="RO") == pinned % (texas["id"], "US-TX-3", "RO")
    assert save_endpoint(emulator, networkVolumeIds=both, locations="RO,US")["networkVolumeIds"][1]["dataCenterId"] == "US-TX-3"
    # only attached volumes pin: networkVolumeId beside networkVolumeIds does not
    assert save_endpoint(emulator, name="texas-only", networkVolumeId=romania["id"], networkVolumeIds=[{"networkVolumeId": texas["id"]}], locations="US")


def test_an_update_that_moves_the_endpoint_away_from_its_volume_is_refused(emulator):
    volume = create(emulator)
    endpoint = save_endpoint(emulator, networkVolumeId=volume["id"], locations="EU-RO-1")
    assert "pins the endpoint's workers" in save_error(emulator, id=endpoint["id"], networkVolumeId=volume["id"], locations="US-TX-3")
    assert emulator.state()["endpoints"][0]["locations"] == "EU-RO-1"
    # an update without the volume (a full replace) may go anywhere
    assert save_endpoint(emulator, id=endpoint["id"], locations="US-TX-3")["networkVolumeId"] is None


def test_kinds_counters_and_read_only_keys(emulator):
    created = create(emulator)
    data(emulator, UPDATE, {"input": {"id": created["id"], "name": "models", "size": 60}})
    refusal(emulator, UPDATE, {"input": {"id": created["id"], "name": "models", "size": 10}}, "updateNetworkVolume")
    before = emulator.state()
    for query, variables, field in (
        (CREATE, {"input": MODELS}, "createNetworkVolume"),
        (UPDATE, {"input": {"id": created["id"], "name": "read-only", "size": 70}}, "updateNetworkVolume"),
        (DELETE, {"input": {"id": created["id"]}}, "deleteNetworkVolume"),
    ):
        status, _headers, body = emulator.call(query, variables, api_key=emulator.read_only_key)
        assert status == 200 and body["data"] == {field: None} and body["errors"][0]["message"] == "Unauthorized"
    assert emulator.state() == before
    data(emulator, DELETE, {"input": {"id": created["id"]}})
    entries = emulator.log()["requests"]
    assert [(e["mutation_kind"], e["applied"]) for e in entries] == [
        ("network_volume_create", True),
        ("network_volume_update", True),
        ("network_volume_update", False),
        ("network_volume_create", False),
        ("network_volume_update", False),
        ("network_volume_delete", False),
        ("network_volume_delete", True),
    ]
    assert entries[0]["variables"] == {"input": MODELS}  # nothing secret in a volume
    counters = emulator.log()["counters"]
    assert [(counters[kind], counters["applied_" + kind]) for kind in KINDS] == [(2, 1), (3, 1), (2, 1)]
    assert counters["unauthorized"] == 3


@pytest.mark.parametrize("kind", KINDS)
def test_a_lost_response_still_applies(emulator, kind):
    created = None if kind == "network_volume_create" else create(emulator)
    emulator.set_faults(drop_after_apply=[kind])
    query, variables = {
        "network_volume_create": (CREATE, {"input": MODELS}),
        "network_volume_update": (UPDATE, {"input": {"id": (created or {}).get("id"), "name": "grown", "size": 80}}),
        "network_volume_delete": (DELETE, {"input": {"id": (created or {}).get("id")}}),
    }[kind]
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(emulator.graphql_url, params={"api_key": emulator.api_key}, json={"query": query, "variables": variables}, timeout=10)
    entry = emulator.log()["requests"][-1]
    assert (entry["mutation_kind"], entry["applied"], entry["fault"], entry["status"]) == (kind, True, "drop_after_apply", None)
    stored = [(v["name"], v["size"]) for v in emulator.state()["networkVolumes"]]
    assert stored == {"network_volume_create": [("models", 50)], "network_volume_update": [("grown", 80)], "network_volume_delete": []}[kind]
    assert emulator.faults()["drop_after_apply"] == []


def test_a_refused_create_does_not_consume_the_lost_response(emulator):
    emulator.set_faults(drop_after_apply=["network_volume_create"])
    assert refusal(emulator, CREATE, {"input": dict(MODELS, size=1)}, "createNetworkVolume") == "size must be between 10 and 4000 GB."
    assert emulator.faults()["drop_after_apply"] == ["network_volume_create"]


def test_the_documented_profile_has_no_volumes(emulator_factory):
    server = emulator_factory(profile="documented")
    for query, variables in (
        (LIST, None),
        (CREATE, {"input": MODELS}),
        (UPDATE, {"input": {"id": "v", "name": "n", "size": 10}}),
        (DELETE, {"input": {"id": "v"}}),
        ("query { myself { endpoints { networkVolume { id } } } }", None),
    ):
        status, _headers, body = server.call(query, variables)
        assert status == 400 and "data" not in body, body
    assert server.call(LIST)[2]["errors"][0]["message"] == "Cannot query field 'networkVolumes' on type 'User'."
    assert server.state() == EMPTY_STATE
    # what the store holds is the same: a seeded volume is what networkVolumeId may name there too
    server.seed(networkVolumes=[dict(MODELS, id="seededvol1")])
    saved = server.call("mutation($i: EndpointInput!) { saveEndpoint(input: $i) { networkVolumeId } }", {"i": dict(ENDPOINT, networkVolumeId="seededvol1")})
    assert saved[2] == {"data": {"saveEndpoint": {"networkVolumeId": "seededvol1"}}}


def test_seed_shapes_and_the_state_file(tmp_path):
    state_file = str(tmp_path / "state.json")
    with EmulatorServer(api_keys=["k"], state_file=state_file) as first:
        seeded = first.seed(networkVolumes=[{"id": "vol-seeded", "name": "seeded", "size": 5, "dataCenterId": "US-GA-9"}, None, {"name": "generated"}])
        volumes = seeded["networkVolumes"]
        assert volumes[0] == {"id": "vol-seeded", "name": "seeded", "size": 5, "dataCenterId": "US-GA-9", "storageClusterId": None}
        assert volumes[1] is None and VOLUME_ID.match(volumes[2]["id"]) and volumes[2]["size"] is None
        first.seed(networkVolumes=[{"id": "vol-seeded", "storageClusterId": "sc-1"}])  # a patch
        listed = data(first, "query { myself { networkVolumes { id dataCenter { id } storageClusterId } } }", api_key="k")["myself"]["networkVolumes"]
        assert listed[0] == {"id": "vol-seeded", "dataCenter": None, "storageClusterId": "sc-1"} and listed[1] is None  # no such data centre
        for bad, message in (
            ([{"name": 5}], "network volume name must be a string or null"),
            ([{"name": "x", "size": "10"}], "network volume size must be a 32-bit integer or null"),
            ([{"name": "x", "dataCenter": {"id": "EU-RO-1"}}], "unknown network volume field(s): dataCenter"),
            ("x", "networkVolumes must be a list"),
        ):
            response = requests.post(first.url + "/_emulator/seed", json={"networkVolumes": bad}, timeout=10)
            assert response.status_code == 400 and message in response.json()["error"], response.text
        data(first, CREATE, {"input": MODELS}, api_key="k")
        state = first.state()
    with EmulatorServer(api_keys=["k"], state_file=state_file) as second:
        assert second.state() == state
        assert [v and v["name"] for v in second.state()["networkVolumes"]] == ["seeded", None, "generated", "models"]
