# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

# The fixtures live in the emulator package so other test folders can import them too.
from ansible_collections.tensorone.cloud.tests.emulator.pytest_plugin import emulator, emulator_factory  # noqa: F401 pylint: disable=unused-import

# The documented fields: valid on both profiles.
ENDPOINT_SELECTION = (
    "id name templateId gpuIds idleTimeout locations networkVolumeId scalerType scalerValue workersMin workersMax clusters { id desiredStatus }"
)
# Every field of the full profile's Endpoint.
FULL_SELECTION = (
    "id name templateId gpuIds gpuCount instanceIds computeType idleTimeout locations networkVolumeId "
    "networkVolume { id name size dataCenterId } scalerType scalerValue workersMin workersMax workersStandby "
    "workersPFBTarget executionTimeoutMs allowedCudaVersions type env { key value } version aiKey userId createdAt "
    "clusters { id desiredStatus lastStatusChange machineId createdAt version } flashBootType minCudaVersion "
    "networkVolumeIds { networkVolumeId dataCenterId } modelReferences"
)
SAVE = "mutation Save($input: EndpointInput!) { saveEndpoint(input: $input) { %s } }"
DELETE = "mutation Delete($id: String!) { deleteEndpoint(id: $id) }"
LIST = "query List { myself { endpoints { %s } } }"
GET = "query Get($id: String!) { myself { endpoint(id: $id) { %s } } }"

VALID = {"name": "my-endpoint", "templateId": "tmpl0000000001", "gpuIds": "AMPERE_48,ADA_48_PRO"}
# Network volumes the endpoint tests attach (an endpoint may name only the account's own), each
# volume in another data centre; names need not be unique.
VOLUMES = [
    {"id": "vol123", "name": "models", "size": 100, "dataCenterId": "US-TX-3"},
    {"id": "vol-a", "name": "data", "size": 50, "dataCenterId": "EU-RO-1"},
    {"id": "vol-b", "name": "data", "size": 50, "dataCenterId": "US-KS-2"},
    {"id": "vol-c", "name": "cache", "size": 20, "dataCenterId": "EU-CZ-1"},
]


class Api:
    """Thin GraphQL helpers over EmulatorServer.call, with variables (as clients must)."""

    def __init__(self, server, selection=ENDPOINT_SELECTION):
        self.server = server
        self.selection = selection

    def save(self, **fields):
        return self.server.call(SAVE % self.selection, {"input": fields})

    def create(self, **fields):
        """Create with VALID defaults; returns the stored endpoint (asserts success)."""
        payload = dict(VALID)
        payload.update(fields)
        status, _headers, body = self.save(**payload)
        assert status == 200 and "errors" not in body, body
        return body["data"]["saveEndpoint"]

    def update(self, **fields):
        status, _headers, body = self.save(**fields)
        assert status == 200 and "errors" not in body, body
        return body["data"]["saveEndpoint"]

    def save_error(self, **fields):
        """The single business error of a refused save (asserts HTTP 200, data null).

        saveEndpoint is non-null, so its error nulls the whole data.
        """
        status, _headers, body = self.save(**fields)
        assert status == 200, body
        assert body["data"] is None, body
        assert len(body["errors"]) == 1 and body["errors"][0]["path"] == ["saveEndpoint"], body
        return body["errors"][0]["message"]

    def delete(self, endpoint_id):
        return self.server.call(DELETE, {"id": endpoint_id})

    def delete_error(self, endpoint_id):
        status, _headers, body = self.delete(endpoint_id)
        assert status == 200 and body["data"] == {"deleteEndpoint": None}, body
        assert body["errors"][0]["path"] == ["deleteEndpoint"], body
        return body["errors"][0]["message"]

    def endpoints(self):
        status, _headers, body = self.server.call(LIST % self.selection)
        assert status == 200 and "errors" not in body, body
        return body["data"]["myself"]["endpoints"]

    def get(self, endpoint_id):
        status, _headers, body = self.server.call(GET % self.selection, {"id": endpoint_id})
        assert status == 200 and "errors" not in body, body
        return body["data"]["myself"]["endpoint"]


@pytest.fixture
def api(emulator):  # pylint: disable=redefined-outer-name
    return Api(emulator)


@pytest.fixture
def full_api(emulator):  # pylint: disable=redefined-outer-name
    """Api selecting every field of the full profile."""
    return Api(emulator, FULL_SELECTION)


@pytest.fixture
def seeded_volumes(emulator):  # pylint: disable=redefined-outer-name
    """The emulator's account with VOLUMES; {id: dataCenterId}."""
    emulator.seed(networkVolumes=VOLUMES)
    return dict((volume["id"], volume["dataCenterId"]) for volume in VOLUMES)
