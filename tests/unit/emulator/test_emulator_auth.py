# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Keys: ?api_key= or Authorization: Bearer; 401; read-only keys.

import pytest
import requests

QUERY = "{ myself { id endpoints { id } } }"
SAVE = "mutation Save($input: EndpointInput!) { saveEndpoint(input: $input) { id workersMax } }"
DELETE = "mutation Delete($id: String!) { deleteEndpoint(id: $id) }"
VALID = {"name": "auth", "templateId": "tmpl", "gpuIds": "AMPERE_16"}
UNAUTHORIZED = {"errors": [{"message": "Unauthorized"}]}


@pytest.mark.parametrize("auth", ["query", "bearer"])
def test_valid_key_either_way(emulator, auth):
    status, _headers, body = emulator.call(QUERY, auth=auth)
    assert (status, body) == (200, {"data": {"myself": {"id": "user_emulator", "endpoints": []}}})


@pytest.mark.parametrize(
    "api_key, auth",
    [
        ("", None),
        ("wrong-key-123", "query"),
        ("wrong-key-123", "bearer"),
        ("", "query"),
        ("", "bearer"),
    ],
)
def test_missing_or_unknown_key_is_401(emulator, api_key, auth):
    status, _headers, body = emulator.call(QUERY, api_key=api_key, auth=auth)
    assert (status, body) == (401, UNAUTHORIZED)


def test_other_authorization_schemes_are_not_keys(emulator):
    for header in ("Basic " + emulator.api_key, emulator.api_key, "Token " + emulator.api_key):
        response = requests.post(emulator.graphql_url, json={"query": QUERY}, headers={"Authorization": header}, timeout=10)
        assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    response = requests.post(emulator.graphql_url, json={"query": QUERY}, headers={"Authorization": "bearer " + emulator.api_key}, timeout=10)
    assert response.status_code == 200  # the scheme name is case-insensitive


def test_query_parameter_wins_over_header(emulator):
    response = requests.post(
        emulator.graphql_url, params={"api_key": "wrong-key-123"}, json={"query": QUERY}, headers={"Authorization": "Bearer " + emulator.api_key}, timeout=10
    )
    assert response.status_code == 401


def test_401_comes_before_validation(emulator):
    status, _headers, body = emulator.call("{ nonsense }", api_key="", auth=None)
    assert (status, body) == (401, UNAUTHORIZED)


def test_read_only_key_queries_but_never_mutates(api, emulator):
    endpoint = api.create(name="existing", workersMax=0)
    status, _headers, body = emulator.call(QUERY, api_key=emulator.read_only_key)
    assert status == 200 and body["data"]["myself"]["endpoints"] == [{"id": endpoint["id"]}]
    # saveEndpoint is non-null: its refusal nulls the whole data.
    attempts = [
        (SAVE, {"input": VALID}, None),
        (SAVE, {"input": dict(VALID, id=endpoint["id"], workersMax=1)}, None),
        (DELETE, {"id": endpoint["id"]}, {"deleteEndpoint": None}),
    ]
    for query, variables, data in attempts:
        for auth in ("query", "bearer"):
            status, _headers, body = emulator.call(query, variables, api_key=emulator.read_only_key, auth=auth)
            assert status == 200
            assert body["errors"][0]["message"] == "Unauthorized"
            assert body["data"] == data
    assert emulator.state()["endpoints"] == [endpoint]
    counters = emulator.log()["counters"]
    assert counters["unauthorized"] == 6 and counters["applied_mutations"] == 1


def test_keys_are_configurable_at_run_time(emulator):
    emulator.configure(read_only_keys=["new-read-only-key"])
    status, _headers, body = emulator.call(SAVE, {"input": VALID}, api_key="new-read-only-key")
    assert status == 200 and body["errors"][0]["message"] == "Unauthorized"
    status, _headers, _body = emulator.call(QUERY, api_key=emulator.read_only_key)
    assert status == 401  # the startup read-only key was replaced
    emulator.configure(api_keys=["rotated-key-0001"])
    assert emulator.call(QUERY)[0] == 401
    assert emulator.call(QUERY, api_key="rotated-key-0001")[0] == 200
    with pytest.raises(ValueError):
        emulator.configure(api_keys=[])
    emulator.reset()
    assert emulator.call(QUERY)[0] == 200


def test_unauthorized_requests_are_logged_without_the_key(emulator):
    emulator.call(QUERY, api_key="wrong-key-123")
    entry = emulator.log()["requests"][0]
    assert entry["status"] == 401 and entry["operation_type"] == "query"
    assert "wrong-key-123" not in repr(emulator.log())
    assert emulator.log()["counters"]["unauthorized"] == 1
