# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The HTTP/GraphQL protocol: what is rejected before anything runs.

import http.client
import json

import pytest
import requests

from ansible_collections.tensorone.cloud.tests.unit.emulator.accounts import EMPTY_STATE

VALID = {"name": "proto", "templateId": "tmpl", "gpuIds": "AMPERE_16"}


def raw(emulator, method="POST", path=None, body=None, headers=None):
    """One request with full control over method, path, body and headers."""
    connection = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    try:
        request_headers = {"Content-Type": "application/json"}
        request_headers.update(headers or {})
        connection.request(method, path or "/graphql?api_key=" + emulator.api_key, body=body, headers=request_headers)
        response = connection.getresponse()
        text = response.read()
        return response.status, dict(response.getheaders()), json.loads(text) if text else None
    finally:
        connection.close()


# Message fragments that graphql-core 3.2 and 3.3 both produce (their wording differs).
@pytest.mark.parametrize(
    "query, fragments",
    [
        ("{ myself { nosuchfield } }", ["cannot query field 'nosuchfield' on type 'user'."]),
        ('mutation { saveEndpoint(input: {name: "abc", noSuchField: 1}) { id } }', ["nosuchfield", "endpointinput"]),
        ('mutation { saveEndpoint(input: {gpuIds: "AMPERE_16"}) { id } }', ["'name'", "required"]),
        ('mutation { saveEndpoint(input: {name: null, gpuIds: "AMPERE_16"}) { id } }', ["expected value of", "'string!'"]),
        ('mutation { saveEndpoint(input: {name: "abc", workersMax: "3"}) { id } }', ["int cannot represent"]),
        ("{ myself { endpoint { id } } }", ["argument", "id", "'string!'", "required"]),
        ("mutation { saveEndpoint { id } }", ["argument", "input", "'endpointinput!'", "required"]),
        ("mutation { deleteEndpoint }", ["argument", "id", "'string!'", "required"]),
        ("{ myself { endpoints } }", ["must have a selection of subfields"]),
        ("{ myself { id ", ["syntax error"]),
        ("subscription { myself { id } }", ["subscription"]),
    ],
)
def test_parse_and_validation_errors_are_400_without_data(emulator, query, fragments):
    status, _headers, body = emulator.call(query)
    assert status == 400
    assert set(body) == {"errors"}
    message = body["errors"][0]["message"].lower()
    assert all(fragment in message for fragment in fragments), message
    assert emulator.state() == EMPTY_STATE


def test_variable_coercion_errors_are_400_without_data(emulator):
    query = "mutation Save($input: EndpointInput!) { saveEndpoint(input: $input) { id } }"
    no_name = dict(VALID)
    del no_name["name"]
    for variables in ({"input": dict(VALID, workersMax="3")}, {"input": dict(VALID, noSuchField=1)}, {}, {"input": no_name}, {"input": dict(VALID, name=None)}):
        status, _headers, body = emulator.call(query, variables)
        assert status == 400 and set(body) == {"errors"}, body
    assert emulator.state() == EMPTY_STATE
    assert emulator.log()["counters"]["applied_mutations"] == 0


def test_operation_name_selects_the_operation(emulator):
    document = "query A { myself { id } } query B { myself { endpoints { id } } }"
    status, _headers, body = emulator.call(document, operation_name="B")
    assert (status, body) == (200, {"data": {"myself": {"endpoints": []}}})
    status, _headers, body = emulator.call(document)
    assert status == 400 and "operation name" in body["errors"][0]["message"]
    status, _headers, body = emulator.call(document, operation_name="C")
    assert status == 400 and set(body) == {"errors"}


@pytest.mark.parametrize(
    "body, message",
    [
        ("not json", "Body must be a JSON object"),
        ("[1, 2]", "Body must be a JSON object"),
        ("{}", "Must provide query string."),
        ('{"query": 5}', "Must provide query string."),
        ('{"query": "{ myself { id } }", "variables": [1]}', "Variables must be an object."),
        ('{"query": "{ myself { id } }", "operationName": 1}', "operationName must be a string."),
    ],
)
def test_malformed_bodies_are_400(emulator, body, message):
    status, _headers, payload = raw(emulator, body=body)
    assert (status, payload) == (400, {"errors": [{"message": message}]})


def test_content_type_must_be_json(emulator):
    status, _headers, body = raw(emulator, body='{"query": "{ myself { id } }"}', headers={"Content-Type": "text/plain"})
    assert (status, body) == (415, {"errors": [{"message": "Content-Type must be application/json"}]})
    status, _headers, body = raw(emulator, body='{"query": "{ myself { id } }"}', headers={"Content-Type": "application/json; charset=utf-8"})
    assert status == 200 and body["data"]["myself"]["id"]


def test_only_post_and_only_graphql_path(emulator):
    status, headers, body = raw(emulator, method="GET")
    assert status == 405 and headers["Allow"] == "POST" and "errors" in body
    status, _headers, body = raw(emulator, path="/graphql/?api_key=" + emulator.api_key, body="{}")
    assert status == 404
    status, _headers, body = raw(emulator, path="/v1/endpoints", method="GET")
    assert status == 404
    assert [e["status"] for e in emulator.log()["requests"]] == [405, 404, 404]


def headers_only(emulator, path, headers):
    """A POST that sends its headers and no body (the emulator refuses it on the headers alone)."""
    connection = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    try:
        connection.putrequest("POST", path)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_every_refused_request_is_logged_with_its_status(emulator):
    path = "/graphql?api_key=" + emulator.api_key
    agent = {"Content-Type": "application/json", "User-Agent": "refused-client/1"}
    # Refused on the headers, before the body is read: too large, chunked, a bad Content-Length.
    assert headers_only(emulator, path, dict(agent, **{"Content-Length": str(1024 * 1024 + 1)}))[0] == 413
    assert headers_only(emulator, path, dict(agent, **{"Transfer-Encoding": "chunked"}))[0] == 411
    assert headers_only(emulator, path, dict(agent, **{"Content-Length": "-5"}))[0] == 400
    # Refused on the body, the method, the path or the key.
    assert raw(emulator, body="not json", headers=agent)[0] == 400
    assert raw(emulator, body="{}", headers=dict(agent, **{"Content-Type": "text/plain"}))[0] == 415
    assert raw(emulator, method="GET", headers=agent)[0] == 405
    assert raw(emulator, path="/v1/graphql?api_key=" + emulator.api_key, body="{}", headers=agent)[0] == 404
    assert raw(emulator, path="/graphql?api_key=wrong-key-123456", body='{"query": "{ myself { id } }"}', headers=agent)[0] == 401
    # The control paths are never logged, refused or not.
    assert headers_only(emulator, "/_emulator/faults", {"Content-Length": str(1024 * 1024 + 1)})[0] == 413
    log = emulator.log()
    assert [(e["method"], e["path"], e["status"]) for e in log["requests"]] == [
        ("POST", "/graphql", 413),
        ("POST", "/graphql", 411),
        ("POST", "/graphql", 400),
        ("POST", "/graphql", 400),
        ("POST", "/graphql", 415),
        ("GET", "/graphql", 405),
        ("POST", "/v1/graphql", 404),
        ("POST", "/graphql", 401),
    ]
    assert all(e["user_agent"] == "refused-client/1" and e["fault"] is None and not e["applied"] for e in log["requests"])
    assert log["counters"]["requests"] == 8 and log["counters"]["unauthorized"] == 1
    assert emulator.api_key not in json.dumps(log) and "wrong-key-123456" not in json.dumps(log)


def test_keep_alive_connection_serves_many_requests(emulator):
    connection = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    body = json.dumps({"query": "{ myself { id } }"})
    try:
        for _attempt in range(5):
            connection.request("POST", "/graphql?api_key=" + emulator.api_key, body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            assert response.status == 200
            assert response.getheader("Connection") != "close"
            response.read()
        first_socket = connection.sock
        connection.request("POST", "/graphql?api_key=" + emulator.api_key, body=body, headers={"Content-Type": "application/json"})
        connection.getresponse().read()
        assert connection.sock is first_socket
    finally:
        connection.close()


DOCUMENTED_INPUT = [
    "id",
    "name",
    "templateId",
    "gpuIds",
    "idleTimeout",
    "locations",
    "networkVolumeId",
    "scalerType",
    "scalerValue",
    "workersMin",
    "workersMax",
]
FULL_INPUT = [
    "id",
    "name",
    "templateId",
    "gpuIds",
    "gpuCount",
    "instanceIds",
    "idleTimeout",
    "locations",
    "networkVolumeId",
    "scalerType",
    "scalerValue",
    "workersMin",
    "workersMax",
    "workersPFBTarget",
    "executionTimeoutMs",
    "allowedCudaVersions",
    "type",
    "env",
    "bindEndpoint",
    "hubReleaseId",
    "modelName",
    "flashBootType",
    "minCudaVersion",
    "networkVolumeIds",
    "modelReferences",
]


@pytest.mark.parametrize("profile, expected", [("full", FULL_INPUT), ("documented", DOCUMENTED_INPUT)])
def test_requests_session_and_introspection(emulator_factory, profile, expected):
    # The emulator answers introspection (the production service does not).
    emulator = emulator_factory(profile=profile)
    with requests.Session() as session:
        session.headers["Authorization"] = "Bearer " + emulator.api_key
        response = session.post(emulator.graphql_url, json={"query": "{ __type(name: \"EndpointInput\") { inputFields { name } } }"})
        assert response.status_code == 200
        names = [field["name"] for field in response.json()["data"]["__type"]["inputFields"]]
        assert names == expected


def test_business_error_shape(emulator):
    status, _headers, body = emulator.call("mutation { saveEndpoint(input: {name: \"ab\", templateId: \"t\", gpuIds: \"AMPERE_16\"}) { id } }")
    assert status == 200
    # saveEndpoint is non-null: its error nulls data entirely, and the
    # request still counts as executed (HTTP 200, not a request error).
    assert body["data"] is None and set(body) == {"data", "errors"}
    assert body["errors"][0]["message"] == "name must be between 3 and 191 characters."
    assert body["errors"][0]["path"] == ["saveEndpoint"]
