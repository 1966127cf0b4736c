# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Secrets (CONTRACT.md, "Secrets"): cuid ids, unique names, a write-only
# value, the value and description updates and their times, the ID-typed
# arguments, delete, the request log, faults, read-only keys, seeding, the
# state file and the documented profile.

import json
import re

import pytest
import requests

from ansible_collections.tensorone.cloud.tests.emulator import EmulatorServer

SELECTION = "id name description createdAt updatedAt lastRetrievedAt lastUpdatedAt"
CREATE = "mutation Create($input: SecretCreateInput!) { secretCreate(input: $input) { %s } }" % SELECTION
VALUE = "mutation Value($input: SecretValueUpdateInput!) { secretValueUpdate(input: $input) { %s } }" % SELECTION
DESCRIPTION = "mutation Description($input: SecretDescriptionUpdateInput!) { secretDescriptionUpdate(input: $input) { %s } }" % SELECTION
DELETE = "mutation Delete($id: ID!) { secretDelete(id: $id) }"
GET = "query Get($id: ID!) { secret(id: $id) { %s } }" % SELECTION
LIST = "query Secrets { myself { secrets { %s } } }" % SELECTION

VALUE_1 = "hf_secret-value-0a1b2c"
VALUE_2 = "hf_secret-value-3d4e5f"
HF = {"name": "huggingface_token", "value": VALUE_1}
CUID = re.compile(r"^c[a-z0-9]{24}$")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
DUMP_FIELDS = ["id", "name", "description", "createdAt", "updatedAt", "lastRetrievedAt", "lastUpdatedAt", "valueFingerprint", "valueUpdates"]
KINDS = ("secret_create", "secret_value_update", "secret_description_update", "secret_delete")


def data(emulator, query, variables=None, api_key=None):
    status, _headers, body = emulator.call(query, variables, api_key=api_key)
    assert status == 200 and "errors" not in body, body
    return body["data"]


def refusal(emulator, query, variables, field):
    """The one business error of a refused mutation: HTTP 200, the field null (every one here is nullable)."""
    status, _headers, body = emulator.call(query, variables)
    assert status == 200 and body["data"] == {field: None} and len(body["errors"]) == 1, body
    assert body["errors"][0]["path"] == [field], body
    return body["errors"][0]["message"]


def create(emulator, **fields):
    return data(emulator, CREATE, {"input": dict(HF, **fields)})["secretCreate"]


def test_create_serves_the_secret_without_its_value(emulator):
    assert data(emulator, LIST)["myself"]["secrets"] == []  # a list, never null
    created = create(emulator)
    assert CUID.match(created["id"]) and STAMP.match(created["createdAt"])
    assert created == dict(
        dict.fromkeys(SELECTION.split()), id=created["id"], name="huggingface_token", createdAt=created["createdAt"], updatedAt=created["createdAt"]
    )
    assert create(emulator, name="described", description="for the LLM workers")["description"] == "for the LLM workers"
    assert data(emulator, LIST)["myself"]["secrets"][0] == created
    assert data(emulator, GET, {"id": created["id"]}) == {"secret": created}
    stored = emulator.state()["secrets"][0]
    assert list(stored) == DUMP_FIELDS and emulator.state(fields="all")["secrets"][0] == stored
    assert re.match(r"^[0-9a-f]{12}$", stored["valueFingerprint"]) and stored["valueUpdates"] == 0


def test_id_arguments_are_ids_not_strings(emulator):
    created = create(emulator)
    for query in ("query($id: String!) { secret(id: $id) { id } }", "mutation($id: String!) { secretDelete(id: $id) }"):
        status, _headers, body = emulator.call(query, {"id": created["id"]})
        assert status == 400 and "data" not in body
        assert body["errors"][0]["message"] == "Variable '$id' of type 'String!' used in position expecting type 'ID!'."
    assert len(emulator.state()["secrets"]) == 1
    assert data(emulator, GET, {"id": "cnosuchsecret0000000000000"}) == {"secret": None}


@pytest.mark.parametrize(
    "fields, message",
    [(dict(name=""), "name must not be empty."), (dict(name=" "), "name must not be empty."), (dict(value=""), "value must not be empty.")],
)
def test_create_refuses_blank_fields(emulator, fields, message):
    assert refusal(emulator, CREATE, {"input": dict(HF, **fields)}, "secretCreate") == message
    assert emulator.state()["secrets"] == []


def test_names_are_unique(emulator):
    create(emulator)
    assert refusal(emulator, CREATE, {"input": dict(HF, value=VALUE_2)}, "secretCreate") == 'A secret named "huggingface_token" already exists.'
    status, _headers, body = emulator.call(CREATE, {"input": {"name": "no-value"}})
    assert status == 400 and "value" in body["errors"][0]["message"]  # value: String!
    assert [s["name"] for s in emulator.state()["secrets"]] == ["huggingface_token"]


def test_a_value_update_changes_the_fingerprint_and_the_times(emulator):
    created = create(emulator)
    before = emulator.state()["secrets"][0]
    updated = data(emulator, VALUE, {"input": {"id": created["id"], "value": VALUE_2}})["secretValueUpdate"]
    assert (updated["id"], updated["name"], updated["createdAt"]) == (created["id"], created["name"], created["createdAt"])
    assert updated["updatedAt"] > created["updatedAt"] and updated["lastUpdatedAt"] == updated["updatedAt"]
    after = emulator.state()["secrets"][0]
    assert after["valueFingerprint"] != before["valueFingerprint"] and after["valueUpdates"] == 1
    again = data(emulator, VALUE, {"input": {"id": created["id"], "value": VALUE_2}})["secretValueUpdate"]
    assert again["lastUpdatedAt"] > updated["lastUpdatedAt"] and emulator.state()["secrets"][0]["valueUpdates"] == 2
    assert refusal(emulator, VALUE, {"input": {"id": created["id"], "value": ""}}, "secretValueUpdate") == "value must not be empty."
    assert refusal(emulator, VALUE, {"input": {"id": "cnosuchsecret0000000000000", "value": "x"}}, "secretValueUpdate") == "Secret not found"
    assert emulator.state()["secrets"][0]["valueUpdates"] == 2


def test_a_description_update_keeps_an_empty_string_and_cannot_clear_to_null(emulator):
    created = create(emulator, description="first")
    updated = data(emulator, DESCRIPTION, {"input": {"id": created["id"], "description": ""}})["secretDescriptionUpdate"]
    assert updated["description"] == "" and data(emulator, GET, {"id": created["id"]})["secret"]["description"] == ""
    assert updated["updatedAt"] > created["updatedAt"] and updated["lastUpdatedAt"] is None  # the value did not change
    assert emulator.state()["secrets"][0]["valueUpdates"] == 0
    status, _headers, body = emulator.call(DESCRIPTION, {"input": {"id": created["id"], "description": None}})
    assert status == 400 and "description" in body["errors"][0]["message"]
    unknown = {"id": "cnosuchsecret0000000000000", "description": "x"}
    assert refusal(emulator, DESCRIPTION, {"input": unknown}, "secretDescriptionUpdate") == "Secret not found"
    # no rename: the inputs have no name
    status, _headers, body = emulator.call(DESCRIPTION, {"input": {"id": created["id"], "description": "x", "name": "renamed"}})
    assert status == 400 and "name" in body["errors"][0]["message"]


def test_delete_answers_null(emulator):
    created = create(emulator)
    assert refusal(emulator, DELETE, {"id": "cnosuchsecret0000000000000"}, "secretDelete") == "Secret not found"
    assert data(emulator, DELETE, {"id": created["id"]}) == {"secretDelete": None}
    assert data(emulator, GET, {"id": created["id"]}) == {"secret": None} and emulator.state()["secrets"] == []
    assert refusal(emulator, DELETE, {"id": created["id"]}, "secretDelete") == "Secret not found"


def test_no_value_in_any_response_the_dump_the_log_or_the_state_file(emulator_factory, tmp_path):
    state_file = str(tmp_path / "state.json")
    emulator = emulator_factory(state_file=state_file)
    answers = [emulator.call(CREATE, {"input": HF})[2]]
    secret_id = answers[0]["data"]["secretCreate"]["id"]
    answers.append(emulator.call(CREATE, {"input": HF})[2])  # refused: the name is taken
    answers.append(emulator.call(VALUE, {"input": {"id": secret_id, "value": VALUE_2}})[2])
    answers.append(emulator.call(LIST)[2])
    answers.append(emulator.call(GET, {"id": secret_id})[2])
    log = emulator.log()
    assert [entry["variables"]["input"]["value"] for entry in log["requests"][:3]] == ["<masked>"] * 3
    assert log["requests"][0]["variables"]["input"] == {"name": "huggingface_token", "value": "<masked>"}
    with open(state_file) as handle:
        saved = handle.read()
    seen = json.dumps([answers, emulator.state(), emulator.state(fields="all"), log]) + saved
    assert VALUE_1 not in seen and VALUE_2 not in seen


def test_kinds_counters_and_read_only_keys(emulator):
    created = create(emulator)
    data(emulator, VALUE, {"input": {"id": created["id"], "value": VALUE_2}})
    data(emulator, DESCRIPTION, {"input": {"id": created["id"], "description": "d"}})
    refusal(emulator, CREATE, {"input": HF}, "secretCreate")
    before = emulator.state()
    for query, variables, field in (
        (CREATE, {"input": dict(HF, name="read-only")}, "secretCreate"),
        (VALUE, {"input": {"id": created["id"], "value": "x"}}, "secretValueUpdate"),
        (DESCRIPTION, {"input": {"id": created["id"], "description": "x"}}, "secretDescriptionUpdate"),
        (DELETE, {"id": created["id"]}, "secretDelete"),
    ):
        status, _headers, body = emulator.call(query, variables, api_key=emulator.read_only_key)
        assert status == 200 and body["data"] == {field: None} and body["errors"][0]["message"] == "Unauthorized"
    assert emulator.state() == before
    assert data(emulator, GET, {"id": created["id"]}, api_key=emulator.read_only_key)["secret"]["id"] == created["id"]  # reads are fine
    data(emulator, DELETE, {"id": created["id"]})
    entries = [e for e in emulator.log()["requests"] if e["operation_type"] == "mutation"]
    assert [(e["mutation_kind"], e["applied"]) for e in entries] == [
        ("secret_create", True),
        ("secret_value_update", True),
        ("secret_description_update", True),
        ("secret_create", False),
        ("secret_create", False),
        ("secret_value_update", False),
        ("secret_description_update", False),
        ("secret_delete", False),
        ("secret_delete", True),
    ]
    counters = emulator.log()["counters"]
    assert [(counters[kind], counters["applied_" + kind]) for kind in KINDS] == [(3, 1), (2, 1), (2, 1), (2, 1)]


@pytest.mark.parametrize("kind", KINDS)
def test_a_lost_response_still_applies(emulator, kind):
    created = None if kind == "secret_create" else create(emulator)
    query, variables = {
        "secret_create": (CREATE, {"input": HF}),
        "secret_value_update": (VALUE, {"input": {"id": created and created["id"], "value": VALUE_2}}),
        "secret_description_update": (DESCRIPTION, {"input": {"id": created and created["id"], "description": "lost"}}),
        "secret_delete": (DELETE, {"id": created and created["id"]}),
    }[kind]
    emulator.set_faults(drop_after_apply=[kind])
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(emulator.graphql_url, params={"api_key": emulator.api_key}, json={"query": query, "variables": variables}, timeout=10)
    entry = emulator.log()["requests"][-1]
    assert (entry["mutation_kind"], entry["applied"], entry["fault"], entry["status"]) == (kind, True, "drop_after_apply", None)
    stored = [(s["name"], s["description"], s["valueUpdates"]) for s in emulator.state()["secrets"]]
    expected = {
        "secret_create": [("huggingface_token", None, 0)],
        "secret_value_update": [("huggingface_token", None, 1)],
        "secret_description_update": [("huggingface_token", "lost", 0)],
        "secret_delete": [],
    }[kind]
    assert stored == expected and emulator.faults()["drop_after_apply"] == []


def test_the_documented_profile_has_no_secrets(emulator_factory):
    server = emulator_factory(profile="documented")
    for query, variables in (
        (LIST, None),
        (GET, {"id": "c1"}),
        (CREATE, {"input": HF}),
        (VALUE, {"input": {"id": "c1", "value": "v"}}),
        (DESCRIPTION, {"input": {"id": "c1", "description": "d"}}),
        (DELETE, {"id": "c1"}),
    ):
        status, _headers, body = server.call(query, variables)
        assert status == 400 and "data" not in body, body
    assert server.call(LIST)[2]["errors"][0]["message"] == "Cannot query field 'secrets' on type 'User'."
    assert server.call(GET, {"id": "c1"})[2]["errors"][0]["message"] == "Unknown type 'ID'."
    assert server.state()["secrets"] == []


def test_seed_shapes_fingerprints_and_the_state_file(tmp_path):
    state_file = str(tmp_path / "state.json")
    with EmulatorServer(api_keys=["k"], state_file=state_file) as first:
        seeded = first.seed(
            secrets=[{"id": "seeded-secret", "name": "seeded", "value": VALUE_1, "lastRetrievedAt": "2025-01-02T03:04:05.000Z"}, {"name": "generated"}]
        )
        one, two = seeded["secrets"]
        assert one["valueFingerprint"] is not None and one["valueFingerprint"] == first.state()["secrets"][0]["valueFingerprint"]
        assert (one["createdAt"], one["valueUpdates"], two["valueFingerprint"]) == ("2024-01-01T00:00:00.000Z", 0, None) and CUID.match(two["id"])
        assert data(first, GET, {"id": "seeded-secret"}, api_key="k")["secret"]["lastRetrievedAt"] == "2025-01-02T03:04:05.000Z"
        first.seed(secrets=[{"id": "seeded-secret", "description": "patched"}])
        data(first, VALUE, {"input": {"id": "seeded-secret", "value": VALUE_2}}, api_key="k")
        for bad, message in (
            ([None], "a secret cannot be null"),
            ([{"description": "no name"}], "a new secret needs a name"),
            ([{"id": "seeded-secret", "name": None}], "secret name must be a string (it is non-null in the schema)"),
            ([{"name": "x", "createdAt": None}], "secret createdAt must be a string"),
            ([{"name": "x", "id": None}], "secret id must be a string"),
            ([{"name": "x", "value": 5}], "secret value must be a string or null"),
            ([{"name": "x", "valueUpdates": 1.5}], "secret valueUpdates must be a 32-bit integer or null"),
            ([{"name": "x", "secret": "y"}], "unknown secret field(s): secret"),
        ):
            response = requests.post(first.url + "/_emulator/seed", json={"secrets": bad}, timeout=10)
            assert response.status_code == 400 and message in response.json()["error"], response.text
        state = first.state()
    assert state["secrets"][0]["description"] == "patched" and state["secrets"][0]["valueUpdates"] == 1
    with EmulatorServer(api_keys=["k"], state_file=state_file) as second:
        assert second.state() == state
    with open(state_file) as handle:
        assert VALUE_1 not in handle.read()
