# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Fault injection: 429, 5xx, reset, latency, drop_after_apply, myself_null;
# determinism from the seed; faulted requests that were not applied change nothing.

import http.client
import time

import pytest
import requests

from ansible_collections.tensorone.cloud.tests.unit.emulator.accounts import EMPTY_STATE

QUERY = "{ myself { endpoints { id } } }"
SAVE = "mutation Save($input: EndpointInput!) { saveEndpoint(input: $input) { id name workersMax } }"
DELETE = "mutation Delete($id: String!) { deleteEndpoint(id: $id) }"
VALID = {"name": "faulty", "templateId": "tmpl", "gpuIds": "AMPERE_16"}
GENERIC = "Something went wrong. Please try again later or contact support."
CONNECTION_DROPPED = (http.client.RemoteDisconnected, ConnectionError)


def test_429_with_retry_after_and_rate_limit_headers(emulator):
    emulator.set_faults(rate_429=1.0)
    before = int(time.time())
    status, headers, body = emulator.call(SAVE, {"input": VALID})
    assert (status, body) == (429, {"errors": [{"message": "Too many requests"}]})
    assert headers["Retry-After"] == "1"
    assert headers["X-RateLimit-Limit"] == "1000" and headers["X-RateLimit-Remaining"] == "0"
    assert before + 1 <= int(headers["X-RateLimit-Reset"]) <= int(time.time()) + 1
    emulator.set_faults(rate_429=1.0, retry_after=7)
    assert emulator.call(QUERY)[1]["Retry-After"] == "7"
    assert emulator.state() == EMPTY_STATE
    entry = emulator.log()["requests"][0]
    assert (entry["status"], entry["fault"], entry["applied"], entry["mutation_kind"]) == (429, "429", False, "create")


def test_5xx_statuses_and_generic_text(emulator):
    emulator.set_faults(rate_5xx=1.0, seed=3)
    seen = set()
    for _attempt in range(30):
        status, _headers, body = emulator.call(SAVE, {"input": VALID})
        assert status in (502, 503, 504)
        assert body == {"errors": [{"message": GENERIC}]}
        seen.add(status)
    assert seen == {502, 503, 504}
    emulator.set_faults(rate_5xx=1.0, statuses_5xx=[500])
    assert emulator.call(QUERY)[0] == 500
    assert emulator.state() == EMPTY_STATE
    assert emulator.log()["counters"]["faults"] == 31


def post(emulator, query, variables=None):
    """A request whose answer may not be JSON (emulator.call parses it)."""
    return requests.post(emulator.graphql_url, params={"api_key": emulator.api_key}, json={"query": query, "variables": variables or {}}, timeout=10)


def test_edge_403_is_the_cdn_refusing_the_client(emulator):
    emulator.set_faults(rate_edge_403=1.0)
    response = post(emulator, SAVE, {"input": VALID})
    assert (response.status_code, response.text) == (403, "error code: 1010")
    assert response.headers["Content-Type"] == "text/plain; charset=UTF-8"
    # Before authentication, like every fault: a bad key meets the same refusal.
    refused = requests.post(emulator.graphql_url, params={"api_key": "wrong-key-123456"}, json={"query": QUERY}, timeout=10)
    assert (refused.status_code, refused.text) == (403, "error code: 1010")
    assert emulator.state() == EMPTY_STATE
    entries = emulator.log()["requests"]
    assert [(e["status"], e["fault"], e["applied"]) for e in entries] == [(403, "edge_403", False)] * 2
    assert emulator.log()["counters"]["faults"] == 2 and emulator.log()["counters"]["unauthorized"] == 0


@pytest.mark.parametrize("status, title", [(502, "502 Bad Gateway"), (500, "500 Internal Server Error"), (504, "504 Gateway Timeout")])
def test_5xx_with_a_gateway_html_page(emulator, status, title):
    emulator.set_faults(rate_5xx=1.0, statuses_5xx=[status], body_5xx="html")
    response = post(emulator, SAVE, {"input": VALID})
    assert response.status_code == status and response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert "<title>%s</title>" % title in response.text and "<h1>%s</h1>" % title in response.text
    assert emulator.state() == EMPTY_STATE
    entry = emulator.log()["requests"][0]
    assert (entry["status"], entry["fault"], entry["applied"]) == (status, "5xx", False)
    emulator.set_faults(rate_5xx=1.0, statuses_5xx=[status])  # body_5xx json again, the default
    assert post(emulator, QUERY).json() == {"errors": [{"message": GENERIC}]}


def test_html_200_is_a_web_page_where_the_api_should_be(emulator):
    emulator.set_faults(rate_html_200=1.0)
    response = post(emulator, SAVE, {"input": VALID})
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert response.text.startswith("<!DOCTYPE html>") and "<title>Tensor One</title>" in response.text
    assert emulator.state() == EMPTY_STATE
    entry = emulator.log()["requests"][0]
    assert (entry["status"], entry["fault"], entry["applied"], entry["mutation_kind"]) == (200, "html_200", False, "create")


def test_the_five_rates_share_one_draw(emulator):
    emulator.set_faults(rate_reset=0.2, rate_429=0.2, rate_5xx=0.2, rate_edge_403=0.2, rate_html_200=0.2, seed=5)
    for _attempt in range(60):
        try:
            post(emulator, QUERY)
        except requests.exceptions.ConnectionError:
            pass
    faults = set(e["fault"] for e in emulator.log()["requests"])
    assert faults == {"reset", "429", "5xx", "edge_403", "html_200"}


def test_reset_closes_without_response_and_applies_nothing(emulator):
    emulator.set_faults(rate_reset=1.0)
    with pytest.raises(CONNECTION_DROPPED):
        emulator.call(SAVE, {"input": VALID})
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(emulator.graphql_url, params={"api_key": emulator.api_key}, json={"query": QUERY}, timeout=10)
    assert emulator.state() == EMPTY_STATE
    entries = emulator.log()["requests"]
    assert [(e["status"], e["fault"], e["applied"]) for e in entries] == [(None, "reset", False)] * 2


def test_latency(emulator):
    emulator.set_faults(latency_ms=150)
    started = time.monotonic()
    assert emulator.call(QUERY)[0] == 200
    assert time.monotonic() - started >= 0.15
    started = time.monotonic()
    emulator.state()  # control operations are never delayed
    assert time.monotonic() - started < 0.1


def test_drop_after_apply_create_really_creates(emulator):
    emulator.set_faults(drop_after_apply=["create"])
    with pytest.raises(CONNECTION_DROPPED):
        emulator.call(SAVE, {"input": VALID})
    assert [e["name"] for e in emulator.state()["endpoints"]] == ["faulty"]
    entry = emulator.log()["requests"][-1]
    assert (entry["status"], entry["fault"], entry["applied"], entry["mutation_kind"]) == (None, "drop_after_apply", True, "create")
    # One-shot: the next create is answered (and refused: the name is taken now).
    status, _headers, body = emulator.call(SAVE, {"input": VALID})
    assert status == 200 and body["errors"][0]["message"] == 'An endpoint named "faulty" already exists.'
    assert emulator.faults()["drop_after_apply"] == []


def test_drop_after_apply_update_really_updates(api, emulator):
    endpoint = api.create(**VALID)
    emulator.set_faults(drop_after_apply=["update"])
    api.create(name="another")  # a create is not an update: answered normally
    with pytest.raises(CONNECTION_DROPPED):
        emulator.call(SAVE, {"input": dict(VALID, id=endpoint["id"], workersMax=0)})
    assert emulator.state()["endpoints"][0]["workersMax"] == 0
    assert api.update(**dict(VALID, id=endpoint["id"], workersMax=1))["workersMax"] == 1


def test_drop_after_apply_delete_really_deletes(api, emulator):
    endpoint = api.create(workersMax=0, **VALID)
    emulator.set_faults(drop_after_apply=["delete", "create"])
    with pytest.raises(CONNECTION_DROPPED):
        emulator.call(DELETE, {"id": endpoint["id"]})
    assert emulator.state() == EMPTY_STATE
    assert emulator.faults()["drop_after_apply"] == ["create"]


def test_drop_after_apply_waits_for_a_mutation_that_applies(api, emulator):
    emulator.set_faults(drop_after_apply=["create"])
    assert api.save_error(name="xyz") == "templateId is required."  # refused: not applied, not dropped
    status, _headers, body = emulator.call(SAVE, {"input": VALID}, api_key=emulator.read_only_key)
    assert status == 200 and body["errors"][0]["message"] == "Unauthorized"
    with pytest.raises(CONNECTION_DROPPED):
        emulator.call(SAVE, {"input": VALID})
    assert len(emulator.state()["endpoints"]) == 1


def test_myself_null(api, emulator):
    api.create(**VALID)
    emulator.set_faults(myself_null=True)
    status, _headers, body = emulator.call(QUERY)
    assert (status, body) == (200, {"data": {"myself": None}})
    emulator.set_faults()
    assert len(emulator.call(QUERY)[2]["data"]["myself"]["endpoints"]) == 1


def outcomes(server, count=40):
    results = []
    for _index in range(count):
        try:
            results.append(server.call(QUERY)[0])
        except CONNECTION_DROPPED:
            results.append("reset")
    return results


MIXED = {"rate_429": 0.2, "rate_5xx": 0.3, "rate_reset": 0.1}


def test_faults_are_deterministic_from_the_seed(emulator_factory):
    first, same, other = emulator_factory(seed=11), emulator_factory(seed=11), emulator_factory(seed=12)
    for server in (first, same, other):
        server.set_faults(**MIXED)
    sequence = outcomes(first)
    assert set(sequence) == {200, 429, 502, 503, 504, "reset"}
    assert outcomes(same) == sequence
    assert outcomes(other) != sequence
    # An explicit seed restarts the sequence, whatever ran before.
    first.set_faults(seed=5, **MIXED)
    reseeded = outcomes(first)
    first.set_faults(seed=5, **MIXED)
    assert outcomes(first) == reseeded
    # reset() clears the faults and restores the startup seed.
    first.reset()
    assert outcomes(first, 5) == [200] * 5
    first.reset()
    first.set_faults(**MIXED)
    assert outcomes(first, 10) == sequence[:10]


def test_rates_are_roughly_honoured(emulator):
    emulator.set_faults(rate_429=0.25, seed=1)
    statuses = [emulator.call(QUERY)[0] for _attempt in range(200)]
    assert 30 <= statuses.count(429) <= 70


def test_control_paths_are_never_faulted(emulator):
    emulator.set_faults(rate_reset=1.0, latency_ms=500)
    started = time.monotonic()
    response = requests.get(emulator.url + "/_emulator/health", timeout=10)
    assert (response.status_code, response.json()) == (200, {"ok": True})
    assert requests.get(emulator.url + "/_emulator/state", timeout=10).status_code == 200
    assert time.monotonic() - started < 0.4
    assert emulator.log()["requests"] == []


@pytest.mark.parametrize(
    "settings",
    [
        {"rate_429": 1.5},
        {"rate_429": 0.6, "rate_5xx": 0.6},
        {"rate_reset": "0.1"},
        {"latency_ms": -1},
        {"retry_after": 1.5},
        {"statuses_5xx": [404]},
        {"statuses_5xx": []},
        {"drop_after_apply": ["upsert"]},
        {"drop_after_apply": "create"},
        {"myself_null": 1},
        {"no_such_fault": 1},
        {"seed": [1]},
        {"rate_edge_403": 2},
        {"rate_html_200": 0.6, "rate_edge_403": 0.6},
        {"rate_5xx": 0.5, "rate_html_200": 0.6},
        {"body_5xx": "xml"},
        {"body_5xx": None},
    ],
)
def test_bad_fault_settings_are_refused_and_change_nothing(emulator, settings):
    emulator.set_faults(rate_429=0.5)
    with pytest.raises(ValueError):
        emulator.set_faults(**settings)
    response = requests.post(emulator.url + "/_emulator/faults", json=settings, timeout=10)
    assert response.status_code == 400 and "error" in response.json()
    assert emulator.faults()["rate_429"] == 0.5


def test_fault_settings_replace_and_describe(emulator):
    described = emulator.set_faults(rate_5xx=0.5, drop_after_apply=["update", "create"], seed=9)
    assert described == {
        "rate_429": 0.0,
        "rate_5xx": 0.5,
        "rate_reset": 0.0,
        "rate_edge_403": 0.0,
        "rate_html_200": 0.0,
        "latency_ms": 0,
        "retry_after": 1,
        "statuses_5xx": [502, 503, 504],
        "body_5xx": "json",
        "drop_after_apply": ["create", "update"],
        "myself_null": False,
        "seed": 9,
    }
    response = requests.post(emulator.url + "/_emulator/faults", json={}, timeout=10)
    assert response.json()["rate_5xx"] == 0.0 and response.json()["drop_after_apply"] == []
    assert requests.get(emulator.url + "/_emulator/faults", timeout=10).json() == response.json()
