# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from ansible_collections.tensorone.cloud.plugins.module_utils import _api

KEY = "sk-secret-123/+="


class FakeResponse:
    def __init__(self, status, payload=None, headers=None):
        self.status_code = status
        self._payload = payload
        self.headers = headers or {}

    def json(self):
        if self._payload is None:
            raise ValueError("no json")
        return self._payload


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
    assert client.session.headers["User-Agent"].startswith("tensorone.cloud/1.0.0")


@pytest.mark.parametrize("transient", [
    FakeResponse(429, headers={"Retry-After": "2"}),
    FakeResponse(502), FakeResponse(503), FakeResponse(504),
    requests.exceptions.ReadTimeout("read timed out"),
    url_error(requests.exceptions.ConnectionError, NewConnectionError(None, "refused")),
])
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


@pytest.mark.parametrize("response, kind", [
    (FakeResponse(401, {"errors": [{"message": "Unauthorized"}]}), "auth"),
    (FakeResponse(200, {"data": None, "errors": [{"message": "Unauthorized"}]}), "auth"),
    (FakeResponse(200, {"data": {"saveEndpoint": None}, "errors": [{"message": "Scaler value cannot be less than 1."}]}), "graphql"),
    (FakeResponse(400, {"errors": [{"message": "Cannot query field 'x'"}]}), "graphql"),
    (FakeResponse(500, None), "http"),
    (FakeResponse(500, {"errors": [{"message": "Something went wrong. Please try again later or contact support."}]}), "http"),
    (FakeResponse(200, None), "http"),
])
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
    assert client.execute("mutation", retry_safe=False, applied=lambda: True) is None
    assert client.requests_sent == 1


def test_lost_create_not_applied_is_sent_again():
    client = make_client([FakeResponse(502), ok({"saveEndpoint": {"id": "e2"}})])
    assert client.execute("mutation", retry_safe=False, applied=lambda: False) == {"saveEndpoint": {"id": "e2"}}
    assert client.requests_sent == 2


def test_rate_limited_create_is_retried_without_lookup():
    def applied():
        raise AssertionError("a 429 was not applied: no lookup needed")
    client = make_client([FakeResponse(429), ok({"saveEndpoint": {}})])
    client.execute("mutation", retry_safe=False, applied=applied)


@pytest.mark.parametrize("exc", [
    url_error(requests.exceptions.ConnectionError, NewConnectionError(None, "Failed: https://h/graphql?api_key=%s" % KEY)),
    requests.exceptions.ReadTimeout("HTTPSConnectionPool: Read timed out. url=/graphql?api_key=%s" % KEY),
    requests.exceptions.SSLError("certificate verify failed for /graphql?api_key=%s" % KEY),
    requests.exceptions.InvalidURL("bad url /graphql?api_key=%s" % KEY),
])
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
