# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The emulated service, independent of the HTTP server: one call per request
# (handle_request) returns a Reply; the control operations are plain methods.
# One re-entrant lock serialises every state change, so the threaded HTTP
# server needs no locking of its own. CONTRACT.md is what it implements.

import collections
import copy
import http.client
import json
import os
import re
import threading
import time
from urllib.parse import parse_qs

from graphql import GraphQLError, build_ast_schema, execute_sync, parse, validate
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    VariableNode,
)

from . import control_routes, persistence
from .faults import FAULT_429, FAULT_DROP, FAULT_EDGE_403, FAULT_HTML_200, FAULT_RESET, Faults
from .state import MUTATION_KINDS, MUTATIONS, TEMPLATE_RECENT_USE_SECONDS, USER_ID, WRITE_ONLY_INPUTS, ApiError, Store
from .workers import DEFAULT_SETTINGS, check_settings

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema.graphql")
# The profiles: "full" (the default) serves schema.graphql, the real schema;
# "documented" the same types with only the fields Tensor One's page shows
# (type name -> fields kept; types not named here are left out). Of
# templates the page documents saveTemplate only (create a serverless
# template, modify it), with the fields its examples show; no template read
# and no delete, so podTemplates, deleteTemplate and Endpoint.template fail
# validation there.
DOCUMENTED_FIELDS = {
    "Query": ("myself",),
    "Mutation": ("saveEndpoint", "deleteEndpoint", "saveTemplate"),
    "User": ("id", "endpoints", "endpoint", "serverlessDiscount"),
    "Discount": ("discountFactor", "type", "expirationDate"),
    "DiscountType": None,
    "Endpoint": (
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
        "clusters",
    ),
    "EndpointInput": (
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
    ),
    "Cluster": ("id", "desiredStatus"),
    "ClusterStatus": None,
    "EnvironmentVariable": None,
    "EnvironmentVariableInput": None,
    "PodTemplate": ("id", "name", "imageName", "containerDiskInGb", "volumeInGb", "dockerArgs", "env", "isServerless", "readme"),
    "SaveTemplateInput": ("id", "name", "imageName", "containerDiskInGb", "volumeInGb", "dockerArgs", "env", "isServerless", "readme"),
}
PROFILES = ("full", "documented")
DEFAULT_PROFILE = "full"
DISCOUNT_TYPES = ("SERVERLESS", "SERVERLESS_LO_VRAM", "SERVERLESS_HI_VRAM")
GRAPHQL_PATH = "/graphql"
# The data plane's health call, GET <base>/v2/<endpoint id>/health: the request log's operation_type for it.
HEALTH_PATH = re.compile(r"^/v2/([^/]+)/health$")
HEALTH = "health"

UNAUTHORIZED = "Unauthorized"
MSG_HEALTH_NOT_FOUND = "Endpoint not found"
TOO_MANY_REQUESTS = "Too many requests"
GENERIC_ERROR = "Something went wrong. Please try again later or contact support."
RATE_LIMIT = 1000  # X-RateLimit-Limit: the order of the published read limit per hour
REDACTED = "<redacted>"
# Environment values (EndpointInput.env, SaveTemplateInput.env) may be secrets whatever they are called:
# the log keeps their names and masks every value. A mask is not a redaction: "<redacted>" in the log
# still means that a credential reached the emulator.
MASKED = "<masked>"
ENV_FIELD = "env"
MIN_SCRUB_LENGTH = 6

MAX_BODY_BYTES = 1024 * 1024
LOG_LIMIT = 10000  # oldest entries are dropped past this; counters keep counting
DOCUMENT_CACHE_SIZE = 256

COUNTER_NAMES = (
    ("requests", "queries", "mutations", "applied_mutations")
    + MUTATION_KINDS
    + tuple("applied_" + kind for kind in MUTATION_KINDS)
    + ("health", "faults", "unauthorized")
)

# A variable whose NAME looks like a credential is redacted whatever its value.
_SECRET_NAME = re.compile(r"api[_-]?key|(^|_)key$|token|secret|passw|authori[sz]ation|credential|bearer", re.IGNORECASE)

# The CDN in front of the service refusing a client by its User-Agent (observed: HTTP 403, this text).
EDGE_403_BODY = "error code: 1010"
# A gateway's error page (the shape of the CDN's own pages), and a web page where the API should be
# (what a wrong URL, a portal or a maintenance page answers); the texts are chosen.
GATEWAY_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)
WEB_PAGE = (
    '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Tensor One</title></head>\n'
    "<body><h1>Tensor One</h1><p>GPU cloud for AI.</p></body>\n</html>\n"
)
TEXT_PLAIN = "text/plain; charset=UTF-8"
TEXT_HTML = "text/html; charset=UTF-8"

# body None = close the connection without sending any response. A reply without
# a Content-Type header is JSON (the server adds the header).
Reply = collections.namedtuple("Reply", ["status", "headers", "body"])


def json_reply(status, payload, headers=None):
    return Reply(status, list(headers or []), json.dumps(payload).encode("utf-8"))


def _errors_reply(status, message, headers=None):
    return json_reply(status, {"errors": [{"message": message}]}, headers)


def _text_reply(status, content_type, text):
    return Reply(status, [("Content-Type", content_type)], text.encode("utf-8"))


def _gateway_page(status):
    return _text_reply(status, TEXT_HTML, GATEWAY_PAGE.format(status=status, reason=http.client.responses.get(status, "Error")))


class _Prepared:
    """A query text parsed and validated once (graphql-core), then cached."""

    __slots__ = ("document", "errors", "fragments")

    def __init__(self, document, errors):
        self.document = document
        self.errors = errors
        self.fragments = {}
        if document is not None:
            self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


class DocumentCache:
    """LRU of prepared documents keyed by query text.

    Clients send the same few query texts over and over (values travel as
    variables), so parse + validate, the costliest part of a request, runs
    once per text.
    """

    def __init__(self, schema, size=DOCUMENT_CACHE_SIZE):
        self._schema = schema
        self._size = size
        self._entries = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, query):
        with self._lock:
            prepared = self._entries.get(query)
            if prepared is not None:
                self._entries.move_to_end(query)
                return prepared
        # Prepared outside the lock: two threads racing on a new text just
        # both prepare it, which is harmless.
        try:
            document = parse(query)
        except GraphQLError as error:
            prepared = _Prepared(None, [error])
        else:
            prepared = _Prepared(document, validate(self._schema, document))
        with self._lock:
            self._entries[query] = prepared
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return prepared


def _select_operation(document, operation_name):
    """The operation graphql-core would run, or None (it then reports the error)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    return None


def _root_fields(selection_set, fragments, seen):
    """Top-level field nodes of an operation, through fragments."""
    fields = []
    for selection in selection_set.selections or ():
        if isinstance(selection, FieldNode):
            fields.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            fields.extend(_root_fields(selection.selection_set, fragments, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            # `seen` guards against cycles in documents that failed validation.
            if name in fragments and name not in seen:
                seen.add(name)
                fields.extend(_root_fields(fragments[name].selection_set, fragments, seen))
    return fields


def _mutation_kind(field, variables):
    """create/update/delete from the document alone (for requests never executed)."""
    mutation = MUTATIONS.get(field.name.value)
    if mutation is None:
        return None
    if mutation.update_kind is None:
        return mutation.kind
    create, update = mutation.kind, mutation.update_kind
    # graphql-core 3.3 leaves absent lists as None, 3.2 as empty lists.
    for argument in field.arguments or ():
        if argument.name.value != "input":
            continue
        value = argument.value
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            return update if isinstance(given, dict) and given.get("id") is not None else create
        if isinstance(value, ObjectValueNode):
            for item in value.fields or ():
                if item.name.value == "id":
                    if isinstance(item.value, NullValueNode):
                        return create
                    if isinstance(item.value, VariableNode):
                        return create if variables.get(item.value.name.value) is None else update
                    return update
    return create


def _redact(value, secrets):
    """Copy of request variables with credentials removed and environment values masked (for the log)."""
    if isinstance(value, dict):
        return dict((key, _redact_field(key, item, secrets)) for key, item in value.items())
    if isinstance(value, list):
        return [_redact(item, secrets) for item in value]
    if isinstance(value, str):
        return _scrub(value, secrets)
    return value


def _redact_field(name, value, secrets):
    if name in WRITE_ONLY_INPUTS:
        # A registry password, a secret's value: sent on purpose, never shown.
        return None if value is None else MASKED
    if _SECRET_NAME.search(str(name)):
        return REDACTED
    if name == ENV_FIELD:
        return _mask_env(value, secrets)
    return _redact(value, secrets)


def _mask_env(env, secrets):
    """An env list with its names kept and every value masked; anything of another shape masked whole."""
    if env is None:
        return None
    if not isinstance(env, list):
        return MASKED
    return [_mask_env_item(item, secrets) for item in env]


def _mask_env_item(item, secrets):
    if item is None:
        return None
    if not isinstance(item, dict):
        return MASKED
    return dict((field, _redact(value, secrets) if field == "key" else None if value is None else MASKED) for field, value in item.items())


def _scrub(text, secrets):
    """A string with every known or presented key replaced."""
    if text is None:
        return None
    if text in secrets:
        return REDACTED
    for secret in secrets:
        # Substrings only for keys long enough to be told from ordinary
        # text; a 1-character test key would otherwise mangle everything.
        if secret and len(secret) >= MIN_SCRUB_LENGTH and secret in text:
            text = text.replace(secret, REDACTED)
    if text.lower().startswith("bearer "):
        return REDACTED
    return text


_SHARED = {}
_SHARED_LOCK = threading.Lock()


def _shared_schema(profile):
    """(schema, document cache) of a profile, built once per process.

    Both are immutable in effect (a cached document depends only on its text
    and the schema), so every emulator in the process shares them: a test
    suite that starts one emulator per test parses each query text once.
    """
    with _SHARED_LOCK:
        if profile not in _SHARED:
            with open(SCHEMA_PATH) as schema_file:
                document = parse(schema_file.read())
            if profile == "documented":
                document = _documented(document)
            schema = build_ast_schema(document)
            _SHARED[profile] = (schema, DocumentCache(schema))
        return _SHARED[profile]


def _documented(document):
    """The SDL document with only the types and fields of DOCUMENTED_FIELDS (None: the whole type)."""
    definitions = []
    for definition in document.definitions:
        name = getattr(definition, "name", None)
        if name is None:
            definitions.append(definition)  # the schema definition
        elif name.value in DOCUMENTED_FIELDS:
            kept = DOCUMENTED_FIELDS[name.value]
            if kept is not None:
                definition = _replaced(definition, fields=tuple(f for f in definition.fields if f.name.value in kept))
            definitions.append(definition)
    return _replaced(document, definitions=tuple(definitions))


def _replaced(node, **changes):
    """A copy of an AST node with some attributes changed (graphql-core 3.3 nodes are frozen)."""
    attributes = dict((key, getattr(node, key)) for key in node.keys)
    attributes.update(changes)
    return node.__class__(**attributes)


class _Context:
    """Per-request facts the resolvers record for the log and the faults.

    executed: a root resolver ran. A result without data is then an
    executed request whose non-null field failed (HTTP 200), not a request
    error where nothing ran (HTTP 400).
    """

    __slots__ = ("read_only", "kinds", "applied_kinds", "refused", "executed")

    def __init__(self, read_only):
        self.read_only = read_only
        self.kinds = []
        self.applied_kinds = []
        self.refused = False
        self.executed = False


class Emulator:
    """The emulated Tensor One account, its request log and its controls."""

    def __init__(
        self,
        api_keys,
        read_only_keys=None,
        drain_seconds=0,
        worker_quota=20,
        templates=None,
        discount=None,
        seed=0,
        state_file=None,
        profile=DEFAULT_PROFILE,
        list_cap=None,
        clock=time.monotonic,
        sleep=time.sleep,
        template_recent_use_seconds=TEMPLATE_RECENT_USE_SECONDS,
        worker_start_seconds=0,
    ):
        self._lock = threading.RLock()
        self._sleep = sleep
        self._startup_seed = seed
        self._startup_config = _check_config(
            {
                "api_keys": list(api_keys or []),
                "read_only_keys": list(read_only_keys or []),
                "drain_seconds": drain_seconds,
                "worker_quota": worker_quota,
                "templates": templates,
                "discount": discount,
                "profile": profile,
                "list_cap": list_cap,
                "template_recent_use_seconds": template_recent_use_seconds,
            }
        )
        if not self._startup_config["api_keys"]:
            raise ValueError("at least one API key is required")
        self._startup_workers = dict(DEFAULT_SETTINGS, **check_settings({"start_seconds": worker_start_seconds}))
        self._config = {}
        self.store = Store(seed=seed, clock=clock)
        self._fleet = self.store.tables["endpoints"].fleet
        self._fleet.settings = copy.deepcopy(self._startup_workers)
        self._faults = Faults(seed)
        self._log = collections.deque(maxlen=LOG_LIMIT)
        self._seq = 0
        self._counters = dict.fromkeys(COUNTER_NAMES, 0)
        self._apply_config(copy.deepcopy(self._startup_config))
        self._root = self._root_resolvers()
        self.state_file = state_file
        if state_file and os.path.exists(state_file):
            persistence.load(state_file, self.store)

    # -- configuration -----------------------------------------------------

    def _apply_config(self, changes):
        self._config.update(changes)
        self.store.configure(self._config)
        self.schema, self._documents = _shared_schema(self._config["profile"])

    def configure(self, **changes):
        """Change any of drain_seconds, worker_quota, templates, read_only_keys, api_keys, discount, profile, list_cap,
        template_recent_use_seconds."""
        checked = _check_config(changes)
        with self._lock:
            if "api_keys" in checked and not checked["api_keys"]:
                raise ValueError("api_keys must not be empty")
            self._apply_config(checked)
            return self.config()

    def config(self):
        """The current configuration; the keys are write-only and never shown."""
        with self._lock:
            public = dict((key, value) for key, value in self._config.items() if key not in ("api_keys", "read_only_keys"))
            return copy.deepcopy(public)

    def set_faults(self, **settings):
        """Replace all fault settings ({} clears them); `seed` re-seeds the fault generator."""
        with self._lock:
            self._faults.configure(settings)
            return self._faults.describe()

    def faults(self):
        with self._lock:
            return self._faults.describe()

    def set_workers(self, **changes):
        """Merge worker settings (start_seconds, capacity, crashing_images, demand); answers them all."""
        with self._lock:
            settings = self._fleet.configure(changes, self.store.clock())
            self._persist()  # the rules may have started or removed workers
            return settings

    def workers(self):
        with self._lock:
            return self._fleet.describe()

    def set_clock(self, **changes):
        """mode ("real": follows wall time, "manual": moves only when told), advance (seconds >= 0)."""
        with self._lock:
            # What the time moved on does happens when a request next looks, each event at its own time.
            return self.store.clock.set(changes)

    def clock(self):
        with self._lock:
            return self.store.clock.describe()

    # -- state -------------------------------------------------------------

    def state(self, fields="documented"):
        """{table KEY: [...]} (endpoints, templates, registryAuths, secrets): the endpoints' documented
        fields (default), or every stored one with fields="all"; the other tables' every stored field either way."""
        with self._lock:
            return self.store.state(fields)

    def seed(self, **lists):
        """seed(endpoints=[...], templates=[...], registryAuths=[...], secrets=[...]): insert or patch records verbatim, bypassing the business
        rules; every list is checked before any is stored. Answers each table's stored list."""
        with self._lock:
            answer = self.store.seed(copy.deepcopy(lists))
            self._persist()
            return answer

    def seed_endpoints(self, endpoints):
        """Insert or patch endpoints verbatim, bypassing the business rules."""
        return self.seed(endpoints=endpoints)["endpoints"]

    def seed_templates(self, templates):
        """Insert or patch templates verbatim, bypassing the business rules."""
        return self.seed(templates=templates)["templates"]

    def reset(self):
        """Back to startup: an empty account, empty log, no faults, startup config and seed."""
        with self._lock:
            self.store.clear()
            self.store.reseed(self._startup_seed)
            self._faults = Faults(self._startup_seed)
            self._config = {}
            self._apply_config(copy.deepcopy(self._startup_config))
            self._fleet.settings = copy.deepcopy(self._startup_workers)
            # Back to wall time; the reading never goes back (nothing is left to time anyway).
            self.store.clock.set({"mode": "real"})
            self._clear_log()
            self._persist()

    def _persist(self):
        """Write the state file if there is one."""
        if self.state_file:
            persistence.save(self.state_file, self.store)

    # -- log ---------------------------------------------------------------

    def log(self):
        with self._lock:
            return {"requests": copy.deepcopy(list(self._log)), "counters": dict(self._counters)}

    def clear_log(self):
        with self._lock:
            self._clear_log()

    def _clear_log(self):
        self._log.clear()
        self._seq = 0
        self._counters = dict.fromkeys(COUNTER_NAMES, 0)

    def _record(self, entry, reply, refused=False):
        """Log one API request and count it; returns the reply unchanged."""
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            entry["status"] = None if reply.body is None else reply.status
            self._log.append(entry)
            counters = self._counters
            counters["requests"] += 1
            if entry["operation_type"] == "query":
                counters["queries"] += 1
            elif entry["operation_type"] == "mutation":
                counters["mutations"] += 1
            elif entry["operation_type"] == HEALTH:
                counters["health"] += 1
            kind = entry["mutation_kind"]
            if kind:
                counters[kind] += 1
            if entry["applied"]:
                counters["applied_mutations"] += 1
                if kind:
                    counters["applied_" + kind] += 1
            if entry["fault"]:
                counters["faults"] += 1
            if reply.status == 401 or refused:
                counters["unauthorized"] += 1
        return reply

    # -- API requests ------------------------------------------------------

    def _authenticate(self, query_string, headers):
        """(presented key, role) with role "full", "read_only" or None.

        ?api_key= wins over the Authorization header when both are present.
        """
        params = parse_qs(query_string or "", keep_blank_values=True)
        key = None
        if "api_key" in params:
            key = params["api_key"][-1]
        else:
            scheme, _sep, token = (headers.get("authorization") or "").partition(" ")
            if scheme.lower() == "bearer":
                key = token.strip()
        return key, self._role(key)

    def _authenticate_data_plane(self, headers):
        """(presented key, role) of a data-plane call: the key is the whole Authorization header (as
        the data plane's documentation sends it) or follows "Bearer "; never ?api_key=."""
        value = (headers.get("authorization") or "").strip()
        scheme, _sep, token = value.partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else value
        return key, self._role(key)

    def _role(self, key):
        with self._lock:
            if key and key in self._config["read_only_keys"]:
                return "read_only"
            if key and key in self._config["api_keys"]:
                return "full"
        return None

    def _new_entry(self, method, path, headers, key):
        """A log entry for a request, before anything is known about it; and the secrets to scrub from it."""
        with self._lock:
            secrets = [key] + self._config["api_keys"] + self._config["read_only_keys"]
        entry = {
            "seq": None,
            "method": method,
            "path": path,
            "status": None,
            "operation_type": None,
            "operation_name": None,
            "root_fields": [],
            "mutation_kind": None,
            "applied": False,
            "variables": None,
            "user_agent": _scrub(headers.get("user-agent"), secrets),
            "fault": None,
        }
        return entry, secrets

    def record_refusal(self, method, path, query_string, headers, reply):
        """Log a non-control request the HTTP server refused before reading its body (too large,
        chunked, a bad Content-Length); returns the reply unchanged."""
        key, _role = self._authenticate(query_string, headers)
        entry, _secrets = self._new_entry(method, path, headers, key)
        return self._record(entry, reply)

    def handle_request(self, method, path, query_string, headers, body):
        """Answer one non-control request. headers: dict with lower-case names."""
        health = HEALTH_PATH.match(path)
        if health is not None:
            return self._health(method, path, headers, health.group(1))
        key, role = self._authenticate(query_string, headers)
        entry, secrets = self._new_entry(method, path, headers, key)
        with self._lock:
            # One profile for the whole request, even if it is switched meanwhile.
            schema, documents = self.schema, self._documents
        if path != GRAPHQL_PATH:
            return self._record(entry, _errors_reply(404, "Not Found"))

        request, problem = _decode_body(headers, body)
        prepared = None
        if request is not None:
            entry["variables"] = _redact(request["variables"], secrets)
            entry["operation_name"] = _scrub(request["operationName"], secrets)
            prepared = documents.get(request["query"])
            self._describe_operation(entry, prepared, request)

        # Faults model the network and the CDN in front of the service: they
        # hit before authentication and before the request is looked at.
        fault_reply = self._fault(entry)
        if fault_reply is not None:
            return self._record(entry, fault_reply)

        if method != "POST":
            return self._record(entry, _errors_reply(405, "Method not allowed: use POST", [("Allow", "POST")]))
        if role is None:
            return self._record(entry, _errors_reply(401, UNAUTHORIZED))
        if problem is not None:
            return self._record(entry, _errors_reply(problem[0], problem[1]))
        if prepared.errors:
            # Parse and validation errors: HTTP 400, errors only, no data
            # (GraphQL over HTTP, application/json); nothing ran.
            return self._record(entry, json_reply(400, {"errors": [e.formatted for e in prepared.errors]}))
        return self._execute(entry, schema, prepared, request, read_only=role == "read_only")

    def _fault(self, entry):
        """The reply of the fault drawn for this request (recorded in the entry), or None; sleeps latency_ms first."""
        with self._lock:
            fault, fault_status = self._faults.draw()
            latency_ms = self._faults.settings["latency_ms"]
            retry_after = self._faults.settings["retry_after"]
            body_5xx = self._faults.settings["body_5xx"]
        if latency_ms:
            self._sleep(latency_ms / 1000.0)
        if fault is None:
            return None
        entry["fault"] = fault
        if fault == FAULT_RESET:
            return Reply(None, [], None)
        if fault == FAULT_429:
            headers_429 = [
                ("Retry-After", str(retry_after)),
                ("X-RateLimit-Limit", str(RATE_LIMIT)),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", str(int(time.time()) + retry_after)),
            ]
            return _errors_reply(429, TOO_MANY_REQUESTS, headers_429)
        if fault == FAULT_EDGE_403:
            return _text_reply(403, TEXT_PLAIN, EDGE_403_BODY)
        if fault == FAULT_HTML_200:
            return _text_reply(200, TEXT_HTML, WEB_PAGE)
        if body_5xx == "html":
            return _gateway_page(fault_status)
        return _errors_reply(fault_status, GENERIC_ERROR)

    def _health(self, method, path, headers, endpoint_id):
        """The data plane's GET /v2/<endpoint id>/health: the endpoint's job and worker counters.
        Faulted like /graphql; then 405, 401 and 404 (an endpoint of the account only) refusals."""
        key, role = self._authenticate_data_plane(headers)
        entry, _secrets = self._new_entry(method, path, headers, key)
        entry["operation_type"] = HEALTH
        fault_reply = self._fault(entry)
        if fault_reply is not None:
            return self._record(entry, fault_reply)
        if method != "GET":
            return self._record(entry, json_reply(405, {"error": "Method not allowed: use GET"}, [("Allow", "GET")]))
        if role is None:
            return self._record(entry, json_reply(401, {"error": UNAUTHORIZED}))
        with self._lock:
            health = self.store.tables["endpoints"].health(endpoint_id)
        if health is None:
            return self._record(entry, json_reply(404, {"error": MSG_HEALTH_NOT_FOUND}))
        return self._record(entry, json_reply(200, health))

    def _describe_operation(self, entry, prepared, request):
        if prepared.document is None:
            return
        operation = _select_operation(prepared.document, request["operationName"])
        if operation is None:
            return
        entry["operation_type"] = operation.operation.value
        entry["operation_name"] = entry["operation_name"] or (operation.name.value if operation.name else None)
        fields = _root_fields(operation.selection_set, prepared.fragments, set())
        entry["root_fields"] = list(collections.OrderedDict.fromkeys(f.name.value for f in fields))
        if entry["operation_type"] == "mutation":
            kinds = [k for k in (_mutation_kind(f, request["variables"] or {}) for f in fields) if k]
            entry["mutation_kind"] = kinds[0] if kinds else None

    def _execute(self, entry, schema, prepared, request, read_only):
        context = _Context(read_only)
        with self._lock:
            result = execute_sync(
                schema,
                prepared.document,
                root_value=self._root,
                context_value=context,
                variable_values=request["variables"],
                operation_name=request["operationName"],
            )
            if context.kinds:
                # What the resolvers saw beats the guess from the document.
                entry["mutation_kind"] = context.kinds[0]
            entry["applied"] = bool(context.applied_kinds)
            drop = False
            if context.applied_kinds:
                self._persist()
                drops = [self._faults.take_drop(kind) for kind in collections.OrderedDict.fromkeys(context.applied_kinds)]
                drop = any(drops)
        if drop:
            # Applied, then the connection dies: the client never learns.
            entry["fault"] = FAULT_DROP
            return self._record(entry, Reply(None, [], None), refused=context.refused)
        if result.data is None and not context.executed:
            # Request errors (variable coercion, unknown operationName): no
            # execution happened, same treatment as validation errors. A
            # refused saveEndpoint (non-null) also nulls data, but it ran.
            return self._record(entry, json_reply(400, {"errors": [e.formatted for e in result.errors]}))
        return self._record(entry, json_reply(200, result.formatted), refused=context.refused)

    def _root_resolvers(self):
        """Root value: graphql-core's default resolver calls these with (info, **args); info.context is
        the request's _Context. myself and every table's other reads, then every table's mutations."""
        root = {"myself": self._myself}
        for table in self.store.tables.values():
            for field, resolve in table.query_fields().items():
                root[field] = self._query_resolver(resolve)
            for mutation in table.MUTATIONS:
                root[mutation.field] = self._mutation_resolver(table, mutation)
        return root

    def _myself(self, info):
        info.context.executed = True
        if self._faults.settings["myself_null"]:
            return None
        discount = self._config["discount"]
        return dict(self.store.read_fields, id=USER_ID, serverlessDiscount=None if discount is None else dict(discount, userId=USER_ID))

    @staticmethod
    def _query_resolver(resolve):
        def resolve_query(info, **args):
            info.context.executed = True
            return resolve(info, **args)

        return resolve_query

    @staticmethod
    def _mutation_resolver(table, mutation):
        def resolve(info, **args):
            context = info.context
            kind = mutation.kind_of(args)
            context.executed = True
            context.kinds.append(kind)
            if context.read_only:
                context.refused = True
                raise GraphQLError(UNAUTHORIZED)
            try:
                result = mutation.apply(table, args)
            except ApiError as error:
                raise GraphQLError(str(error)) from error
            context.applied_kinds.append(kind)
            return result

        return resolve

    # -- control paths -----------------------------------------------------

    def handle_control(self, method, path, body, query_string=""):
        """Answer a /_emulator/... request (control_routes). No key needed; none is ever echoed."""
        status, payload, headers = control_routes.handle(self, method, path, body, query_string)
        return json_reply(status, payload, headers)


def _decode_body(headers, body):
    """(request dict, None) or (None, (status, message)) for a /graphql POST body."""
    content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return None, (415, "Content-Type must be application/json")
    try:
        data = json.loads((body or b"").decode("utf-8"))
    except ValueError:
        return None, (400, "Body must be a JSON object")
    if not isinstance(data, dict):
        return None, (400, "Body must be a JSON object")
    query = data.get("query")
    if not isinstance(query, str) or not query.strip():
        return None, (400, "Must provide query string.")
    variables = data.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return None, (400, "Variables must be an object.")
    operation_name = data.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        return None, (400, "operationName must be a string.")
    return {"query": query, "variables": variables, "operationName": operation_name}, None


def _check_config(changes):
    """Validate configuration changes; returns them normalised."""
    known = ("api_keys", "read_only_keys", "drain_seconds", "worker_quota", "templates", "discount", "profile", "list_cap", "template_recent_use_seconds")
    unknown = set(changes) - set(known)
    if unknown:
        raise ValueError("unknown config key(s): %s" % ", ".join(sorted(unknown)))
    checked = {}
    for key in ("api_keys", "read_only_keys"):
        if key in changes:
            value = changes[key]
            if not isinstance(value, list) or not all(isinstance(k, str) and k for k in value):
                raise ValueError("%s must be a list of non-empty strings" % key)
            checked[key] = list(value)
    if "drain_seconds" in changes:
        value = changes["drain_seconds"]
        if not _is_number(value) or value < 0:
            raise ValueError("drain_seconds must be a number >= 0")
        checked["drain_seconds"] = value
    if "template_recent_use_seconds" in changes:
        value = changes["template_recent_use_seconds"]
        if not _is_number(value) or value < 0:
            raise ValueError("template_recent_use_seconds must be a number >= 0")
        checked["template_recent_use_seconds"] = value
    if "worker_quota" in changes:
        checked["worker_quota"] = _count(changes["worker_quota"], "worker_quota must be an integer >= 0")
    if "list_cap" in changes:
        value = changes["list_cap"]
        checked["list_cap"] = None if value is None else _count(value, "list_cap must be an integer >= 0 or null")
    if "templates" in changes:
        value = changes["templates"]
        if value is not None and (not isinstance(value, list) or not all(isinstance(t, str) for t in value)):
            raise ValueError("templates must be a list of strings or null")
        checked["templates"] = None if value is None else list(value)
    if "discount" in changes:
        checked["discount"] = _check_discount(changes["discount"])
    if "profile" in changes:
        if changes["profile"] not in PROFILES:
            raise ValueError("profile must be one of: %s" % ", ".join(PROFILES))
        checked["profile"] = changes["profile"]
    return checked


def _is_number(value, types=(int, float)):
    return isinstance(value, types) and not isinstance(value, bool)


def _count(value, message):
    if not _is_number(value, int) or value < 0:
        raise ValueError(message)
    return value


def _check_discount(value):
    """null, or the Discount the account gets: its non-null fields required (userId is the emulator's own)."""
    if value is None:
        return None
    required = ("discountFactor", "type", "expirationDate")
    optional = ("activeDiscountFactor", "activeWorkers")
    if not isinstance(value, dict) or set(value) - set(required + optional) or set(required) - set(value):
        raise ValueError("discount must be null or an object with discountFactor, type, expirationDate (and optionally activeDiscountFactor, activeWorkers)")
    if not _is_number(value["discountFactor"]):
        raise ValueError("discountFactor must be a number")
    if value["type"] not in DISCOUNT_TYPES:
        raise ValueError("discount type must be one of: %s" % ", ".join(DISCOUNT_TYPES))
    if not isinstance(value["expirationDate"], str):
        raise ValueError("expirationDate must be a string")
    if value.get("activeDiscountFactor") is not None and not _is_number(value["activeDiscountFactor"]):
        raise ValueError("activeDiscountFactor must be a number or null")
    if value.get("activeWorkers") is not None and not _is_number(value["activeWorkers"], int):
        raise ValueError("activeWorkers must be an integer or null")
    return dict(value)
