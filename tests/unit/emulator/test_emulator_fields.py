# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The full profile's extra fields (CONTRACT.md): create defaults, the full
# replace on update, type, flashBootType, CPU endpoints, networkVolumeIds,
# env, version and the checks on the new values.

import pytest

from ansible_collections.tensorone.cloud.tests.emulator import OPTIONAL_DEFAULTS

VALID = {"name": "fields", "templateId": "tmpl", "gpuIds": "AMPERE_16"}
# The data centre of each volume the conftest seeds (the seeded_volumes fixture).
DATA_CENTER_OF = {"vol-a": "EU-RO-1", "vol-b": "US-KS-2", "vol-c": "EU-CZ-1"}
CPU = {"name": "cpu-endpoint", "templateId": "tmpl", "instanceIds": ["cpu3c-2-4", "cpu5c-4-8"]}
# A value other than the default for every writable field the documented page lacks.
EXTRA_VALUES = {
    "gpuCount": 2,
    "instanceIds": ["cpu3c-2-4"],
    "workersPFBTarget": 1,
    "executionTimeoutMs": 30000,
    "allowedCudaVersions": "12.4,12.8",
    "env": [{"key": "MODEL", "value": "llama"}, {"key": "DEBUG", "value": "1"}],
    "flashBootType": "FLASHBOOT",
    "minCudaVersion": "12.4",
    "networkVolumeIds": [{"networkVolumeId": "vol-a"}],
    "modelReferences": ["hf://org/model", "hf://org/other"],
}
EXTRA_DEFAULTS = {
    "gpuCount": 1,
    "instanceIds": None,
    "workersPFBTarget": None,
    "executionTimeoutMs": 600000,
    "allowedCudaVersions": None,
    "env": None,
    "flashBootType": "OFF",
    "minCudaVersion": None,
    "networkVolumeIds": None,
    "modelReferences": None,
}


def with_valid(**fields):
    payload = dict(VALID)
    payload.update(fields)
    return payload


def read_shape(field, value):
    """What the service returns for an input value (networkVolumeIds gains the volume's dataCenterId)."""
    if field == "networkVolumeIds" and value is not None:
        return [dict(item, dataCenterId=DATA_CENTER_OF[item["networkVolumeId"]]) for item in value]
    return value


def save_ok(api, **fields):
    """Save exactly these fields (Api.create would add gpuIds); returns the stored endpoint."""
    return api.update(**fields)


def test_extra_defaults_are_the_contract_table():
    assert dict((key, OPTIONAL_DEFAULTS[key]) for key in EXTRA_DEFAULTS) == EXTRA_DEFAULTS
    assert set(OPTIONAL_DEFAULTS) - set(EXTRA_DEFAULTS) == {
        "idleTimeout",
        "locations",
        "networkVolumeId",
        "scalerType",
        "scalerValue",
        "workersMin",
        "workersMax",
    }


def test_create_defaults_of_every_field(full_api):
    endpoint = full_api.create(**VALID)
    for field, default in EXTRA_DEFAULTS.items():
        assert endpoint[field] == default, field
    assert (endpoint["idleTimeout"], endpoint["scalerType"], endpoint["scalerValue"]) == (5, "QUEUE_DELAY", 4)
    assert (endpoint["workersMin"], endpoint["workersMax"]) == (0, 3)
    assert (endpoint["type"], endpoint["version"], endpoint["computeType"]) == ("QB", 1, "GPU")
    assert (endpoint["workersStandby"], endpoint["networkVolume"], endpoint["aiKey"]) == (0, None, None)
    assert endpoint["userId"] == "user_emulator" and endpoint["createdAt"] == "2024-01-01T00:00:00.000Z"


@pytest.mark.usefixtures("seeded_volumes")
def test_create_stores_every_extra_field(full_api, emulator):
    endpoint = full_api.create(**with_valid(**EXTRA_VALUES))
    for field, value in EXTRA_VALUES.items():
        assert endpoint[field] == read_shape(field, value), field
    assert full_api.get(endpoint["id"]) == endpoint
    stored = emulator.state(fields="all")["endpoints"][0]
    for field, value in EXTRA_VALUES.items():
        assert stored[field] == read_shape(field, value), field


@pytest.mark.parametrize("field", sorted(EXTRA_VALUES))
@pytest.mark.usefixtures("seeded_volumes")
def test_update_omitting_an_extra_field_resets_it(full_api, field):
    endpoint = full_api.create(**with_valid(**EXTRA_VALUES))
    payload = with_valid(id=endpoint["id"], **EXTRA_VALUES)
    del payload[field]
    updated = full_api.update(**payload)
    for other, value in EXTRA_VALUES.items():
        expected = EXTRA_DEFAULTS[field] if other == field else read_shape(other, value)
        assert updated[other] == expected, other
    assert full_api.get(endpoint["id"]) == updated


@pytest.mark.parametrize("field", sorted(EXTRA_VALUES))
@pytest.mark.usefixtures("seeded_volumes")
def test_update_with_an_explicit_null_resets_too(full_api, field):
    endpoint = full_api.create(**with_valid(**EXTRA_VALUES))
    updated = full_api.update(**with_valid(id=endpoint["id"], **dict(EXTRA_VALUES, **{field: None})))
    assert updated[field] == EXTRA_DEFAULTS[field]


@pytest.mark.usefixtures("seeded_volumes")
def test_update_with_only_the_required_fields_resets_every_extra_field(full_api):
    endpoint = full_api.create(**with_valid(type="LB", **EXTRA_VALUES))
    updated = full_api.update(id=endpoint["id"], name=VALID["name"], gpuIds="AMPERE_24")
    assert dict((field, updated[field]) for field in OPTIONAL_DEFAULTS) == dict(OPTIONAL_DEFAULTS)
    assert updated["computeType"] == "GPU"  # instanceIds became null
    assert updated["type"] == "LB"  # the one exception: kept


def test_read_only_fields_survive_updates(full_api, emulator):
    emulator.seed_endpoints(
        [
            dict(
                VALID,
                id="readonly000001",
                workersStandby=2,
                aiKey="ai-key-value",
                createdAt="2023-05-01",
                userId="someone",
                networkVolume={"id": "vol-a", "name": "data", "size": 50, "dataCenterId": "EU-RO-1"},
            )
        ]
    )
    updated = full_api.update(**with_valid(id="readonly000001", gpuCount=3))
    assert (updated["workersStandby"], updated["aiKey"], updated["createdAt"], updated["userId"]) == (2, "ai-key-value", "2023-05-01", "someone")
    assert updated["networkVolume"] == {"id": "vol-a", "name": "data", "size": 50, "dataCenterId": "EU-RO-1"}


def test_write_only_inputs_are_accepted_and_not_stored(full_api, emulator):
    endpoint = full_api.create(**with_valid(bindEndpoint=True, hubReleaseId="rel-1", modelName="llama"))
    stored = emulator.state(fields="all")["endpoints"][0]
    assert not set(stored) & {"bindEndpoint", "hubReleaseId", "modelName"}
    assert full_api.get(endpoint["id"]) == endpoint


# -- type ---------------------------------------------------------------------------


def test_type_is_kept_when_omitted_and_a_different_one_is_refused(full_api, emulator):
    endpoint = full_api.create(**with_valid(type="LB"))
    assert endpoint["type"] == "LB"
    assert full_api.update(**with_valid(id=endpoint["id"]))["type"] == "LB"
    assert full_api.update(**with_valid(id=endpoint["id"], type="LB"))["type"] == "LB"
    before = emulator.state(fields="all")
    message = full_api.save_error(**with_valid(id=endpoint["id"], type="QB", workersMax=1))
    assert message == "type cannot be changed after creation (this endpoint is LB)."
    assert emulator.state(fields="all") == before
    queue = full_api.create(name="queue-based")
    assert queue["type"] == "QB"
    assert full_api.save_error(**with_valid(id=queue["id"], name="queue-based", type="LB")) == ("type cannot be changed after creation (this endpoint is QB).")


@pytest.mark.parametrize("value", ["qb", "XB", "", "QB,LB"])
def test_type_accepts_only_qb_and_lb(full_api, value):
    assert full_api.save_error(**with_valid(type=value)) == "type must be QB or LB."
    endpoint = full_api.create(**with_valid(name="existing"))
    assert full_api.save_error(**with_valid(id=endpoint["id"], name="existing", type=value)) == "type must be QB or LB."


# -- flashBootType (enum) --------------------------------------------------------------


def test_flash_boot_type_enum(full_api, emulator):
    assert full_api.create(**with_valid(flashBootType="FLASHBOOT"))["flashBootType"] == "FLASHBOOT"
    assert full_api.create(**with_valid(name="off-one", flashBootType="OFF"))["flashBootType"] == "OFF"
    # An enum literal is fine inline; a quoted one is not (variables coerce strings).
    status, _headers, body = emulator.call(
        'mutation { saveEndpoint(input: {name: "inline", templateId: "t", gpuIds: "AMPERE_16", flashBootType: FLASHBOOT}) { flashBootType } }'
    )
    assert (status, body) == (200, {"data": {"saveEndpoint": {"flashBootType": "FLASHBOOT"}}})
    status, _headers, body = emulator.call(
        'mutation { saveEndpoint(input: {name: "quoted", templateId: "t", gpuIds: "AMPERE_16", flashBootType: "FLASHBOOT"}) { id } }'
    )
    assert status == 400 and "FlashBootType" in body["errors"][0]["message"]
    status, _headers, body = full_api.save(**with_valid(name="bad", flashBootType="ON"))
    assert status == 400 and set(body) == {"errors"} and "FlashBootType" in body["errors"][0]["message"]


def test_compute_type_is_derived(full_api, emulator):
    assert save_ok(full_api, **CPU)["computeType"] == "CPU"
    assert full_api.create(**with_valid(instanceIds=[]))["computeType"] == "GPU"
    status, _headers, body = full_api.save(**with_valid(name="sets-it", computeType="CPU"))
    assert status == 400 and "computeType" in body["errors"][0]["message"]  # read-only: not an input field
    assert [e["name"] for e in emulator.state()["endpoints"]] == ["cpu-endpoint", "fields"]


# -- CPU endpoints ---------------------------------------------------------------------


def test_cpu_endpoint_create_update_delete_without_gpu_ids(full_api, emulator):
    endpoint = save_ok(full_api, **CPU)
    assert (endpoint["gpuIds"], endpoint["instanceIds"], endpoint["computeType"]) == (None, CPU["instanceIds"], "CPU")
    empty_gpus = save_ok(full_api, name="cpu-empty-gpus", templateId="tmpl", instanceIds=CPU["instanceIds"], gpuIds="")
    assert empty_gpus["gpuIds"] == ""
    updated = full_api.update(id=endpoint["id"], name=CPU["name"], instanceIds=["cpu3c-2-4"], workersMin=1)
    assert updated["instanceIds"] == ["cpu3c-2-4"] and len(updated["clusters"]) == 1
    # The replace trap on a CPU endpoint: omitting instanceIds writes null, and
    # the endpoint is then a GPU endpoint that needs gpuIds.
    assert full_api.save_error(id=endpoint["id"], name=CPU["name"]) == "gpuIds is required."
    full_api.update(id=endpoint["id"], name=CPU["name"], instanceIds=CPU["instanceIds"], workersMax=0)
    assert full_api.delete(endpoint["id"])[2] == {"data": {"deleteEndpoint": None}}
    assert [e["name"] for e in emulator.state()["endpoints"]] == ["cpu-empty-gpus"]


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"instanceIds": []}, "gpuIds is required."),
        ({"instanceIds": None}, "gpuIds is required."),
        ({"gpuIds": "NOT_A_POOL"}, 'gpuIds contains an unknown GPU pool: "NOT_A_POOL".'),
        ({"instanceIds": ["cpu3c-2-4", ""]}, "instanceIds must not contain null or empty items."),
        ({"instanceIds": ["cpu3c-2-4", None]}, "instanceIds must not contain null or empty items."),
    ],
)
def test_cpu_endpoint_refusals(full_api, fields, message):
    assert full_api.save_error(**dict(CPU, **fields)) == message


# -- networkVolumeIds ------------------------------------------------------------------


def test_network_volume_ids_write_and_read_shapes(full_api, emulator, seeded_volumes):
    endpoint = full_api.create(**with_valid(networkVolumeIds=[{"networkVolumeId": "vol-b"}, {"networkVolumeId": "vol-a"}]))
    # in the order sent, each with its volume's data centre
    assert endpoint["networkVolumeIds"] == [
        {"networkVolumeId": "vol-b", "dataCenterId": seeded_volumes["vol-b"]},
        {"networkVolumeId": "vol-a", "dataCenterId": seeded_volumes["vol-a"]},
    ]
    # The read shape is refused on input, as variables and inline.
    read_back = endpoint["networkVolumeIds"]
    status, _headers, body = full_api.save(**with_valid(id=endpoint["id"], networkVolumeIds=read_back))
    assert status == 400 and set(body) == {"errors"} and "dataCenterId" in body["errors"][0]["message"]
    status, _headers, body = emulator.call(
        'mutation { saveEndpoint(input: {name: "inline", templateId: "t", gpuIds: "AMPERE_16", '
        'networkVolumeIds: [{networkVolumeId: "v", dataCenterId: "EU-RO-1"}]}) { id } }'
    )
    assert status == 400 and "dataCenterId" in body["errors"][0]["message"]
    assert len(emulator.state()["endpoints"]) == 1


def test_a_save_reads_each_data_center_from_its_volume(full_api, emulator, seeded_volumes):
    # seeded read items are served as seeded, whatever the volumes say
    seeded = [{"networkVolumeId": "vol-a", "dataCenterId": "US-GA-9"}, {"networkVolumeId": "vol-b", "dataCenterId": "EU-SE-1"}]
    emulator.seed_endpoints([dict(VALID, id="volumes0000001", networkVolumeIds=seeded)])
    assert full_api.get("volumes0000001")["networkVolumeIds"] == seeded
    updated = full_api.update(**with_valid(id="volumes0000001", networkVolumeIds=[{"networkVolumeId": "vol-b"}, {"networkVolumeId": "vol-c"}]))
    assert updated["networkVolumeIds"] == [
        {"networkVolumeId": "vol-b", "dataCenterId": seeded_volumes["vol-b"]},
        {"networkVolumeId": "vol-c", "dataCenterId": seeded_volumes["vol-c"]},
    ]


@pytest.mark.parametrize(
    "volumes, message",
    [
        ([{"networkVolumeId": "vol-a"}, None], "networkVolumeIds must not contain null or empty items."),
        ([{}], "networkVolumeIds must not contain null or empty items."),
        ([{"networkVolumeId": ""}], "networkVolumeIds must not contain null or empty items."),
        ([{"networkVolumeId": "vol-a"}, {"networkVolumeId": "vol-a"}], 'networkVolumeIds has the volume "vol-a" more than once.'),
    ],
)
def test_network_volume_ids_refusals(full_api, volumes, message):
    assert full_api.save_error(**with_valid(networkVolumeIds=volumes)) == message


# -- env ---------------------------------------------------------------------------------


def test_env_is_stored_as_given_and_replaced_whole(full_api, emulator):
    env = [{"key": "B", "value": "2"}, {"key": "A", "value": "{{ RUNPOD_SECRET_token }}"}, {"key": "EMPTY", "value": ""}]
    endpoint = full_api.create(**with_valid(env=env))
    assert endpoint["env"] == env
    replaced = full_api.update(**with_valid(id=endpoint["id"], env=[{"key": "C", "value": "3"}]))
    assert replaced["env"] == [{"key": "C", "value": "3"}]
    assert full_api.update(**with_valid(id=endpoint["id"], env=[]))["env"] == []
    assert full_api.update(**with_valid(id=endpoint["id"]))["env"] is None
    assert emulator.state(fields="all")["endpoints"][0]["env"] is None


def test_env_input_shape_and_refusals(full_api):
    status, _headers, body = full_api.save(**with_valid(env=[{"key": "A"}]))
    assert status == 400 and "value" in body["errors"][0]["message"]  # value: String!
    status, _headers, body = full_api.save(**with_valid(env=[{"key": "A", "value": None}]))
    assert status == 400
    assert full_api.save_error(**with_valid(env=[{"key": "", "value": "x"}])) == "env keys must not be empty."
    assert full_api.save_error(**with_valid(env=[{"key": "A", "value": "1"}, {"key": "A", "value": "2"}])) == ('env has the key "A" more than once.')
    assert full_api.save_error(**with_valid(env=[None])) == "env must not contain null or empty items."


def test_version_counts_template_and_env_changes(full_api):
    endpoint = full_api.create(**with_valid(env=[{"key": "A", "value": "1"}], workersMin=1))
    assert endpoint["version"] == 1 and endpoint["clusters"][0]["version"] == 1
    same = with_valid(id=endpoint["id"], env=[{"key": "A", "value": "1"}], workersMin=1)
    assert full_api.update(**dict(same, idleTimeout=30))["version"] == 1
    assert full_api.update(**dict(same, templateId="tmpl-2"))["version"] == 2
    assert full_api.update(**dict(same, templateId="tmpl-2", env=[{"key": "A", "value": "2"}]))["version"] == 3
    # Omitting env is a change too (it resets to null).
    updated = full_api.update(**dict(same, templateId="tmpl-2", env=None, workersMin=2))
    assert updated["version"] == 4
    # A new version replaces the workers one by one (with no start time, all at once): new ids, the new version.
    assert [c["version"] for c in updated["clusters"]] == [4, 4]
    assert endpoint["clusters"][0]["id"] not in [c["id"] for c in updated["clusters"]]


# -- checks on the new values ------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"gpuCount": 0}, "gpuCount must be at least 1."),
        ({"gpuCount": -2}, "gpuCount must be at least 1."),
        ({"executionTimeoutMs": -1}, "executionTimeoutMs cannot be less than 0."),
        ({"workersPFBTarget": -1}, "workersPFBTarget cannot be less than 0."),
        ({"allowedCudaVersions": "12"}, 'allowedCudaVersions must be a comma-separated list of CUDA versions such as "12.4,12.8".'),
        ({"allowedCudaVersions": "12.4,"}, 'allowedCudaVersions must be a comma-separated list of CUDA versions such as "12.4,12.8".'),
        ({"allowedCudaVersions": "12.4, 12.8"}, 'allowedCudaVersions must be a comma-separated list of CUDA versions such as "12.4,12.8".'),
        ({"allowedCudaVersions": ""}, 'allowedCudaVersions must be a comma-separated list of CUDA versions such as "12.4,12.8".'),
        ({"allowedCudaVersions": "12.4.1"}, 'allowedCudaVersions must be a comma-separated list of CUDA versions such as "12.4,12.8".'),
        ({"minCudaVersion": "12"}, 'minCudaVersion must be a CUDA version such as "12.4".'),
        ({"minCudaVersion": "12.4,12.8"}, 'minCudaVersion must be a CUDA version such as "12.4".'),
        ({"minCudaVersion": "v12.4"}, 'minCudaVersion must be a CUDA version such as "12.4".'),
        ({"modelReferences": ["hf://a", ""]}, "modelReferences must not contain null or empty items."),
        ({"modelReferences": [None]}, "modelReferences must not contain null or empty items."),
    ],
)
def test_checks_on_new_values_on_create_and_update(full_api, emulator, fields, message):
    assert full_api.save_error(**with_valid(**fields)) == message
    existing = full_api.create(name="existing")
    assert full_api.save_error(**with_valid(id=existing["id"], name="existing", **fields)) == message
    assert [e["name"] for e in emulator.state()["endpoints"]] == ["existing"]


@pytest.mark.parametrize(
    "fields",
    [
        {"gpuCount": 1},
        {"gpuCount": 8},
        {"executionTimeoutMs": 0},
        {"workersPFBTarget": 0},
        {"allowedCudaVersions": "11.8"},
        {"allowedCudaVersions": "12.4,12.8,13.0"},
        {"minCudaVersion": "12.10"},
        {"modelReferences": []},
        {"instanceIds": []},
    ],
)
def test_valid_edges_of_new_values(full_api, fields):
    stored = full_api.create(**with_valid(**fields))
    for key, value in fields.items():
        assert stored[key] == value
