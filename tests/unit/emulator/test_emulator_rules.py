# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Business rules of saveEndpoint: required fields, validations, uniqueness,
# quota, templates, replace-on-update, verbatim storage, ids.

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.tensorone.cloud.tests.emulator import OPTIONAL_DEFAULTS
from ansible_collections.tensorone.cloud.tests.emulator.state import ApiError, Store
from ansible_collections.tensorone.cloud.tests.unit.emulator.accounts import EMPTY_STATE

VALID = {"name": "my-endpoint", "templateId": "tmpl0000000001", "gpuIds": "AMPERE_48,ADA_48_PRO"}
SAVE = "mutation Save($input: EndpointInput!) { saveEndpoint(input: $input) { id } }"
QUOTA_TEXT = "Your worker concurrency cannot go beyond the maximum limit of (%d). Please contact support if you wish to scale past this number."


def with_valid(**fields):
    payload = dict(VALID)
    payload.update(fields)
    return payload


def assert_name_refused_by_the_schema(api, payload):
    """EndpointInput.name is String!: a missing or null name is a variable coercion error, HTTP 400, nothing ran."""
    for name in (False, None):
        fields = dict(payload)
        if name is False:
            fields.pop("name", None)
        else:
            fields["name"] = name
        status, _headers, body = api.save(**fields)
        assert status == 400 and set(body) == {"errors"}, body
        # The wording differs between graphql-core versions; both name the variable and the field.
        message = body["errors"][0]["message"]
        assert "$input" in message and re.search(r"\bname\b", message), body


def test_create_requires_name_by_the_schema(api, emulator):
    assert_name_refused_by_the_schema(api, with_valid())
    assert emulator.state() == EMPTY_STATE
    assert emulator.log()["counters"]["applied_mutations"] == 0


@pytest.mark.parametrize(
    "missing, message",
    [
        ("templateId", "templateId is required."),
        ("gpuIds", "gpuIds is required."),
    ],
)
def test_create_requires_template_gpus(api, emulator, missing, message):
    payload = with_valid()
    del payload[missing]
    assert api.save_error(**payload) == message
    payload[missing] = None  # an explicit null is the same as omitting it
    assert api.save_error(**payload) == message
    assert emulator.state() == EMPTY_STATE


@pytest.mark.parametrize("length, ok", [(2, False), (3, True), (191, True), (192, False)])
def test_name_length(api, length, ok):
    name = "n" * length
    if ok:
        assert api.create(name=name)["name"] == name
    else:
        assert api.save_error(**with_valid(name=name)) == "name must be between 3 and 191 characters."


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"gpuIds": "AMPERE_48,NOT_A_POOL"}, 'gpuIds contains an unknown GPU pool: "NOT_A_POOL".'),
        ({"gpuIds": "AMPERE_48, ADA_24"}, 'gpuIds contains an unknown GPU pool: " ADA_24".'),
        ({"gpuIds": "AMPERE_48,"}, 'gpuIds contains an unknown GPU pool: "".'),
        ({"gpuIds": ""}, 'gpuIds contains an unknown GPU pool: "".'),
        ({"gpuIds": "AMPERE_48,-"}, 'gpuIds contains an unknown GPU pool: "-".'),
        ({"gpuIds": "-NVIDIA GeForce RTX 4090"}, "gpuIds must name at least one GPU pool."),
        ({"scalerType": "queue_delay"}, "scalerType must be QUEUE_DELAY or REQUEST_COUNT."),
        ({"scalerValue": 0}, "Scaler value cannot be less than 1."),
        ({"idleTimeout": 0}, "idleTimeout must be between 1 and 3600 seconds."),
        ({"idleTimeout": 3601}, "idleTimeout must be between 1 and 3600 seconds."),
        ({"workersMin": -1}, "workersMin cannot be less than 0."),
        ({"workersMax": -1}, "workersMax cannot be less than 0."),
        ({"workersMin": 4, "workersMax": 3}, "workersMin cannot be greater than workersMax."),
        ({"workersMin": 4}, "workersMin cannot be greater than workersMax."),  # workersMax defaults to 3
    ],
)
def test_validation_messages_on_create_and_update(api, emulator, fields, message):
    assert api.save_error(**with_valid(**fields)) == message
    existing = api.create(name="existing")
    assert api.save_error(**with_valid(id=existing["id"], name="existing", **fields)) == message
    assert emulator.state()["endpoints"] == [dict(existing)]


@pytest.mark.parametrize(
    "fields",
    [
        {"gpuIds": "HOPPER_141,AMPERE_80,-NVIDIA A100 80GB PCIe"},
        {"scalerType": "REQUEST_COUNT", "scalerValue": 1},
        {"idleTimeout": 1},
        {"idleTimeout": 3600},
        {"workersMin": 3, "workersMax": 3},
    ],
)
def test_valid_edges_are_accepted(api, fields):
    stored = api.create(**fields)
    for key, value in fields.items():
        assert stored[key] == value


def test_all_known_gpu_pools_accepted(api):
    pools = "AMPERE_16,AMPERE_24,ADA_24,ADA_32_PRO,AMPERE_48,ADA_48_PRO,AMPERE_80,ADA_80_PRO,HOPPER_141,BLACKWELL_96,BLACKWELL_180"
    assert api.create(gpuIds=pools)["gpuIds"] == pools


def test_update_unknown_id(api):
    assert api.save_error(**with_valid(id="doesnotexist00")) == "Endpoint not found"


def test_update_requires_name_and_gpus(api, emulator):
    endpoint = api.create()
    payload = {"id": endpoint["id"], "name": endpoint["name"], "gpuIds": endpoint["gpuIds"]}
    assert_name_refused_by_the_schema(api, payload)
    del payload["gpuIds"]
    assert api.save_error(**payload) == "gpuIds is required."
    assert emulator.state()["endpoints"] == [endpoint]


def test_store_still_refuses_a_missing_name():
    """Without GraphQL (Store used directly), the business rule is still there."""
    with pytest.raises(ApiError, match="name is required."):
        Store().save_endpoint({"templateId": "t", "gpuIds": "AMPERE_16"})


def test_unique_names_on_create_and_rename(api, emulator):
    first = api.create(name="alpha")
    assert api.save_error(**with_valid(name="alpha")) == 'An endpoint named "alpha" already exists.'
    second = api.create(name="beta")
    assert api.save_error(**with_valid(id=second["id"], name="alpha")) == 'An endpoint named "alpha" already exists.'
    # Case matters: names are compared verbatim.
    assert api.create(name="ALPHA")["name"] == "ALPHA"
    # Keeping one's own name is fine.
    assert api.update(**with_valid(id=first["id"], name="alpha", idleTimeout=9))["idleTimeout"] == 9
    assert [e["name"] for e in emulator.state()["endpoints"]] == ["alpha", "beta", "ALPHA"]


def test_seeded_duplicate_names_stay_updatable(api, emulator):
    emulator.seed_endpoints(
        [
            {"id": "dup00000000001", "name": "legacy", "templateId": "t", "gpuIds": "AMPERE_16"},
            {"id": "dup00000000002", "name": "legacy", "templateId": "t", "gpuIds": "AMPERE_16"},
        ]
    )
    assert api.update(id="dup00000000001", name="legacy", gpuIds="AMPERE_24")["gpuIds"] == "AMPERE_24"
    assert api.save_error(**with_valid(name="legacy")) == 'An endpoint named "legacy" already exists.'


def test_worker_quota(api, emulator):
    api.create(name="a" * 3, workersMax=10)
    api.create(name="b" * 3, workersMax=10)
    assert api.save_error(**with_valid(name="ccc", workersMax=1)) == QUOTA_TEXT % 20
    assert api.save_error(**with_valid(name="ccc")) == QUOTA_TEXT % 20  # omitted workersMax counts as 3
    assert api.create(name="ccc", workersMax=0)["workersMax"] == 0
    # The update's new value replaces the endpoint's own old one.
    first = emulator.state()["endpoints"][0]
    assert api.update(**with_valid(id=first["id"], name="aaa", workersMax=9))["workersMax"] == 9
    assert api.save_error(**with_valid(id=first["id"], name="aaa", workersMax=11)) == QUOTA_TEXT % 20
    emulator.configure(worker_quota=5)
    assert api.save_error(**with_valid(name="ddd", workersMax=1)) == QUOTA_TEXT % 5


def test_quota_never_blocks_scaling_down(api, emulator):
    big = api.create(name="big", workersMax=20)
    emulator.configure(worker_quota=4)
    # Over quota now, yet lowering workersMax (even above the quota) is allowed.
    assert api.update(**with_valid(id=big["id"], name="big", workersMax=10))["workersMax"] == 10
    assert api.save_error(**with_valid(id=big["id"], name="big", workersMax=11)) == QUOTA_TEXT % 4


def test_known_templates(api, emulator):
    emulator.configure(templates=["tmpl0000000001", "other"])
    endpoint = api.create()
    assert api.save_error(**with_valid(name="nope", templateId="unknown")) == "Template not found"
    assert api.save_error(**with_valid(id=endpoint["id"], templateId="unknown")) == "Template not found"
    assert api.update(**with_valid(id=endpoint["id"], templateId="other"))["templateId"] == "other"
    # Omitted on update: kept, and not re-checked against a changed set.
    emulator.configure(templates=["something-else"])
    assert api.update(id=endpoint["id"], name=endpoint["name"], gpuIds="AMPERE_16")["templateId"] == "other"
    emulator.configure(templates=None)
    assert api.create(name="any", templateId="whatever")["templateId"] == "whatever"


NON_DEFAULTS = {
    "idleTimeout": 60,
    "locations": "US,CZ",
    "networkVolumeId": "vol123",
    "scalerType": "REQUEST_COUNT",
    "scalerValue": 9,
    "workersMin": 1,
    "workersMax": 5,
}


@pytest.mark.parametrize("field", sorted(NON_DEFAULTS))
@pytest.mark.usefixtures("seeded_volumes")
def test_update_replaces_omitted_field_with_default(api, field):
    endpoint = api.create(**NON_DEFAULTS)
    payload = with_valid(id=endpoint["id"], **NON_DEFAULTS)
    del payload[field]
    updated = api.update(**payload)
    expected = dict(NON_DEFAULTS)
    expected[field] = OPTIONAL_DEFAULTS[field]
    assert dict((key, updated[key]) for key in NON_DEFAULTS) == expected
    assert api.get(endpoint["id"]) == updated


@pytest.mark.usefixtures("seeded_volumes")
def test_update_with_only_required_fields_resets_everything(full_api):
    endpoint = full_api.create(**NON_DEFAULTS)
    updated = full_api.update(id=endpoint["id"], name=endpoint["name"], gpuIds=endpoint["gpuIds"])
    assert {k: updated[k] for k in OPTIONAL_DEFAULTS} == dict(OPTIONAL_DEFAULTS)
    assert updated["templateId"] == VALID["templateId"]  # kept when omitted
    assert updated["clusters"] == []  # workersMin went back to 0


@pytest.mark.usefixtures("seeded_volumes")
def test_explicit_null_on_update_is_the_default_too(api):
    endpoint = api.create(**NON_DEFAULTS)
    updated = api.update(
        id=endpoint["id"], name=endpoint["name"], gpuIds=endpoint["gpuIds"], templateId=None, idleTimeout=None, locations=None, workersMax=None
    )
    assert (updated["idleTimeout"], updated["locations"], updated["workersMax"]) == (5, None, 3)
    assert updated["templateId"] == VALID["templateId"]


def test_create_defaults(full_api):
    endpoint = full_api.create()
    assert {k: endpoint[k] for k in OPTIONAL_DEFAULTS} == dict(OPTIONAL_DEFAULTS)
    assert endpoint["clusters"] == []


def test_values_stored_and_returned_verbatim(api, emulator):
    fields = {
        "name": "  Generated Endpoint -fb ",
        "gpuIds": "ADA_48_PRO,AMPERE_48,-NVIDIA L40",
        "locations": "",
        "networkVolumeId": "",
        "templateId": "Xk-Template",
    }
    endpoint = api.create(**fields)
    for key, value in fields.items():
        assert endpoint[key] == value
        assert api.get(endpoint["id"])[key] == value
        assert emulator.state()["endpoints"][0][key] == value


def test_ids_are_14_lowercase_alphanumerics_and_deterministic(emulator_factory):
    def ids(server):
        created = []
        for number in range(3):
            _status, _headers, body = server.call(SAVE, {"input": with_valid(name="endpoint-%d" % number)})
            created.append(body["data"]["saveEndpoint"]["id"])
        return created

    first, same, other = emulator_factory(seed=7), emulator_factory(seed=7), emulator_factory(seed=8)
    first_ids = ids(first)
    assert all(re.match(r"^[a-z0-9]{14}$", endpoint_id) for endpoint_id in first_ids)
    assert len(set(first_ids)) == 3
    assert ids(same) == first_ids
    assert ids(other) != first_ids
    # reset() restarts the id sequence from the startup seed.
    first.reset()
    assert ids(first) == first_ids


def test_endpoint_lookup(api):
    endpoint = api.create()
    assert api.get(endpoint["id"]) == endpoint
    assert api.get("unknown0000000") is None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(min_size=3, max_size=191).filter(lambda n: 3 <= len(n) <= 191),
    gpus=st.lists(st.sampled_from(sorted(["AMPERE_16", "ADA_24", "HOPPER_141", "BLACKWELL_180"])), min_size=1, max_size=4),
)
def test_property_any_valid_input_round_trips(api, emulator, name, gpus):
    emulator.reset()
    gpu_ids = ",".join(gpus)
    endpoint = api.create(name=name, gpuIds=gpu_ids)
    assert (endpoint["name"], endpoint["gpuIds"]) == (name, gpu_ids)
    assert api.endpoints() == [endpoint]


def test_store_rules_without_http():
    """The rules are plain Python too (used by the HTTP layer under a lock)."""
    store = Store(seed=1)
    created = store.save_endpoint(with_valid())
    assert store.get_endpoint(created["id"])["name"] == VALID["name"]
    store.save_endpoint({"id": created["id"], "name": "x" * 3, "gpuIds": "AMPERE_16", "workersMax": 0})
    store.delete_endpoint(created["id"])
    assert store.list_endpoints() == []
