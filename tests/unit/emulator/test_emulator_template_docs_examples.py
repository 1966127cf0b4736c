# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# The two template operations of the service's page, unchanged (inline
# literals), sent the way its curl examples send them: create a serverless
# template, then modify it. They run on both profiles.

import json

import pytest
import requests

CREATE = (
    'mutation { saveTemplate(input: { containerDiskInGb: 5, dockerArgs: "python handler.py", '
    'env: [ { key: "key1", value: "value1" }, { key: "key2", value: "value2" } ], '
    'imageName: "runpod/serverless-hello-world:latest", isServerless: true, name: "Generated Serverless Template", '
    'readme: "## Hello, World!", volumeInGb: 0 }) '
    '{ containerDiskInGb dockerArgs env { key value } id imageName isServerless name readme } }'
)
# As the page shows it: the same input with the id, a new readme, and no isServerless.
MODIFY = (
    'mutation { saveTemplate(input: { id: "%s", containerDiskInGb: 5, dockerArgs: "python handler.py", '
    'env: [ { key: "key1", value: "value1" }, { key: "key2", value: "value2" } ], '
    'imageName: "runpod/serverless-hello-world:latest", name: "Generated Serverless Template", '
    'readme: "## Goodbye, World!", volumeInGb: 0 }) '
    '{ containerDiskInGb dockerArgs env { key value } id imageName isServerless name readme } }'
)


@pytest.fixture(name="emulator", params=["full", "documented"])
def emulator_on_each_profile(request, emulator_factory):
    return emulator_factory(profile=request.param)


def post(emulator, query):
    response = requests.post(
        emulator.graphql_url, params={"api_key": emulator.api_key}, data=json.dumps({"query": query}),
        headers={"content-type": "application/json"}, timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body


def test_documented_create_then_modify(emulator):
    created = post(emulator, CREATE)["data"]["saveTemplate"]
    assert created == {
        "containerDiskInGb": 5, "dockerArgs": "python handler.py",
        "env": [{"key": "key1", "value": "value1"}, {"key": "key2", "value": "value2"}], "id": created["id"],
        "imageName": "runpod/serverless-hello-world:latest", "isServerless": True, "name": "Generated Serverless Template",
        "readme": "## Hello, World!",
    }
    modified = post(emulator, MODIFY % created["id"])["data"]["saveTemplate"]
    # Saved in place under its id. The page's modify omits isServerless: the emulator takes
    # the stricter reading (an omitted field resets), so a client must always send it.
    assert modified == dict(created, readme="## Goodbye, World!", isServerless=False)
    stored = emulator.state()["templates"]
    assert [(t["id"], t["readme"], t["volumeInGb"]) for t in stored] == [(created["id"], "## Goodbye, World!", 0)]
    assert [e["mutation_kind"] for e in emulator.log()["requests"]] == ["template_create", "template_update"]
