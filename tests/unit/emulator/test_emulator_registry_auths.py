# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Registry credentials (CONTRACT.md, "Registry credentials"): cuid ids, unique
# names, write-only usernames and passwords, rotation, delete (which silently
# clears the templates' references), the templates' reference check, the
# request log, faults, read-only keys, seeding, the state file and the
# documented profile.

import json
import re

import pytest
import requests

from ansible_collections.tensorone.cloud.tests.emulator import EmulatorServer

CREATE = "mutation Create($input: SaveRegistryAuthInput) { saveRegistryAuth(input: $input) { id name userId registryAuth } }"
UPDATE = "mutation Update($input: UpdateRegistryAuthInput!) { updateRegistryAuth(input: $input) { id name userId registryAuth } }"
DELETE = "mutation Delete($id: String!) { deleteRegistryAuth(registryAuthId: $id) }"
LIST = "query Creds { myself { containerRegistryCreds { id name userId registryAuth } } }"
SAVE_TEMPLATE = "mutation SaveTemplate($input: SaveTemplateInput) { saveTemplate(input: $input) { id containerRegistryAuthId } }"
LIST_TEMPLATES = "query Templates { myself { podTemplates { id name containerRegistryAuthId } } }"
GET_ENDPOINT = "query Get($id: String!) { myself { endpoint(id: $id) { version } } }"

USERNAME = "robot-user-5e1a"
PASSWORD = "registry-password-9c2f"
GHCR = {"name": "ghcr", "username": USERNAME, "password": PASSWORD}
TEMPLATE = {"name": "private-image", "imageName": "ghcr.io/team/llm:1", "containerDiskInGb": 10, "volumeInGb": 0, "dockerArgs": "", "env": []}
CUID = re.compile(r"^c[a-z0-9]{24}$")
DUMP_FIELDS = ["id", "name", "usernameFingerprint", "passwordFingerprint", "rotations"]
KINDS = ("registry_auth_create", "registry_auth_update", "registry_auth_delete")


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
    return data(emulator, CREATE, {"input": dict(GHCR, **fields)})["saveRegistryAuth"]


def lost(emulator, query, variables):
    """Send a mutation whose response drop_after_apply swallows."""
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(emulator.graphql_url, params={"api_key": emulator.api_key}, json={"query": query, "variables": variables}, timeout=10)


def test_create_serves_a_cuid_and_the_name_only(emulator):
    created = create(emulator)
    assert CUID.match(created["id"]) and created != create(emulator, name="ecr")
    assert created == {"id": created["id"], "name": "ghcr", "userId": "user_emulator", "registryAuth": None}
    assert data(emulator, LIST)["myself"]["containerRegistryCreds"][0] == created
    stored = emulator.state()["registryAuths"][0]
    assert list(stored) == DUMP_FIELDS and emulator.state(fields="all")["registryAuths"][0] == stored
    assert (stored["id"], stored["name"], stored["rotations"]) == (created["id"], "ghcr", 0)
    assert re.match(r"^[0-9a-f]{12}$", stored["passwordFingerprint"]) and stored["usernameFingerprint"] != stored["passwordFingerprint"]


@pytest.mark.parametrize(
    "fields, message",
    [
        (dict(name=""), "name must not be empty."),
        (dict(name="  "), "name must not be empty."),
        (dict(username=""), "username must not be empty."),
        (dict(password=""), "password must not be empty."),
    ],
)
def test_create_refuses_blank_fields(emulator, fields, message):
    assert refusal(emulator, CREATE, {"input": dict(GHCR, **fields)}, "saveRegistryAuth") == message
    assert emulator.state()["registryAuths"] == []


def test_the_schema_requires_every_input_field(emulator):
    assert refusal(emulator, CREATE, {}, "saveRegistryAuth") == "name is required."  # the input itself is nullable
    status, _headers, body = emulator.call(CREATE, {"input": {"name": "ghcr", "password": PASSWORD}})
    assert status == 400 and "username" in body["errors"][0]["message"] and "data" not in body
    assert emulator.state()["registryAuths"] == []


def test_names_are_unique(emulator):
    create(emulator)
    assert refusal(emulator, CREATE, {"input": dict(GHCR, username="other")}, "saveRegistryAuth") == 'A registry credential named "ghcr" already exists.'
    assert create(emulator, name="Ghcr")["name"] == "Ghcr"  # exact, case-sensitive
    assert [c["name"] for c in emulator.state()["registryAuths"]] == ["ghcr", "Ghcr"]


def test_an_update_rotates_under_the_same_id_and_name(emulator):
    created = create(emulator)
    before = emulator.state()["registryAuths"][0]
    updated = data(emulator, UPDATE, {"input": {"id": created["id"], "username": USERNAME, "password": "rotated-password-3d7b"}})["updateRegistryAuth"]
    assert updated == created
    after = emulator.state()["registryAuths"][0]
    assert after["passwordFingerprint"] != before["passwordFingerprint"] and after["usernameFingerprint"] == before["usernameFingerprint"]
    assert after["rotations"] == 1
    data(emulator, UPDATE, {"input": {"id": created["id"], "username": USERNAME, "password": "rotated-password-3d7b"}})
    assert emulator.state()["registryAuths"][0]["rotations"] == 2  # the same password again is still a rotation


def test_update_refusals(emulator):
    created = create(emulator)
    before = emulator.state()
    unknown = {"id": "cnosuchcredential000000000", "username": USERNAME, "password": PASSWORD}
    assert refusal(emulator, UPDATE, {"input": unknown}, "updateRegistryAuth") == "Registry credential not found"
    blank = {"id": created["id"], "username": USERNAME, "password": ""}
    assert refusal(emulator, UPDATE, {"input": blank}, "updateRegistryAuth") == "password must not be empty."
    assert emulator.state() == before
    # no rename: UpdateRegistryAuthInput has no name
    status, _headers, body = emulator.call(UPDATE, {"input": dict(GHCR, id=created["id"])})
    assert status == 400 and "name" in body["errors"][0]["message"]


def test_delete_answers_null_and_is_a_scalar(emulator):
    created = create(emulator)
    assert refusal(emulator, DELETE, {"id": "cnosuchcredential000000000"}, "deleteRegistryAuth") == "Registry credential not found"
    status, _headers, body = emulator.call("mutation($id: String!) { deleteRegistryAuth(registryAuthId: $id) { id } }", {"id": created["id"]})
    assert status == 400 and "data" not in body  # Void has no selection set
    assert data(emulator, DELETE, {"id": created["id"]}) == {"deleteRegistryAuth": None}
    assert data(emulator, LIST)["myself"]["containerRegistryCreds"] == [] and emulator.state()["registryAuths"] == []


def test_a_template_must_name_a_credential_of_the_account(emulator):
    status, _headers, body = emulator.call(SAVE_TEMPLATE, {"input": dict(TEMPLATE, containerRegistryAuthId="made-up")})
    assert status == 200 and body["data"] == {"saveTemplate": None}
    assert body["errors"][0]["message"] == 'containerRegistryAuthId "made-up" is not a registry credential of the account.'
    assert emulator.state()["templates"] == []
    credential = create(emulator)
    saved = data(emulator, SAVE_TEMPLATE, {"input": dict(TEMPLATE, containerRegistryAuthId=credential["id"])})["saveTemplate"]
    assert saved["containerRegistryAuthId"] == credential["id"]


def test_delete_silently_clears_the_templates_references(emulator):
    credential, other = create(emulator), create(emulator, name="other")
    using = data(emulator, SAVE_TEMPLATE, {"input": dict(TEMPLATE, containerRegistryAuthId=credential["id"])})["saveTemplate"]
    bystander = data(emulator, SAVE_TEMPLATE, {"input": dict(TEMPLATE, name="bystander", containerRegistryAuthId=other["id"])})["saveTemplate"]
    endpoint = data(
        emulator,
        "mutation($i: EndpointInput!) { saveEndpoint(input: $i) { id } }",
        {"i": {"name": "uses-it", "templateId": using["id"], "gpuIds": "AMPERE_16"}},
    )
    assert data(emulator, DELETE, {"id": credential["id"]}) == {"deleteRegistryAuth": None}  # no refusal: a template names it
    assert data(emulator, LIST_TEMPLATES)["myself"]["podTemplates"] == [
        {"id": using["id"], "name": "private-image", "containerRegistryAuthId": None},
        {"id": bystander["id"], "name": "bystander", "containerRegistryAuthId": other["id"]},
    ]
    assert data(emulator, GET_ENDPOINT, {"id": endpoint["saveEndpoint"]["id"]})["myself"]["endpoint"]["version"] == 1  # not a release
    # the old id is gone: sending it again is refused
    status, _headers, body = emulator.call(SAVE_TEMPLATE, {"input": dict(TEMPLATE, id=using["id"], containerRegistryAuthId=credential["id"])})
    assert "is not a registry credential" in body["errors"][0]["message"]


def test_no_username_or_password_in_any_response_the_dump_the_log_or_the_state_file(emulator_factory, tmp_path):
    state_file = str(tmp_path / "state.json")
    emulator = emulator_factory(state_file=state_file)
    answers = [emulator.call(CREATE, {"input": GHCR})[2]]
    auth_id = answers[0]["data"]["saveRegistryAuth"]["id"]
    answers.append(emulator.call(CREATE, {"input": GHCR})[2])  # refused: the name is taken
    answers.append(emulator.call(UPDATE, {"input": {"id": auth_id, "username": USERNAME, "password": PASSWORD + "-2"}})[2])
    answers.append(emulator.call(LIST)[2])
    answers.append(emulator.call("query { myself { containerRegistryCreds { registryAuth } } }")[2])
    log = emulator.log()
    assert [entry["variables"]["input"]["password"] for entry in log["requests"][:3]] == ["<masked>"] * 3
    assert log["requests"][0]["variables"]["input"] == {"name": "ghcr", "username": "<masked>", "password": "<masked>"}
    with open(state_file) as handle:
        saved = handle.read()
    seen = json.dumps([answers, emulator.state(), emulator.state(fields="all"), log]) + saved
    assert USERNAME not in seen and PASSWORD not in seen


def test_kinds_counters_and_read_only_keys(emulator):
    created = create(emulator)
    data(emulator, UPDATE, {"input": {"id": created["id"], "username": USERNAME, "password": PASSWORD}})
    refusal(emulator, CREATE, {"input": GHCR}, "saveRegistryAuth")
    before = emulator.state()
    for query, variables, field in (
        (CREATE, {"input": dict(GHCR, name="read-only")}, "saveRegistryAuth"),
        (UPDATE, {"input": {"id": created["id"], "username": USERNAME, "password": "x"}}, "updateRegistryAuth"),
        (DELETE, {"id": created["id"]}, "deleteRegistryAuth"),
    ):
        status, _headers, body = emulator.call(query, variables, api_key=emulator.read_only_key)
        assert status == 200 and body["data"] == {field: None} and body["errors"][0]["message"] == "Unauthorized"
    assert emulator.state() == before
    data(emulator, DELETE, {"id": created["id"]})
    entries = emulator.log()["requests"]
    assert [(e["mutation_kind"], e["applied"]) for e in entries] == [
        ("registry_auth_create", True),
        ("registry_auth_update", True),
        ("registry_auth_create", False),
        ("registry_auth_create", False),
        ("registry_auth_update", False),
        ("registry_auth_delete", False),
        ("registry_auth_delete", True),
    ]
    counters = emulator.log()["counters"]
    assert [(counters[kind], counters["applied_" + kind]) for kind in KINDS] == [(3, 1), (2, 1), (2, 1)]
    assert counters["unauthorized"] == 3


@pytest.mark.parametrize("kind", KINDS)
def test_a_lost_response_still_applies(emulator, kind):
    created = None if kind == "registry_auth_create" else create(emulator)
    emulator.set_faults(drop_after_apply=[kind])
    if kind == "registry_auth_create":
        lost(emulator, CREATE, {"input": GHCR})
    elif kind == "registry_auth_update":
        lost(emulator, UPDATE, {"input": {"id": created["id"], "username": USERNAME, "password": "lost-rotation"}})
    else:
        lost(emulator, DELETE, {"id": created["id"]})
    entry = emulator.log()["requests"][-1]
    assert (entry["mutation_kind"], entry["applied"], entry["fault"], entry["status"]) == (kind, True, "drop_after_apply", None)
    stored = emulator.state()["registryAuths"]
    expected = {"registry_auth_create": [("ghcr", 0)], "registry_auth_update": [("ghcr", 1)], "registry_auth_delete": []}[kind]
    assert [(c["name"], c["rotations"]) for c in stored] == expected
    assert emulator.faults()["drop_after_apply"] == []


def test_the_documented_profile_has_no_credentials(emulator_factory):
    server = emulator_factory(profile="documented")
    for query, variables in (
        (LIST, None),
        (CREATE, {"input": GHCR}),
        (UPDATE, {"input": {"id": "c1", "username": "u", "password": "p"}}),
        (DELETE, {"id": "c1"}),
    ):
        status, _headers, body = server.call(query, variables)
        assert status == 400 and "data" not in body, body
    assert server.call(LIST)[2]["errors"][0]["message"] == "Cannot query field 'containerRegistryCreds' on type 'User'."
    assert server.state()["registryAuths"] == []


def test_seed_shapes_fingerprints_and_the_state_file(tmp_path):
    state_file = str(tmp_path / "state.json")
    with EmulatorServer(api_keys=["k"], state_file=state_file) as first:
        seeded = first.seed(registryAuths=[{"id": "cred-seeded", "name": "seeded", "username": USERNAME, "password": PASSWORD}, None, {"name": "generated"}])
        fingerprint = seeded["registryAuths"][0]["passwordFingerprint"]
        assert fingerprint is not None and fingerprint == first.state()["registryAuths"][0]["passwordFingerprint"]
        assert seeded["registryAuths"][1] is None and CUID.match(seeded["registryAuths"][2]["id"])
        assert seeded["registryAuths"][2]["rotations"] == 0 and seeded["registryAuths"][2]["passwordFingerprint"] is None
        first.seed(registryAuths=[{"id": "cred-seeded", "rotations": 4}])  # a patch
        data(first, UPDATE, {"input": {"id": "cred-seeded", "username": USERNAME, "password": "new"}}, api_key="k")
        assert data(first, LIST, api_key="k")["myself"]["containerRegistryCreds"][1] is None
        for bad, message in (
            ([{"name": 5}], "registry credential name must be a string or null"),
            ([{"name": "x", "password": 5}], "registry credential password must be a string or null"),
            ([{"name": "x", "rotations": "1"}], "registry credential rotations must be a 32-bit integer or null"),
            ([{"name": "x", "registryAuth": "token"}], "unknown registry credential field(s): registryAuth"),
            ("x", "registryAuths must be a list"),
        ):
            response = requests.post(first.url + "/_emulator/seed", json={"registryAuths": bad}, timeout=10)
            assert response.status_code == 400 and message in response.json()["error"], response.text
        state = first.state()
    assert state["registryAuths"][0]["rotations"] == 5
    with EmulatorServer(api_keys=["k"], state_file=state_file) as second:
        assert second.state() == state
    with open(state_file) as handle:
        assert PASSWORD not in handle.read()
