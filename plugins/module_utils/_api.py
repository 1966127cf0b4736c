# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the tensorone.cloud collection: it may change
# at any time, without notice, and is not meant to be used by anything else.

"""Transport to the Tensor One GraphQL API: HTTP, retries, errors and secrets."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import re
import time
from html import unescape
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_CORE_VERSION
from ansible.module_utils.basic import env_fallback

try:
    import requests
    from urllib3.exceptions import NewConnectionError

    HAS_REQUESTS = True
except ImportError:
    HAS_REQUESTS = False

# The collection's version: tests/unit holds it equal to galaxy.yml.
COLLECTION_VERSION = "1.1.0"
USER_AGENT = "tensorone.cloud/%s (ansible-core %s)" % (COLLECTION_VERSION, ANSIBLE_CORE_VERSION)
DEFAULT_API_URL = "https://api.tensorone.ai/graphql"

# Backoff between retries: BACKOFF_BASE * 2**(n-1) seconds, capped, with jitter.
BACKOFF_BASE = 0.5
BACKOFF_MAX = 30.0
# A Retry-After longer than this fails at once rather than blocking the play.
RETRY_AFTER_MAX = 120.0
RETRYABLE_STATUSES = (502, 503, 504)

# Upper bounds: a larger value is a slip, and would block a play for hours.
API_TIMEOUT_MAX = 600
API_RETRIES_MAX = 20

# The longest text of a body that is not JSON (a page's title, a one-line text) a message quotes.
BODY_QUOTE_MAX = 80
_HTML_START = re.compile(r"<(!doctype\s+html|html|head|body|title)\b", re.IGNORECASE)
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)

# api_url and http_agent have no argspec default and no fallback: an empty or
# null value means "not set" and the runner fills it (environment, then
# DEFAULT_API_URL or USER_AGENT) the same way on every ansible-core version.
# api_url is no_log: a URL can carry credentials, and messages name its host only.
API_ARGUMENT_SPEC = dict(
    api_key=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["TENSORONE_API_KEY"])),
    api_url=dict(type="str", no_log=True),
    http_agent=dict(type="str"),
    api_timeout=dict(type="int", default=30, fallback=(env_fallback, ["TENSORONE_API_TIMEOUT"])),
    api_retries=dict(type="int", default=5, fallback=(env_fallback, ["TENSORONE_API_RETRIES"])),
    validate_certs=dict(type="bool", default=True),
)


# ``failure.kind`` of a failure of the API or of the way to it.
API_FAILURE_KINDS = ("auth", "graphql", "http", "connection", "timeout", "rate_limit")


class APIError(Exception):
    """A failure of the API or of the way to it. The message never holds the key.

    ``kind`` is one of API_FAILURE_KINDS.
    ``details`` are the API's own error entries, when it sent any.
    """

    def __init__(self, message, kind, details=None, status=None, attempts=1):
        super(APIError, self).__init__(message)
        self.message = message
        self.kind = kind
        self.details = details or []
        self.status = status
        self.attempts = attempts

    def __str__(self):
        return self.message

    def as_failure(self):
        return dict(message=self.message, kind=self.kind, status=self.status, attempts=self.attempts, details=self.details)


class TransientError(APIError):
    """A failure that may pass if the request is sent again.

    ``applied_maybe`` is True when the request may have reached the service and
    been carried out (a lost response), so a retry of a create could duplicate it.
    """

    def __init__(self, message, kind, applied_maybe, status=None, retry_after=None):
        super(TransientError, self).__init__(message, kind, status=status)
        self.applied_maybe = applied_maybe
        self.retry_after = retry_after


def backoff_delay(retry_number, retry_after=None, rand=random.random):
    """Seconds to wait before retry number ``retry_number`` (1-based)."""
    if retry_after is not None:
        # The service said when; a little jitter keeps parallel clients apart.
        return retry_after + rand() * 0.5
    delay = min(BACKOFF_MAX, BACKOFF_BASE * (2 ** (retry_number - 1)))
    return delay / 2 + rand() * delay / 2


def parse_retry_after(value):
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


class Recovered:
    """What ``Client.execute`` returns for an operation whose response was lost but which the
    caller's look-up found applied: ``value`` is what the look-up found."""

    def __init__(self, value):
        self.value = value


class Client:
    """One session to the API for one module run."""

    def __init__(self, url, api_key, timeout=30, retries=5, validate_certs=True, sleep=time.sleep, http_agent=None):
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.validate_certs = validate_certs
        self.sleep = sleep
        self.requests_sent = 0
        self.retries_done = 0
        self.redact = redactor(api_key, url)
        self._host = url_host(url)
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": http_agent or USER_AGENT, "Content-Type": "application/json", "Accept": "application/json"})
        # The documented way to pass the key; the URL that carries it is never printed.
        self.session.params = {"api_key": api_key}

    def execute(self, document, variables=None, retry_safe=True, applied=None):
        """Send one GraphQL operation and return its ``data``, retrying transient failures.

        ``retry_safe=False`` marks an operation that must not run twice (a create).
        After a failure that may have been applied, ``applied()`` looks for what it
        would have done (a fresh read): if it finds it, ``execute`` returns it as a
        ``Recovered``; if it returns None, the operation is sent again.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._send(document, variables)
            except TransientError as exc:
                if exc.applied_maybe and not retry_safe:
                    if applied is None:
                        exc.attempts = attempt
                        raise
                    found = applied()
                    if found is not None:
                        return Recovered(found)
                if attempt > self.retries:
                    raise APIError(
                        "%s; gave up after %d attempts (api_retries=%d)" % (exc.message, attempt, self.retries), exc.kind, status=exc.status, attempts=attempt
                    ) from None
                if exc.retry_after is not None and exc.retry_after > RETRY_AFTER_MAX:
                    raise APIError(
                        "%s; the API asks to wait %d seconds before retrying" % (exc.message, exc.retry_after), exc.kind, status=exc.status, attempts=attempt
                    ) from None
                self.retries_done += 1
                self.sleep(backoff_delay(attempt, exc.retry_after))
            except APIError as exc:
                exc.attempts = attempt
                raise

    def _send(self, document, variables):
        body = {"query": document, "variables": variables or {}}
        self.requests_sent += 1
        try:
            response = self.session.post(self.url, json=body, timeout=self.timeout, verify=self.validate_certs)
        except requests.exceptions.ConnectTimeout:
            raise TransientError("Timed out connecting to %s" % self._host, "timeout", applied_maybe=False) from None
        except requests.exceptions.Timeout:
            raise TransientError("No response from %s within api_timeout (%ss)" % (self._host, self.timeout), "timeout", applied_maybe=True) from None
        except requests.exceptions.SSLError as exc:
            raise APIError("TLS error talking to %s (see validate_certs): %s" % (self._host, self._reason(exc)), "connection") from None
        except requests.exceptions.ConnectionError as exc:
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            refused = isinstance(reason, NewConnectionError)
            action = "connect to" if refused else "get a response from"
            raise TransientError("Could not %s %s: %s" % (action, self._host, self._reason(exc)), "connection", applied_maybe=not refused) from None
        except requests.exceptions.RequestException as exc:
            raise APIError("Request to %s failed: %s" % (self._host, self._reason(exc)), "connection") from None
        return read_reply(response)

    def _reason(self, exc):
        """A short, key-free reason from a requests exception (its text carries the URL)."""
        cause = exc.args[0] if exc.args else exc
        cause = getattr(cause, "reason", None) or cause  # urllib3 wraps the real cause
        text = re.sub(r"<[^>]*>:?\s*", "", str(cause))  # drop object reprs
        return self.redact(text.strip()) or type(cause).__name__


def read_reply(response):
    """The ``data`` of an HTTP answer of the API, or the failure it is (APIError, TransientError)."""
    status = response.status_code
    body = None  # what came back, when it is not JSON (the API always answers JSON)
    try:
        payload = response.json()
    except ValueError:
        payload, body = None, describe_body(response)
    messages = _error_messages(payload)
    if status == 403 and body is not None:
        # Not the API: the CDN in front of it, which refuses some clients by their User-Agent
        # (HTTP 403, "error code: 1010"). Sending it again would meet the same refusal.
        raise APIError(
            "The service's edge (CDN) refused this client with HTTP 403 and %s, before the request reached "
            "the API: it may refuse the User-Agent; set the http_agent option (or the TENSORONE_HTTP_AGENT "
            "environment variable) to another value" % body,
            "http",
            status=status,
        )
    if status in (401, 403):
        raise APIError(
            "Authentication failed (HTTP %d): check api_key (or the TENSORONE_API_KEY environment variable)" % status,
            "auth",
            details=messages,
            status=status,
        )
    if status == 429:
        raise TransientError(
            "Rate limited by the API (HTTP 429)",
            "rate_limit",
            applied_maybe=False,
            status=status,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    came_back = " with %s" % body if body is not None else _joined(messages)
    if status in RETRYABLE_STATUSES:
        raise TransientError("The API answered HTTP %d%s" % (status, came_back), "http", applied_maybe=True, status=status)
    if status == 200 and body is not None:
        raise APIError("The API answered HTTP 200%s, not a GraphQL response (is api_url the GraphQL API?)" % came_back, "http", status=status)
    if status != 200 or not isinstance(payload, dict):
        # graphql: the service looked at the GraphQL and refused it (HTTP 400: a validation error). Any
        # other status is a failure of the service or of the way to it, whatever its body says.
        raise APIError(
            "The API answered HTTP %d%s" % (status, came_back or " with a body that is not a GraphQL response"),
            "graphql" if messages and status == 400 else "http",
            details=messages,
            status=status,
        )
    if messages:
        if any(m == "Unauthorized" for m in messages):
            raise APIError(
                "The API refused the operation as unauthorized: the api_key may be read-only or lack this permission",
                "auth",
                details=messages,
                status=status,
            )
        raise APIError("The API returned an error%s" % _joined(messages), "graphql", details=messages, status=status)
    return payload.get("data") or {}


def describe_body(response):
    """What a body that is not JSON holds, in a few words for a message: never the body itself,
    only an HTML page's title or a one-line text, when short."""
    text = (response.text or "").strip()
    if not text:
        return "an empty body"
    content_type = str(response.headers.get("Content-Type") or "").lower()
    if "html" in content_type or _HTML_START.match(text):
        match = _HTML_TITLE.search(text)
        title = _quotable(unescape(match.group(1))) if match else None
        return 'an HTML page titled "%s"' % title if title else "an HTML page"
    quoted = _quotable(text) if "\n" not in text else None
    return 'the text "%s"' % quoted if quoted else "a body that is not JSON"


def _quotable(text):
    """``text`` with its whitespace collapsed, if it is short and printable; else None."""
    text = " ".join(text.split())
    return text if 0 < len(text) <= BODY_QUOTE_MAX and text.isprintable() else None


def _error_messages(payload):
    if not isinstance(payload, dict) or not isinstance(payload.get("errors"), list):
        return []
    return [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in payload["errors"]]


def _joined(messages):
    return ": " + "; ".join(messages) if messages else ""


def url_host(url):
    """host[:port] of a URL, never its credentials; for messages."""
    parts = urlsplit(url)
    host = parts.hostname or "the API"
    if ":" in host:
        host = "[%s]" % host
    return "%s:%d" % (host, parts.port) if parts.port else host


def redactor(api_key, api_url):
    """A function that masks the key (as given and URL-encoded) and a URL's credentials in a text."""
    secrets = set([api_key or "", quote(api_key or "", safe=""), quote_plus(api_key or "")])
    try:
        parts = urlsplit(api_url or "")
        secrets.update([parts.username or "", parts.password or ""])
    except ValueError:
        pass
    secrets = sorted((s for s in secrets if len(s) > 0), key=len, reverse=True)

    def redact(text):
        text = str(text)
        for secret in secrets:
            text = text.replace(secret, "********")
        return re.sub(r"(api_key=)[^&\s'\")]*", r"\1********", text)

    return redact


def check_api_params(params):
    """Messages, each naming its option, for API options the module cannot use; never the values."""
    errors = []
    if not 1 <= params["api_timeout"] <= API_TIMEOUT_MAX:
        errors.append("api_timeout must be between 1 and %d seconds, got %d" % (API_TIMEOUT_MAX, params["api_timeout"]))
    if not 0 <= params["api_retries"] <= API_RETRIES_MAX:
        errors.append("api_retries must be between 0 and %d, got %d" % (API_RETRIES_MAX, params["api_retries"]))
    errors.extend(_url_errors(params["api_url"]))
    if not _is_header_value(params.get("http_agent") or USER_AGENT):
        errors.append(
            "http_agent (or the TENSORONE_HTTP_AGENT environment variable) must be one line of printable ASCII characters, without leading or trailing spaces"
        )
    if params["api_key"] is None:
        errors.append("api_key is required: set it or the TENSORONE_API_KEY environment variable")
    elif not params["api_key"]:
        # Set, but empty (an empty variable, or a null that Ansible made ""): the environment is not used then.
        errors.append(
            "api_key is set but empty, so the TENSORONE_API_KEY environment variable is not used: give api_key "
            "a value, or leave it out (for example with omit) to use the environment variable"
        )
    return errors


def _is_header_value(value):
    """Whether ``value`` can be sent as an HTTP header value as it is (RFC 9110: visible ASCII and inner spaces)."""
    return value == value.strip(" ") and all(" " <= char <= "~" for char in value)


def _url_errors(url):
    try:
        parts = urlsplit(url)
        parts.port  # pylint: disable=pointless-statement  # raises ValueError for a port out of range
    except ValueError:
        return ["api_url is not a valid URL"]
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ["api_url must be an http(s) URL with a host"]
    if any(name.lower() == "api_key" for name, _value in parse_qsl(parts.query, keep_blank_values=True)):
        return ["api_url must not carry an api_key query parameter: set the api_key option (or the TENSORONE_API_KEY environment variable) instead"]
    return []


def api_calls(client):
    """What a module run cost in requests, for its result."""
    return dict(requests=client.requests_sent, retries=client.retries_done)
