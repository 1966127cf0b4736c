# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The operations of the service's pages, unchanged (inline literals), sent the
# way their curl examples send them: the four of the endpoints page, and the
# two of templates (create a serverless template, then modify it).

import json

import pytest
import requests

CREATE = (
    'mutation { saveEndpoint(input: { gpuIds: "AMPERE_16", idleTimeout: 5, locations: "US", '
    'name: "Generated Endpoint -fb", networkVolumeId: "", scalerType: "QUEUE_DELAY", scalerValue: 4, '
    'templateId: "xkhgg72fuo", workersMax: 3, workersMin: 0 }) '
    '{ gpuIds id idleTimeout locations name scalerType scalerValue templateId workersMax workersMin } }'
)
MODIFY = (
    'mutation { saveEndpoint(input: { id: "%s", gpuIds: "AMPERE_16", idleTimeout: 5, locations: "US", '
    'name: "Generated Endpoint -fb", networkVolumeId: "", scalerType: "QUEUE_DELAY", scalerValue: 4, '
    'templateId: "xkhgg72fuo", workersMax: 0, workersMin: 0 }) '
    '{ id gpuIds idleTimeout locations name scalerType scalerValue templateId workersMax workersMin } }'
)
VIEW = (
    "query Endpoints { myself { endpoints { gpuIds id idleTimeout locations name networkVolumeId "
    "clusters { desiredStatus } scalerType scalerValue templateId workersMax workersMin } "
    "serverlessDiscount { discountFactor type expirationDate } } }"
)
DELETE = 'mutation { deleteEndpoint(id: "%s") }'
# The templates page's create.
TEMPLATE_CREATE = (
    'mutation { saveTemplate(input: { containerDiskInGb: 5, dockerArgs: "python handler.py", '
    'env: [ { key: "key1", value: "value1" }, { key: "key2", value: "value2" } ], '
    'imageName: "runpod/serverless-hello-world:latest", isServerless: true, name: "Generated Serverless Template", '
    'readme: "## Hello, World!", volumeInGb: 0 }) '
    '{ containerDiskInGb dockerArgs env { key value } id imageName isServerless name readme } }'
)
# As the page shows it: the same input with the id, a new readme, and no isServerless.
TEMPLATE_MODIFY = (
    'mutation { saveTemplate(input: { id: "%s", containerDiskInGb: 5, dockerArgs: "python handler.py", '
    'env: [ { key: "key1", value: "value1" }, { key: "key2", value: "value2" } ], '
    'imageName: "runpod/serverless-hello-world:latest", name: "Generated Serverless Template", '
    'readme: "## Goodbye, World!", volumeInGb: 0 }) '
    '{ containerDiskInGb dockerArgs env { key value } id imageName isServerless name readme } }'
)


@pytest.fixture(name="emulator", params=["full", "documented"])
def emulator_on_each_profile(request, emulator_factory):
    """Every test of this file runs against both profiles: the documented operations are valid on each."""
    return emulator_factory(profile=request.param)


def post(emulator, query):
    # As in the docs: ?api_key= on the URL, content-type application/json.
    response = requests.post(
        emulator.graphql_url,
        params={"api_key": emulator.api_key},
        data=json.dumps({"query": query}),
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_documented_create_view_modify_delete(emulator):
    emulator.configure(drain_seconds=0.2, discount={"discountFactor": 0.9, "type": "SERVERLESS", "expirationDate": "2030-01-01"})
    created = post(emulator, CREATE)["data"]["saveEndpoint"]
    assert created == {
        "gpuIds": "AMPERE_16",
        "id": created["id"],
        "idleTimeout": 5,
        "locations": "US",
        "name": "Generated Endpoint -fb",
        "scalerType": "QUEUE_DELAY",
        "scalerValue": 4,
        "templateId": "xkhgg72fuo",
        "workersMax": 3,
        "workersMin": 0,
    }

    view = post(emulator, VIEW)["data"]["myself"]
    assert view["serverlessDiscount"] == {"discountFactor": 0.9, "type": "SERVERLESS", "expirationDate": "2030-01-01"}
    assert view["endpoints"] == [dict(created, networkVolumeId="", clusters=[])]

    refused = post(emulator, DELETE % created["id"])
    assert refused["data"] == {"deleteEndpoint": None}
    assert refused["errors"][0]["message"] == "workersMin and workersMax must both be set to 0 before deletion."

    modified = post(emulator, MODIFY % created["id"])["data"]["saveEndpoint"]
    assert (modified["id"], modified["workersMax"], modified["workersMin"]) == (created["id"], 0, 0)

    assert post(emulator, DELETE % created["id"]) == {"data": {"deleteEndpoint": None}}
    assert post(emulator, VIEW)["data"]["myself"]["endpoints"] == []


def test_documented_modify_with_known_docs_id(emulator):
    # The docs modify id "i02xupws21hp6i": seeded, then modified unchanged.
    emulator.seed_endpoints(
        [{"id": "i02xupws21hp6i", "name": "Generated Endpoint -fb", "templateId": "xkhgg72fuo", "gpuIds": "AMPERE_16", "workersMin": 0, "workersMax": 3}]
    )
    modified = post(emulator, MODIFY % "i02xupws21hp6i")["data"]["saveEndpoint"]
    assert modified["id"] == "i02xupws21hp6i" and modified["workersMax"] == 0
    assert post(emulator, DELETE % "i02xupws21hp6i") == {"data": {"deleteEndpoint": None}}


def test_documented_template_create_then_modify(emulator):
    created = post(emulator, TEMPLATE_CREATE)["data"]["saveTemplate"]
    assert created == {
        "containerDiskInGb": 5,
        "dockerArgs": "python handler.py",
        "env": [{"key": "key1", "value": "value1"}, {"key": "key2", "value": "value2"}],
        "id": created["id"],
        "imageName": "runpod/serverless-hello-world:latest",
        "isServerless": True,
        "name": "Generated Serverless Template",
        "readme": "## Hello, World!",
    }
    modified = post(emulator, TEMPLATE_MODIFY % created["id"])["data"]["saveTemplate"]
    # Saved in place under its id. The page's modify omits isServerless: the emulator takes
    # the stricter reading (an omitted field resets), so a client must always send it.
    assert modified == dict(created, readme="## Goodbye, World!", isServerless=False)
    stored = emulator.state()["templates"]
    assert [(t["id"], t["readme"], t["volumeInGb"]) for t in stored] == [(created["id"], "## Goodbye, World!", 0)]
    assert [e["mutation_kind"] for e in emulator.log()["requests"]] == ["template_create", "template_update"]
