# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from ansible_collections.tensorone.cloud.plugins.module_utils import _api, _runner

KEY = "sk-secret-123/+="


class FakeResponse:
    """A response with a JSON ``payload``, or with the ``text`` of a body that is not JSON."""

    def __init__(self, status, payload=None, headers=None, text=None):
        self.status_code = status
        self._payload = payload
        self.headers = headers or {}
        self.text = json.dumps(payload) if text is None and payload is not None else text or ""

    def json(self):
        if self._payload is None:
            # What requests raises for a body that is not JSON (a ValueError).
            return json.loads(self.text)
        return self._payload


HTML = {"Content-Type": "text/html; charset=UTF-8"}
GATEWAY_PAGE = "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
EDGE_1010 = FakeResponse(403, headers={"Content-Type": "text/plain; charset=UTF-8"}, text="error code: 1010")


def make_client(outcomes, retries=3):
    """A client whose session answers with ``outcomes`` in turn (responses or exceptions)."""
    slept = []
    client = _api.Client("https://api.example.test/graphql", KEY, retries=retries, sleep=slept.append)
    client.slept = slept
    queue = list(outcomes)

    def post(url, **kwargs):
        client.sent_bodies.append(kwargs["json"])
        outcome = queue.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    client.sent_bodies = []
    client.session.post = post
    return client


def url_error(cls, inner):
    return cls(MaxRetryError(None, "/graphql?api_key=%s" % KEY, inner))


def ok(data):
    return FakeResponse(200, {"data": data})


def test_backoff_grows_and_is_capped():
    assert 0.25 <= _api.backoff_delay(1, rand=lambda: 0.0) <= 0.5
    assert _api.backoff_delay(3, rand=lambda: 1.0) == 2.0
    assert _api.backoff_delay(20, rand=lambda: 1.0) == _api.BACKOFF_MAX
    assert _api.backoff_delay(1, retry_after=7, rand=lambda: 0.0) == 7


def test_sends_variables_and_returns_data():
    client = make_client([ok({"myself": {"id": "u"}})])
    assert client.execute("query Q($id: String!) { x }", {"id": "a\"}"}) == {"myself": {"id": "u"}}
    assert client.sent_bodies == [{"query": "query Q($id: String!) { x }", "variables": {"id": "a\"}"}}]
    assert client.session.params == {"api_key": KEY}
    assert client.session.headers["User-Agent"].startswith("tensorone.cloud/1.1.0")


@pytest.mark.parametrize(
    "transient",
    [
        FakeResponse(429, headers={"Retry-After": "2"}),
        FakeResponse(502),
        FakeResponse(503),
        FakeResponse(504),
        requests.exceptions.ReadTimeout("read timed out"),
        url_error(requests.exceptions.ConnectionError, NewConnectionError(None, "refused")),
    ],
)
def test_transient_failures_are_retried(transient):
    client = make_client([transient, ok({"a": 1})])
    assert client.execute("q") == {"a": 1}
    assert client.retries_done == 1 and client.requests_sent == 2


def test_retry_after_is_honoured():
    client = make_client([FakeResponse(429, headers={"Retry-After": "3"}), ok({})])
    client.execute("q")
    assert 3 <= client.slept[0] <= 3.5


def test_gives_up_after_api_retries_and_says_so():
    client = make_client([FakeResponse(503)] * 4, retries=3)
    with pytest.raises(_api.APIError) as info:
        client.execute("q")
    assert info.value.attempts == 4 and "gave up after 4 attempts (api_retries=3)" in info.value.message
    assert client.requests_sent == 4


@pytest.mark.parametrize(
    "response, kind",
    [
        (FakeResponse(401, {"errors": [{"message": "Unauthorized"}]}), "auth"),
        (FakeResponse(200, {"data": None, "errors": [{"message": "Unauthorized"}]}), "auth"),
        (FakeResponse(200, {"data": {"saveEndpoint": None}, "errors": [{"message": "Scaler value cannot be less than 1."}]}), "graphql"),
        (FakeResponse(400, {"errors": [{"message": "Cannot query field 'x'"}]}), "graphql"),
        (FakeResponse(500, None), "http"),
        (FakeResponse(500, {"errors": [{"message": "Something went wrong. Please try again later or contact support."}]}), "http"),
        (FakeResponse(200, None), "http"),
    ],
)
def test_permanent_failures_are_not_retried(response, kind):
    client = make_client([response])
    with pytest.raises(_api.APIError) as info:
        client.execute("q")
    assert info.value.kind == kind and client.requests_sent == 1


def test_api_messages_are_carried():
    client = make_client([FakeResponse(200, {"errors": [{"message": "Template not found"}, {"message": "second"}]})])
    with pytest.raises(_api.APIError, match="Template not found; second"):
        client.execute("q")


def test_lost_create_is_recovered_not_resent():
    lost = url_error(requests.exceptions.ConnectionError, ProtocolError("Connection aborted."))
    client = make_client([lost])
    recovered = client.execute("mutation", retry_safe=False, applied=lambda: {"id": "e1"})
    assert isinstance(recovered, _api.Recovered) and recovered.value == {"id": "e1"}
    assert client.requests_sent == 1


def test_lost_create_not_applied_is_sent_again():
    client = make_client([FakeResponse(502), ok({"saveEndpoint": {"id": "e2"}})])
    assert client.execute("mutation", retry_safe=False, applied=lambda: None) == {"saveEndpoint": {"id": "e2"}}
    assert client.requests_sent == 2


def test_rate_limited_create_is_retried_without_lookup():
    def applied():
        raise AssertionError("a 429 was not applied: no lookup needed")

    client = make_client([FakeResponse(429), ok({"saveEndpoint": {}})])
    client.execute("mutation", retry_safe=False, applied=applied)


@pytest.mark.parametrize(
    "exc",
    [
        url_error(requests.exceptions.ConnectionError, NewConnectionError(None, "Failed: https://h/graphql?api_key=%s" % KEY)),
        requests.exceptions.ReadTimeout("HTTPSConnectionPool: Read timed out. url=/graphql?api_key=%s" % KEY),
        requests.exceptions.SSLError("certificate verify failed for /graphql?api_key=%s" % KEY),
        requests.exceptions.InvalidURL("bad url /graphql?api_key=%s" % KEY),
    ],
)
def test_no_error_message_holds_the_key(exc):
    client = make_client([exc] * 3, retries=2)
    with pytest.raises(_api.APIError) as info:
        client.execute("q")
    assert KEY not in str(info.value) and "sk-secret" not in info.value.message
    assert "sk-secret" not in repr(info.value.as_failure())


def test_redact_hides_encoded_forms():
    client = make_client([])
    text = "x api_key=%s y %s z %s" % (KEY, requests.utils.quote(KEY, safe=""), "api_key=whatever&b=1")
    redacted = client.redact(text)
    assert "sk-secret" not in redacted and "whatever" not in redacted


def gateway_page(status, reason):
    return FakeResponse(status, headers=HTML, text=GATEWAY_PAGE % (("%d %s" % (status, reason),) * 2))


def assert_clean(error):
    """A message that says what came back, not the page, the parser's words or the key; no chained exception."""
    message = error.message
    assert "<" not in message and "cloudflare" not in message and "Expecting value" not in message
    assert KEY not in message and "api_key" not in message and len(message) < 400
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_http_agent_sets_the_user_agent():
    client = _api.Client("https://api.example.test/graphql", KEY, http_agent="Mozilla/5.0 (team build)")
    assert client.session.headers["User-Agent"] == "Mozilla/5.0 (team build)"
    for unset in (None, ""):
        assert _api.Client("https://api.example.test/graphql", KEY, http_agent=unset).session.headers["User-Agent"] == _api.USER_AGENT


class FilledModule:
    def __init__(self, **params):
        self.params = dict(dict(api_url=None, api_key=KEY, http_agent=None), **params)
        self.no_log_values = set()


@pytest.mark.parametrize(
    "option, environment, expected",
    [
        (None, None, _api.USER_AGENT),
        ("", None, _api.USER_AGENT),
        ("", "", _api.USER_AGENT),
        ("option-agent/1", None, "option-agent/1"),
        ("option-agent/1", "env-agent/2", "option-agent/1"),
        (None, "env-agent/2", "env-agent/2"),
        ("", "env-agent/2", "env-agent/2"),
    ],
)
def test_http_agent_option_then_environment_then_default(monkeypatch, option, environment, expected):
    monkeypatch.delenv("TENSORONE_HTTP_AGENT", raising=False)
    if environment is not None:
        monkeypatch.setenv("TENSORONE_HTTP_AGENT", environment)
    module = FilledModule(http_agent=option)
    _runner._fill_api_params(module)  # pylint: disable=protected-access
    assert module.params["http_agent"] == expected
    assert _runner.client_for(dict(module.params, api_timeout=30, api_retries=0, validate_certs=True)).session.headers["User-Agent"] == expected


@pytest.mark.parametrize("agent", ["two\nlines", "tab\there", " leading space", "trailing space ", "caf\u00e9/1", "nul\x00"])
def test_http_agent_that_cannot_be_a_header_is_refused_naming_the_option(agent):
    params = dict(api_url="https://api.example.test/graphql", api_key=KEY, api_timeout=30, api_retries=5, http_agent=agent)
    errors = _api.check_api_params(params)
    assert len(errors) == 1 and errors[0].startswith("http_agent ") and "TENSORONE_HTTP_AGENT" in errors[0]
    assert agent not in errors[0]


@pytest.mark.parametrize(
    "response, says",
    [
        (EDGE_1010, 'the text "error code: 1010"'),
        (
            FakeResponse(
                403,
                headers=HTML,
                text="<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>" + "x" * 5000 + "</body></html>",
            ),
            'an HTML page titled "Attention Required! | Cloudflare"',
        ),
        (FakeResponse(403), "an empty body"),
    ],
)
def test_a_403_that_is_not_json_is_the_edge_refusing_the_client(response, says):
    client = make_client([response] * 2)
    with pytest.raises(_api.APIError) as info:
        client.execute("q")
    error = info.value
    assert (error.kind, error.status, error.attempts, client.requests_sent) == ("http", 403, 1, 1)
    assert "edge (CDN) refused this client" in error.message and says in error.message
    assert "http_agent" in error.message and "TENSORONE_HTTP_AGENT" in error.message
    assert_clean(error)


def test_a_json_403_is_the_api_refusing_the_key():
    client = make_client([FakeResponse(403, {"errors": [{"message": "Forbidden"}]})])
    with pytest.raises(_api.APIError) as info:
        client.execute("q")
    assert (info.value.kind, info.value.status, info.value.details) == ("auth", 403, ["Forbidden"])
    assert "check api_key" in info.value.message and "edge" not in info.value.message


@pytest.mark.parametrize(
    "response, message",
    [
        (gateway_page(500, "Internal Server Error"), 'The API answered HTTP 500 with an HTML page titled "500 Internal Server Error"'),
        (
            FakeResponse(200, headers=HTML, text="<html><head><title>Tensor One</title></head><body>Welcome</body></html>"),
            'The API answered HTTP 200 with an HTML page titled "Tensor One", not a GraphQL response (is api_url the GraphQL API?)',
        ),
        # HTML without a Content-Type saying so; a title too long to quote.
        (
            FakeResponse(200, text="\n  <!doctype html><html><head><title>%s</title></head></html>" % ("Long " * 40)),
            "The API answered HTTP 200 with an HTML page, not a GraphQL response (is api_url the GraphQL API?)",
        ),
        (FakeResponse(200, text=""), "The API answered HTTP 200 with an empty body, not a GraphQL response (is api_url the GraphQL API?)"),
        (FakeResponse(200, text="  \r\n"), "The API answered HTTP 200 with an empty body, not a GraphQL response (is api_url the GraphQL API?)"),
        (FakeResponse(500, text="upstream\nconnect error"), "The API answered HTTP 500 with a body that is not JSON"),
        (FakeResponse(200, [1, 2]), "The API answered HTTP 200 with a body that is not a GraphQL response"),
    ],
)
def test_a_body_that_is_not_json_says_what_came_back(response, message):
    client = make_client([response])
    with pytest.raises(_api.APIError) as info:
        client.execute("q")
    assert (info.value.message, info.value.kind, client.requests_sent) == (message, "http", 1)
    assert_clean(info.value)


@pytest.mark.parametrize("status, reason", [(502, "Bad Gateway"), (503, "Service Unavailable"), (504, "Gateway Timeout")])
def test_a_gateway_page_is_retried_and_the_last_message_says_what_came_back(status, reason):
    client = make_client([gateway_page(status, reason)] * 3, retries=2)
    with pytest.raises(_api.APIError) as info:
        client.execute("q")
    assert info.value.message == (
        'The API answered HTTP %d with an HTML page titled "%d %s"; gave up after 3 attempts (api_retries=2)' % (status, status, reason)
    )
    assert (info.value.kind, info.value.status, info.value.attempts, client.requests_sent) == ("http", status, 3, 3)
    assert_clean(info.value)
    client = make_client([gateway_page(status, reason), ok({"a": 1})])
    assert client.execute("q") == {"a": 1} and client.retries_done == 1
