# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Templates (CONTRACT.md, "Templates"): required fields, unique names,
# serverless volumes, replace on update, delete by name while in use and in
# the recently-used window, the read, lost responses, the roll of the
# endpoints that use a template, seeding, the state dump and the documented
# profile.

import json
import time

import pytest
import requests

from ansible_collections.tensorone.cloud.tests.emulator.state import TEMPLATE_FIELDS
from ansible_collections.tensorone.cloud.tests.unit.emulator.accounts import EMPTY_STATE

TEMPLATE_SELECTION = (
    "id name imageName containerDiskInGb volumeInGb volumeMountPath dockerArgs env { key value } isServerless "
    "readme containerRegistryAuthId ports startScript isPublic boundEndpointId category"
)
SAVE_TEMPLATE = "mutation SaveTemplate($input: SaveTemplateInput) { saveTemplate(input: $input) { %s } }" % TEMPLATE_SELECTION
DELETE_TEMPLATE = "mutation DeleteTemplate($name: String!) { deleteTemplate(templateName: $name) }"
LIST_TEMPLATES = "query Templates { myself { podTemplates { %s } } }" % TEMPLATE_SELECTION
SAVE_ENDPOINT = (
    "mutation Save($input: EndpointInput!) { saveEndpoint(input: $input) { id templateId version template { id name imageName } clusters { id version } } }"
)
DELETE_ENDPOINT = "mutation Delete($id: String!) { deleteEndpoint(id: $id) }"
GET_ENDPOINT = "query Get($id: String!) { myself { endpoint(id: $id) { id version template { id name } clusters { id version } } } }"

SERVERLESS = {
    "name": "llm-image",
    "imageName": "registry.example/llm:1.0.0",
    "containerDiskInGb": 10,
    "volumeInGb": 0,
    "dockerArgs": "",
    "env": [{"key": "MODEL", "value": "llama"}],
    "isServerless": True,
}


def save(emulator, **fields):
    return emulator.call(SAVE_TEMPLATE, {"input": fields})


def create(emulator, **fields):
    status, _headers, body = save(emulator, **dict(SERVERLESS, **fields))
    assert status == 200 and "errors" not in body, body
    return body["data"]["saveTemplate"]


def save_error(emulator, **fields):
    """The business error of a refused save: HTTP 200, saveTemplate null (it is nullable)."""
    status, _headers, body = save(emulator, **fields)
    assert status == 200 and body["data"] == {"saveTemplate": None}, body
    assert len(body["errors"]) == 1 and body["errors"][0]["path"] == ["saveTemplate"], body
    return body["errors"][0]["message"]


def delete(emulator, name):
    return emulator.call(DELETE_TEMPLATE, {"name": name})


def delete_error(emulator, name):
    status, _headers, body = delete(emulator, name)
    assert status == 200 and body["data"] == {"deleteTemplate": None} and body["errors"][0]["path"] == ["deleteTemplate"], body
    return body["errors"][0]["message"]


def templates(emulator):
    status, _headers, body = emulator.call(LIST_TEMPLATES)
    assert status == 200 and "errors" not in body, body
    return body["data"]["myself"]["podTemplates"]


def endpoint_on(emulator, template_id, **fields):
    payload = dict(dict(name="uses-template", gpuIds="AMPERE_16"), templateId=template_id, **fields)
    status, _headers, body = emulator.call(SAVE_ENDPOINT, {"input": payload})
    assert status == 200 and "errors" not in body, body
    return body["data"]["saveEndpoint"]


def test_create_stores_every_field_and_reads_back(emulator):
    emulator.seed(registryAuths=[{"id": "cred-1", "name": "registry"}])
    created = create(
        emulator, readme="## Hi", ports="8000/http", startScript="bash start.sh", containerRegistryAuthId="cred-1", volumeMountPath="/workspace", isPublic=True
    )
    assert len(created["id"]) == 10 and created["boundEndpointId"] is None and created["category"] is None
    assert created["env"] == [{"key": "MODEL", "value": "llama"}]
    assert templates(emulator) == [created]
    dumped = emulator.state()["templates"]
    assert list(dumped[0]) == list(TEMPLATE_FIELDS)
    assert dumped[0] == dict((k, created[k]) for k in TEMPLATE_FIELDS)


@pytest.mark.parametrize("missing", ["name", "containerDiskInGb", "volumeInGb", "dockerArgs", "env"])
def test_the_schema_requires_the_documented_fields(emulator, missing):
    fields = dict((k, v) for k, v in SERVERLESS.items() if k != missing)
    status, _headers, body = save(emulator, **fields)
    assert status == 400 and "data" not in body and missing in body["errors"][0]["message"], body
    assert emulator.state()["templates"] == []


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"imageName": None}, "imageName is required."),
        ({"imageName": ""}, "imageName is required."),
        ({"name": "  "}, "name must not be empty."),
        ({"containerDiskInGb": 0}, "containerDiskInGb must be at least 1."),
        ({"volumeInGb": -1}, "volumeInGb cannot be less than 0."),
        ({"volumeInGb": 20}, "Serverless templates must have volumeInGb 0."),
        ({"env": [{"key": "A", "value": "1"}, {"key": "A", "value": "2"}]}, 'env has the key "A" more than once.'),
        ({"env": [{"key": "", "value": "1"}]}, "env keys must not be empty."),
    ],
)
def test_business_rules(emulator, fields, message):
    assert save_error(emulator, **dict(SERVERLESS, **fields)) == message
    assert emulator.state()["templates"] == []


def test_a_pod_template_may_have_a_volume(emulator):
    created = create(emulator, isServerless=False, volumeInGb=20, volumeMountPath="/workspace")
    assert (created["isServerless"], created["volumeInGb"]) == (False, 20)


def test_names_are_unique_and_keeping_ones_own_name_is_fine(emulator):
    first = create(emulator)
    assert save_error(emulator, **SERVERLESS) == 'A template named "llm-image" already exists.'
    second = create(emulator, name="other-image")
    assert save_error(emulator, **dict(SERVERLESS, id=second["id"])) == 'A template named "llm-image" already exists.'
    assert create(emulator, id=first["id"], readme="kept name")["readme"] == "kept name"
    # seeded duplicates (legacy) stay updatable under their own name
    emulator.seed_templates([{"id": "legacydup01", "name": "other-image", "imageName": "x", "containerDiskInGb": 5}])
    assert create(emulator, id="legacydup01", name="other-image")["id"] == "legacydup01"


def test_an_update_replaces_the_template_and_omitted_fields_reset(emulator):
    emulator.seed(registryAuths=[{"id": "cred-1", "name": "registry"}])
    created = create(emulator, readme="## Hi", ports="8000/http", startScript="s.sh", containerRegistryAuthId="cred-1", isPublic=True)
    required = dict((k, SERVERLESS[k]) for k in ("name", "imageName", "containerDiskInGb", "volumeInGb", "dockerArgs", "env"))
    status, _headers, body = save(emulator, **dict(required, id=created["id"]))
    assert status == 200 and "errors" not in body, body
    updated = body["data"]["saveTemplate"]
    assert updated["id"] == created["id"]
    assert (updated["readme"], updated["ports"], updated["startScript"], updated["containerRegistryAuthId"]) == (None,) * 4
    assert updated["isServerless"] is False and updated["isPublic"] is False  # omitted isServerless resets: the stricter reading
    assert save_error(emulator, **dict(required, id="nosuchtempl")) == "Template not found"


def test_every_save_of_a_template_rolls_its_endpoints(emulator):
    template = create(emulator)
    other = create(emulator, name="unrelated")
    endpoint = endpoint_on(emulator, template["id"], workersMin=1, workersMax=2)
    bystander = endpoint_on(emulator, other["id"], name="bystander")
    assert endpoint["version"] == 1 and endpoint["template"] == {"id": template["id"], "name": "llm-image", "imageName": "registry.example/llm:1.0.0"}
    old_worker = endpoint["clusters"][0]
    create(emulator, id=template["id"], imageName="registry.example/llm:1.1.0")
    create(emulator, id=template["id"], imageName="registry.example/llm:1.1.0")  # a save that changes nothing still rolls
    read = emulator.call(GET_ENDPOINT, {"id": endpoint["id"]})[2]["data"]["myself"]["endpoint"]
    assert read["id"] == endpoint["id"] and read["version"] == 3
    assert [w["version"] for w in read["clusters"]] == [3] and read["clusters"][0]["id"] != old_worker["id"]
    assert emulator.call(GET_ENDPOINT, {"id": bystander["id"]})[2]["data"]["myself"]["endpoint"]["version"] == 1
    assert templates(emulator)[0]["boundEndpointId"] == endpoint["id"]


def test_delete_by_name_refused_while_in_use_then_within_the_window(emulator):
    emulator.configure(template_recent_use_seconds=0.3)
    template = create(emulator)
    endpoint = endpoint_on(emulator, template["id"], workersMax=0)
    assert delete_error(emulator, "llm-image") == 'Template "llm-image" is in use by 1 endpoint(s) and cannot be deleted.'
    assert emulator.call(DELETE_ENDPOINT, {"id": endpoint["id"]})[2] == {"data": {"deleteEndpoint": None}}
    assert delete_error(emulator, "llm-image") == (
        'Template "llm-image" was used recently: it can take up to 2 minutes to be able to delete a template after its most recent use.'
    )
    assert len(templates(emulator)) == 1
    time.sleep(0.35)
    assert delete(emulator, "llm-image")[2] == {"data": {"deleteTemplate": None}}
    assert templates(emulator) == [] and emulator.state()["templates"] == []
    assert delete_error(emulator, "llm-image") == "Template not found"


def test_switching_an_endpoint_away_starts_the_window_too(emulator):
    emulator.configure(template_recent_use_seconds=60)
    template = create(emulator)
    other = create(emulator, name="next-image")
    endpoint = endpoint_on(emulator, template["id"])
    endpoint_on(emulator, other["id"], id=endpoint["id"])
    assert "was used recently" in delete_error(emulator, "llm-image")
    emulator.configure(template_recent_use_seconds=0)
    assert delete(emulator, "llm-image")[2] == {"data": {"deleteTemplate": None}}
    assert [t["name"] for t in templates(emulator)] == ["next-image"]


def test_a_template_never_used_deletes_at_once(emulator):
    create(emulator)
    assert delete(emulator, "llm-image")[2] == {"data": {"deleteTemplate": None}}


def test_template_mutations_have_their_own_kinds_and_counters(emulator):
    template = create(emulator)
    create(emulator, id=template["id"], readme="x")
    save_error(emulator, **SERVERLESS)  # a second create of the name, refused
    emulator.call(
        'mutation { saveTemplate(input: {id: "%s", name: "llm-image", imageName: "i", containerDiskInGb: 5, '
        'volumeInGb: 0, dockerArgs: "", env: []}) { id } }' % template["id"]
    )
    delete(emulator, "llm-image")
    entries = emulator.log()["requests"]
    assert [(e["mutation_kind"], e["applied"]) for e in entries] == [
        ("template_create", True),
        ("template_update", True),
        ("template_create", False),
        ("template_update", True),
        ("template_delete", True),
    ]
    assert entries[0]["root_fields"] == ["saveTemplate"] and entries[-1]["root_fields"] == ["deleteTemplate"]
    counters = emulator.log()["counters"]
    assert (
        counters["template_create"],
        counters["applied_template_create"],
        counters["template_update"],
        counters["template_delete"],
        counters["applied_template_delete"],
    ) == (2, 1, 2, 1, 1)
    assert (counters["create"], counters["update"], counters["delete"]) == (0, 0, 0)


@pytest.mark.parametrize("kind", ["template_create", "template_update", "template_delete"])
def test_lost_responses_of_template_mutations(emulator, kind):
    template = create(emulator) if kind != "template_create" else None
    emulator.set_faults(drop_after_apply=[kind])
    with pytest.raises(requests.exceptions.ConnectionError):
        if kind == "template_create":
            requests.post(
                emulator.graphql_url, params={"api_key": emulator.api_key}, timeout=10, json={"query": SAVE_TEMPLATE, "variables": {"input": SERVERLESS}}
            )
        elif kind == "template_update":
            requests.post(
                emulator.graphql_url,
                params={"api_key": emulator.api_key},
                timeout=10,
                json={"query": SAVE_TEMPLATE, "variables": {"input": dict(SERVERLESS, id=template["id"], readme="new")}},
            )
        else:
            requests.post(
                emulator.graphql_url, params={"api_key": emulator.api_key}, timeout=10, json={"query": DELETE_TEMPLATE, "variables": {"name": "llm-image"}}
            )
    entry = emulator.log()["requests"][-1]
    assert (entry["mutation_kind"], entry["applied"], entry["fault"], entry["status"]) == (kind, True, "drop_after_apply", None)
    stored = emulator.state()["templates"]
    if kind == "template_create":
        assert [t["name"] for t in stored] == ["llm-image"]
    elif kind == "template_update":
        assert stored[0]["readme"] == "new"
    else:
        assert stored == []
    assert emulator.faults()["drop_after_apply"] == []  # one-shot


def test_a_refused_template_mutation_does_not_consume_the_drop(emulator):
    emulator.set_faults(drop_after_apply=["template_create"])
    refused = dict(SERVERLESS)
    refused["volumeInGb"] = 3
    save_error(emulator, **refused)
    assert emulator.faults()["drop_after_apply"] == ["template_create"]


def test_endpoints_may_use_stored_templates_when_a_known_set_is_configured(emulator):
    emulator.configure(templates=["configured-id"])
    template = create(emulator)
    assert endpoint_on(emulator, template["id"])["templateId"] == template["id"]
    status, _headers, body = emulator.call(SAVE_ENDPOINT, {"input": dict(name="unknown-one", templateId="nope", gpuIds="AMPERE_16")})
    assert body["errors"][0]["message"] == "Template not found"


def test_endpoint_template_is_null_without_a_stored_template(emulator):
    assert endpoint_on(emulator, "not-a-stored-one")["template"] is None


def test_seed_templates_verbatim_through_the_control_api(emulator):
    response = requests.post(
        emulator.url + "/_emulator/seed",
        timeout=10,
        data=json.dumps(
            {
                "templates": [
                    {
                        "id": "consoletpl1",
                        "name": "console-made",
                        "imageName": "img:1",
                        "containerDiskInGb": 5,
                        "isPublic": True,
                        "category": "NVIDIA",
                        "readme": "r",
                        "env": [{"key": "K", "value": "v"}],
                    },
                    None,
                    {"name": "generated-id"},
                ],
                "endpoints": [{"id": "usesconsole001", "name": "uses-console", "templateId": "consoletpl1", "gpuIds": "AMPERE_16"}],
            }
        ),
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [t and t["name"] for t in answer["templates"]] == ["console-made", None, "generated-id"]
    assert [e["id"] for e in answer["endpoints"]] == ["usesconsole001"]
    listed = templates(emulator)
    assert listed[1] is None and listed[0]["boundEndpointId"] == "usesconsole001" and listed[0]["category"] == "NVIDIA"
    assert listed[2]["volumeInGb"] == 0 and listed[2]["dockerArgs"] == "" and listed[2]["env"] == [] and len(listed[2]["id"]) == 10
    emulator.seed_templates([{"id": "consoletpl1", "readme": "patched"}])
    assert emulator.state(fields="all")["templates"][0]["readme"] == "patched"
    assert emulator.state(fields="all")["templates"][0]["isPublic"] is True


@pytest.mark.parametrize(
    "payload",
    [
        {"templates": [{"name": "ok", "imageName": "i"}, {"name": "bad", "containerDiskInGb": "5"}]},
        {"templates": [{"name": "ok"}, {"name": "bad", "isPublic": "yes"}]},
        {"templates": [{"name": "bad", "unknownField": 1}]},
        {"templates": [{"name": "bad", "boundEndpointId": "x"}]},
        {"templates": [{"imageName": "no-name"}]},
        {"templates": [{"id": None, "name": "null-id"}]},
        {"templates": "not-a-list"},
        {"templates": [{"name": "fine"}], "endpoints": [{"name": "bad", "gpuCount": "1"}]},
        {"somethingElse": []},
    ],
)
def test_bad_template_seeds_are_400_and_change_nothing(emulator, payload):
    response = requests.post(emulator.url + "/_emulator/seed", timeout=10, data=json.dumps(payload))
    assert response.status_code == 400, response.text
    assert emulator.state() == EMPTY_STATE


def test_reset_forgets_templates_and_the_state_file_keeps_them(emulator_factory, tmp_path):
    state_file = str(tmp_path / "state.json")
    first = emulator_factory(state_file=state_file)
    create(first, readme="kept")
    first.seed_templates([None])
    saved = first.state()
    second = emulator_factory(state_file=state_file)
    assert second.state() == saved and second.state()["templates"][0]["readme"] == "kept"
    second.reset()
    assert second.state() == EMPTY_STATE


def test_the_documented_profile_serves_save_template_only(emulator_factory):
    server = emulator_factory(profile="documented")
    selection = "id name imageName containerDiskInGb volumeInGb dockerArgs env { key value } isServerless readme"
    status, _headers, body = server.call(
        "mutation S($input: SaveTemplateInput) { saveTemplate(input: $input) { %s } }" % selection, {"input": dict(SERVERLESS, readme="## doc")}
    )
    assert status == 200 and body["data"]["saveTemplate"]["readme"] == "## doc", body
    for query, variables, field in (
        ("query { myself { podTemplates { id } } }", None, "podTemplates"),
        (DELETE_TEMPLATE, {"name": "llm-image"}, "deleteTemplate"),
        ("query { myself { endpoints { template { id } } } }", None, "template"),
        ("mutation S($input: SaveTemplateInput) { saveTemplate(input: $input) { ports } }", {"input": SERVERLESS}, "ports"),
    ):
        status, _headers, body = server.call(query, variables)
        assert status == 400 and "'%s'" % field in body["errors"][0]["message"], body
    status, _headers, body = server.call(
        "mutation S($input: SaveTemplateInput) { saveTemplate(input: $input) { id } }", {"input": dict(SERVERLESS, name="with-ports", ports="8000/http")}
    )
    assert status == 400 and "'ports'" in body["errors"][0]["message"], body
    assert [t["name"] for t in server.state()["templates"]] == ["llm-image"]


def test_recent_use_window_config_is_checked(emulator):
    for bad in (-1, "2", True):
        with pytest.raises(ValueError, match="template_recent_use_seconds"):
            emulator.configure(template_recent_use_seconds=bad)
