# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The state machine of test_stateful.py and the invariants it checks after
# every step, from the emulator's state and request log. What the invariants
# expect is written here from the modules' documentation and CONTRACT.md, not
# taken from the collection's code.

import collections
import contextlib
import hashlib
import json
import re
import sys
from unittest import mock

import requests
from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule
from urllib3.exceptions import NewConnectionError

from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import INT32_MAX, ModelError
from ansible_collections.tensorone.cloud.plugins.modules import (
    tensorone_endpoint,
    tensorone_endpoint_info,
    tensorone_endpoints,
    tensorone_registry_auth,
    tensorone_registry_auth_info,
    tensorone_secret,
    tensorone_secret_info,
    tensorone_template,
    tensorone_template_info,
)
from ansible_collections.tensorone.cloud.tests.emulator.service import Emulator
from ansible_collections.tensorone.cloud.tests.emulator.state import DOCUMENTED_FIELDS, GPU_POOLS, OPTIONAL_DEFAULTS, READ_ONLY_DEFAULTS
from ansible_collections.tensorone.cloud.tests.unit.plugins.module_utils.inprocess import API_URL, Module, VirtualClock
from ansible_collections.tensorone.cloud.tests.unit.plugins.module_utils.stateful_tasks import (
    FAULT_PLANS,
    NAMES,
    OTHER_NAMES,
    OTHER_SECRET_NAMES,
    OTHER_TOOL_VALUES,
    PASSWORDS,
    SECRET_NAMES,
    SECRET_VALUES,
    STORE_CHANGE_KINDS,
    STORE_FAULT_PLANS,
    UNMANAGED,
    USERNAMES,
    VOLUMES,
    Faults,
    IdOf,
    NameOf,
    ReadOnlyKey,
    StoredIdOf,
    TypoOf,
    endpoint_info_tasks,
    endpoint_tasks,
    fault_settings,
    fleet_tasks,
    flow,
    other_changes,
    registry_auth_info_tasks,
    registry_auth_tasks,
    secret_info_tasks,
    secret_tasks,
    store_changes,
    template_info_tasks,
    template_tasks,
)

API_KEY = "stateful-test-key-4be1c07d93"
READ_ONLY_KEY = "stateful-read-only-key-8e0f2a"
MODULES = dict(
    (m.name, m)
    for m in (
        Module(tensorone_endpoints),
        Module(tensorone_endpoint),
        Module(tensorone_template),
        Module(tensorone_endpoint_info),
        Module(tensorone_template_info),
        Module(tensorone_registry_auth),
        Module(tensorone_registry_auth_info),
        Module(tensorone_secret),
        Module(tensorone_secret_info),
    )
)
INFO_MODULES = ("tensorone_endpoint_info", "tensorone_template_info", "tensorone_registry_auth_info", "tensorone_secret_info")
# Values no result, diff, warning or message may show: the keys, the registry credentials' usernames and passwords and
# the secrets' values (the tasks' and other tools'); and, unless template info is asked to show environment values
# (include_env_values), secret_env values and values set in the console.
HIDDEN = (API_KEY, READ_ONLY_KEY) + USERNAMES + PASSWORDS + SECRET_VALUES + tuple(OTHER_TOOL_VALUES.values())
ENV_HIDDEN = ("s3cr3t-one", "s3cr3t-two", "console-only", "set-in-console")
# How the diffs of tensorone_registry_auth and tensorone_secret show a write-only value: sent by the run (or, in
# check mode, to be sent), or not (their documentation).
MASKED, MASKED_SENT = "********", "******** (changed)"
# The tables of the state dump, and the module that owns each (info modules own none).
TABLES = ("endpoints", "templates", "registryAuths", "secrets")
OWNER = dict(
    tensorone_endpoints="endpoints",
    tensorone_endpoint="endpoints",
    tensorone_template="templates",
    tensorone_registry_auth="registryAuths",
    tensorone_secret="secrets",
)
API_OPTIONS = ("api_url", "api_key", "api_retries", "api_timeout", "validate_certs")
STALE_ID = "gone0000000000"
STALE_STORED_ID = "c" + "0" * 24
# What other tools send for registry credentials and secrets.
SAVE_REGISTRY_AUTH = "mutation($i: SaveRegistryAuthInput!) { saveRegistryAuth(input: $i) { id } }"
UPDATE_REGISTRY_AUTH = "mutation($i: UpdateRegistryAuthInput!) { updateRegistryAuth(input: $i) { id } }"
DELETE_REGISTRY_AUTH = "mutation($id: String!) { deleteRegistryAuth(registryAuthId: $id) }"
CREATE_SECRET = "mutation($i: SecretCreateInput!) { secretCreate(input: $i) { id } }"
UPDATE_SECRET_VALUE = "mutation($i: SecretValueUpdateInput!) { secretValueUpdate(input: $i) { id } }"
UPDATE_SECRET_DESCRIPTION = "mutation($i: SecretDescriptionUpdateInput!) { secretDescriptionUpdate(input: $i) { id } }"
DELETE_SECRET = "mutation($id: ID!) { secretDelete(id: $id) }"

# --- what an option means in the API (CONTRACT.md, the modules' docs) ------------------------

# option: (API field, how a stored value is compared with the option's value)
ENDPOINT_API = dict(
    name=("name", "same"),
    template_id=("templateId", "same"),
    template=("templateId", "template"),
    gpu_ids=("gpuIds", "csv"),
    idle_timeout=("idleTimeout", "same"),
    locations=("locations", "csv"),
    network_volume_id=("networkVolumeId", "none"),
    scaler_type=("scalerType", "same"),
    scaler_value=("scalerValue", "same"),
    workers_min=("workersMin", "same"),
    workers_max=("workersMax", "same"),
    gpu_count=("gpuCount", "same"),
    execution_timeout_ms=("executionTimeoutMs", "same"),
    flashboot=("flashBootType", "flashboot"),
    allowed_cuda_versions=("allowedCudaVersions", "csvset"),
    min_cuda_version=("minCudaVersion", "same"),
    endpoint_type=("type", "same"),
    network_volume_ids=("networkVolumeIds", "volumes"),
    instance_ids=("instanceIds", "list"),
)
NEWER_ENDPOINT_OPTIONS = (
    "gpu_count",
    "execution_timeout_ms",
    "flashboot",
    "allowed_cuda_versions",
    "min_cuda_version",
    "endpoint_type",
    "network_volume_ids",
    "instance_ids",
)
# What a create stores for what it is not sent (CONTRACT.md: create defaults and read-only fields).
ENDPOINT_CREATE_DEFAULTS = dict(OPTIONAL_DEFAULTS, templateId=None, gpuIds=None, type="QB", **READ_ONLY_DEFAULTS)
TEMPLATE_API = dict(
    name=("name", "same"),
    image_name=("imageName", "same"),
    container_disk_in_gb=("containerDiskInGb", "same"),
    volume_in_gb=("volumeInGb", "same"),
    docker_args=("dockerArgs", "none"),
    is_serverless=("isServerless", "same"),
    readme=("readme", "none"),
    volume_mount_path=("volumeMountPath", "none"),
    container_registry_auth_id=("containerRegistryAuthId", "none"),
    ports=("ports", "none"),
    start_script=("startScript", "none"),
)
# tensorone_template's documented create-time defaults, and the service's for the rest.
TEMPLATE_CREATE_DEFAULTS = dict(
    dockerArgs="",
    volumeInGb=0,
    isServerless=True,
    readme=None,
    volumeMountPath=None,
    containerRegistryAuthId=None,
    ports=None,
    startScript=None,
    isPublic=False,
    category=None,
)
# What the credential and secret modules return, option by option (template_ids: the templates that name the credential).
REGISTRY_AUTH_API = dict(name=("name", "same"))
SECRET_API = dict(name=("name", "same"), description=("description", "none"), created_at=("createdAt", "same"), updated_at=("updatedAt", "same"))
# A reference to a secret in an environment value (tensorone_secret's documentation: both spellings count).
SECRET_REFERENCE = re.compile(r"\{\{\s*(?:TENSORONE|RUNPOD)_SECRET_([^\s{}]+)\s*\}\}")
# Fields that change on their own or as a side effect: the workers, and the version a release bumps.
NOT_COMPARED = ("id", "clusters", "version")
CUDA = re.compile(r"^\d+\.\d+$")
DOCUMENTED = set(DOCUMENTED_FIELDS)


def tokens(value):
    return [token for token in (value or "").split(",") if token]


def matches(kind, stored, wanted, templates=()):
    """Whether a stored API value is what the option's value asks for."""
    if kind == "csv":
        return tokens(stored) == list(wanted)
    if kind == "csvset":
        return set(tokens(stored)) == set(wanted)
    if kind == "none":
        return (stored or None) == (wanted or None)
    if kind == "flashboot":
        return stored == ("FLASHBOOT" if wanted else "OFF")
    if kind == "list":
        return list(stored or []) == list(wanted)
    if kind == "volumes":
        return [volume["networkVolumeId"] for volume in stored or []] == list(wanted)
    if kind == "template":
        return stored in [t["id"] for t in templates if t and t["name"] == wanted]
    return stored == wanted


def options_set(args, ignore=("state", "id", "wait_timeout")):
    return dict((k, v) for k, v in args.items() if v is not None and k not in ignore and k not in API_OPTIONS)


# --- which tasks the modules must refuse before any request (their documentation) -----------

RANGES = dict(
    idle_timeout=(1, 3600),
    scaler_value=(1, INT32_MAX),
    workers_min=(0, INT32_MAX),
    workers_max=(0, INT32_MAX),
    gpu_count=(1, INT32_MAX),
    execution_timeout_ms=(0, INT32_MAX),
    wait_timeout=(0, INT32_MAX),
    prune_max=(0, INT32_MAX),
    container_disk_in_gb=(1, INT32_MAX),
    volume_in_gb=(0, INT32_MAX),
)


def out_of_range(args):
    return [o for o, (low, high) in RANGES.items() if args.get(o) is not None and not low <= args[o] <= high]


def endpoint_problems(item):
    problems = out_of_range(item)
    if item.get("name") is not None and (not item["name"].strip() or not 3 <= len(item["name"]) <= 191):
        problems.append("name")
    for option in ("id", "template_id", "template"):
        if item.get(option) is not None and not item[option].strip():
            problems.append(option)
    gpu_ids = item.get("gpu_ids")
    if gpu_ids is not None and (not gpu_ids or any(not token.strip() for token in gpu_ids)):
        problems.append("gpu_ids")
    if any(not CUDA.match(v) for v in item.get("allowed_cuda_versions") or []):
        problems.append("allowed_cuda_versions")
    if item.get("min_cuda_version") is not None and not CUDA.match(item["min_cuda_version"]):
        problems.append("min_cuda_version")
    for one, other in (("template", "template_id"), ("network_volume_id", "network_volume_ids"), ("gpu_ids", "instance_ids")):
        if item.get(one) is not None and item.get(other):
            problems.append("%s with %s" % (one, other))
    if item.get("workers_min") is not None and item.get("workers_max") is not None and item["workers_min"] > item["workers_max"]:
        problems.append("workers_min above workers_max")
    return problems


def stored_problems(module, args):
    """What tensorone_registry_auth and tensorone_secret refuse: a blank or padded name, a blank write-only value, and
    update_password (update_value) always without every value it sends."""
    values, always = (("username", "password"), "update_password") if module == "tensorone_registry_auth" else (("value",), "update_value")
    problems = ["name"] if not args["name"].strip() or args["name"] != args["name"].strip() else []
    problems.extend(o for o in values if args.get(o) is not None and not args[o].strip())
    if args.get("state", "present") == "present" and args.get(always) == "always":
        problems.extend("%s without %s" % (always, o) for o in values if args.get(o) is None)
    return problems


def invalid_options(module, args):
    """What the module's documentation says it refuses in these arguments (empty: a valid task)."""
    if module in INFO_MODULES:
        return [o for o in ("id", "name") if args.get(o) is not None and not args[o].strip() and (o == "id" or module != "tensorone_endpoint_info")]
    if module in ("tensorone_registry_auth", "tensorone_secret"):
        return stored_problems(module, args)
    if module == "tensorone_template":
        problems = out_of_range(args)
        if not args["name"].strip():
            problems.append("name")
        for option in ("env", "secret_env"):
            if any(not key.strip() or not isinstance(value, (str, type(None))) for key, value in (args.get(option) or {}).items()):
                problems.append(option)
        if args.get("image_name") is not None and not args["image_name"].strip():
            problems.append("image_name")
        if set(args.get("env") or {}) & set(args.get("secret_env") or {}):
            problems.append("env with secret_env")
        if args.get("is_serverless") and (args.get("volume_in_gb") or 0) > 0:
            problems.append("volume_in_gb of a serverless template")
        if args.get("container_registry_auth") is not None and not args["container_registry_auth"].strip():
            problems.append("container_registry_auth")
        if args.get("container_registry_auth") is not None and args.get("container_registry_auth_id") is not None:
            problems.append("container_registry_auth with container_registry_auth_id")
        return problems
    if module == "tensorone_endpoint":
        return endpoint_problems(args) + ([] if args.get("id") or args.get("name") else ["id or name"])
    problems = out_of_range(args)
    for item in args["endpoints"]:
        problems.extend(endpoint_problems(item))
    ids = [item["id"] for item in args["endpoints"] if item.get("id") is not None]
    if len(ids) != len(set(ids)):
        problems.append("an id twice")
    names = [item["name"] for item in args["endpoints"]]
    if len(names) != len(set(names)):
        problems.append("a name twice")
    return problems


# --- the run of one task, and what came of it ---------------------------------------------------


class FaultSchedule:
    """Sets, before each request of a run, the faults its plan says that request meets (and the
    lost responses of the plan not met yet: the emulator disarms each once met)."""

    def __init__(self, emulator, plan, api_timeout, meanwhile=None):
        self.emulator = emulator
        self.plan = plan
        self.api_timeout = api_timeout
        self.meanwhile = meanwhile  # (request number, what another tool does just before it)
        self.sent = []  # the fault kind (or None) of each request sent
        emulator.set_faults(drop_after_apply=list(plan.lost))

    def before_send(self):
        kind = self.plan.get(len(self.sent) + 1)
        self.sent.append(kind)
        if self.meanwhile and self.meanwhile[0] == len(self.sent):
            self.meanwhile[1]()
        if kind == "connection refused":
            # the request never leaves: nothing reaches the service
            raise requests.exceptions.ConnectionError(NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused"))
        lost = self.emulator.faults()["drop_after_apply"]
        self.emulator.set_faults(drop_after_apply=lost, **(fault_settings(kind, self.api_timeout) if kind else {}))


class Outcome:
    """One module run: its result or error, the state before and after, and the emulator's log of it."""

    def __init__(self, module, params, check_mode, faults, result, error, run, before, after, log, faults_met, meanwhile=None):
        self.module = module
        self.params = params
        self.check_mode = check_mode
        self.faults = faults
        self.result = result
        self.error = error
        self.actions = run.actions
        self.warnings = run.warnings
        self.requests_sent = run.client.requests_sent
        self.before = before
        self.after = after
        # the run's own requests (another tool's, made meanwhile, are in the emulator's log too)
        self.requests = [e for e in log["requests"] if (e["user_agent"] or "").startswith("tensorone.cloud/")]
        self.faults_met = faults_met
        self.meanwhile = meanwhile
        self.cause = self._cause()

    def _cause(self):
        """ok, refused (by the collection or the API, for a reason), timeout (a wait ran out),
        fault (a transport failure after faults), or bug."""
        error = self.error
        if error is None:
            return "ok"
        if isinstance(error, ModelError):
            if error.kind == "wait_timeout":
                return "timeout"
            return "raced" if self.meanwhile and error.kind == "gone" else "refused"
        if isinstance(error, APIError):
            if error.status == 200 and (error.kind == "graphql" or (error.kind == "auth" and self.params["api_key"] == READ_ONLY_KEY)):
                # (the service may refuse a change because of what another tool did meanwhile)
                return "raced" if self.meanwhile and error.kind == "graphql" else "refused"
            return "fault" if sum(self.faults_met.values()) else "bug"
        return "bug"

    @property
    def message(self):
        return str(self.error) if self.error is not None else ""

    @property
    def mutations(self):
        return len([e for e in self.requests if e["operation_type"] == "mutation"])

    @property
    def applied(self):
        return len([e for e in self.requests if e["applied"]])

    def __repr__(self):
        if self.error is None:
            what = "changed" if self.result.get("changed") else "unchanged"
        else:
            what = "%s: %s" % (self.cause, self.message)
        faults = ", ".join("%s x%d" % (k, n) for k, n in sorted(self.faults_met.items()))
        mode = "check mode: " if self.check_mode else ""
        met = " (faults met: %s)" % faults if faults else ""
        return "%s%s, %d requests%s; actions %s" % (mode, what, len(self.requests), met, flow(self.actions))


class Figures:
    """What the test did, for its report."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.examples = self.steps = self.tasks = self.changes = self.runs = self.checks = self.violations = 0
        self.faults = collections.Counter()
        self.outcomes = collections.Counter()
        self.seeds = []

    def report(self, profile, seconds):
        faults = ", ".join("%s %d" % (kind, count) for kind, count in sorted(self.faults.items())) or "none"
        outcomes = ", ".join("%s %d" % (kind, count) for kind, count in sorted(self.outcomes.items()))
        return (
            "stateful test, %s profile: %d examples, %d steps (%d module tasks, %d changes by other tools), %d module runs; "
            "faults met %d (%s); outcomes of the tasks: %s; %d invariant checks, %d violations; seeds %s; %.0f s"
            % (
                profile,
                self.examples,
                self.steps,
                self.tasks,
                self.changes,
                self.runs,
                sum(self.faults.values()),
                faults,
                outcomes,
                self.checks,
                self.violations,
                ", ".join(str(s) for s in self.seeds) or "derandomised",
                seconds,
            )
        )


FIGURES = Figures()


class Violation(AssertionError):
    pass


def touched_names(outcome):
    """The endpoints, template, registry credential or secret another tool changed during the run, by name (and the
    templates a credential's delete changed: the service drops their reference)."""
    change = outcome.meanwhile
    if change is None:
        return set()
    return (set([change.details["name"]]) if "name" in change.details else set()) | change.touched


def tables_changed(change):
    """The tables of the state dump a change of another tool may change."""
    if change is None:
        return set()
    if change.kind == "deletes credential":
        return set(["registryAuths", "templates"])
    if change.kind.endswith("credential"):
        return set(["registryAuths"])
    if change.kind in ("refers to secret", "drops secret references"):
        return set(["endpoints", "templates"])
    if change.kind.endswith("secret"):
        return set(["secrets"])
    return set(["templates"]) if change.kind == "edits template" else set(["endpoints"])


def untouched(items, names):
    return [item for item in items if item and item["name"] not in names]


def without_null_values(env):
    return None if env is None else [dict(item, value="" if item["value"] is None else item["value"]) if item else item for item in env]


def by_id(endpoints):
    return dict((e["id"], e) for e in endpoints if e)


def changed_fields(old, new):
    return sorted(f for f in old if f not in NOT_COMPARED and old[f] != new.get(f))


def without_workers(state):
    return dict(
        endpoints=[dict((k, v) for k, v in e.items() if k != "clusters") for e in state["endpoints"] if e],
        templates=state["templates"],
        registryAuths=state["registryAuths"],
        secrets=state["secrets"],
    )


def fingerprint(value):
    """How the state dump keeps a write-only value (CONTRACT.md): the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


def stored_named(state, table, name):
    """The credential or secret (``table``) named ``name`` in ``state``, or None."""
    found = [r for r in state[table] if r and r["name"] == name]
    return found[0] if found else None


def refers_to(env, secret):
    """Whether an environment (the API's [{key, value}]) refers to the secret named ``secret``."""
    return any(secret in SECRET_REFERENCE.findall(item.get("value") or "") for item in env or [] if item)


def referrers(state, secret):
    """The ids of the templates and endpoints whose environment refers to the secret named ``secret``."""
    return set(r["id"] for kind in ("templates", "endpoints") for r in state[kind] if r and refers_to(r.get("env"), secret))


def naming_credential(state, auth_id):
    """The ids of the templates that name the credential ``auth_id``."""
    return sorted(t["id"] for t in state["templates"] if t and auth_id is not None and t["containerRegistryAuthId"] == auth_id)


def requests_of(outcome, kind, applied=False):
    """The run's requests of a mutation kind (only those the service applied)."""
    return [e for e in outcome.requests if e["mutation_kind"] == kind and (e["applied"] or not applied)]


def may_repeat(outcome):
    """Whether a fault the run met lets an update reach the service twice: an answer later than the timeout, or a
    lost response (the collection sends an update again after those: the same values twice do no harm)."""
    return bool(outcome.faults_met["timeout"] or outcome.faults_met["lost response"])


def in_effect(state):
    """The account as it works, to tell whether a run changed anything: the state without workers, and
    without what the service ignores (the gpuIds of a CPU endpoint, a networkVolumeId beside networkVolumeIds)."""
    endpoints = []
    for endpoint in without_workers(state)["endpoints"]:
        ignored = [field for field, by in (("gpuIds", "instanceIds"), ("networkVolumeId", "networkVolumeIds")) if endpoint.get(by)]
        endpoints.append(dict((k, v) for k, v in endpoint.items() if k not in ignored))
    return dict(endpoints=endpoints, templates=state["templates"], registryAuths=state["registryAuths"], secrets=state["secrets"])


# --- the list's cap ------------------------------------------------------------------------------


def collection_modules_reading(name):
    """The collection's module_utils that hold ``name``: each one that imports the list's cap reads its own copy."""
    prefix = "ansible_collections.tensorone.cloud.plugins.module_utils."
    return [module for module_name, module in sorted(sys.modules.items()) if module_name.startswith(prefix) and hasattr(module, name)]


def listed(state, cap):
    """The endpoints the service's list shows (null items included): the first ``cap`` ones when capped."""
    return state["endpoints"] if cap is None else state["endpoints"][:cap]


def at_cap(state, cap):
    """Whether the service's list comes back at its cap (so it may be incomplete, as the collection must assume)."""
    return cap is not None and len(state["endpoints"]) >= cap


# --- the state machine --------------------------------------------------------------------------


class Account(RuleBasedStateMachine):
    """A Tensor One account that tasks of the collection and other tools change, step by step."""

    PROFILE = "full"

    def __init__(self):
        super(Account, self).__init__()
        FIGURES.examples += 1
        self.clock = VirtualClock()
        # The service's own window after a template's last use (2 minutes): on the virtual clock it costs nothing.
        self.emulator = Emulator(
            api_keys=[API_KEY],
            read_only_keys=[READ_ONLY_KEY],
            clock=self.clock.now,
            sleep=self.clock.sleep,
            profile=self.PROFILE,
            template_recent_use_seconds=120,
        )
        self.stale_ids = []
        self.stale_stored_ids = dict(registryAuths=[], secrets=[])
        self.number = 0
        self.list_cap = None
        self.patches = contextlib.ExitStack()

    # -- checks --

    def expect(self, condition, message, *args):
        FIGURES.checks += 1
        if not condition:
            FIGURES.violations += 1
            raise Violation(message % args if args else message)

    def state(self):
        return self.emulator.state(fields="all")

    def endpoint_named(self, name, state=None):
        matches = [e for e in (state or self.state())["endpoints"] if e and e["name"] == name and name is not None]
        return matches[0] if matches else None

    # -- steps --

    @initialize(
        drain_seconds=st.sampled_from([0, 5, 60]),
        others=st.lists(st.sampled_from(OTHER_NAMES + NAMES[:2]), unique=True, max_size=3),
        console_template=st.booleans(),
        odd_shapes=st.booleans(),
        list_cap=st.sampled_from([None, None, 3, 4]),
        secrets=st.lists(st.sampled_from(SECRET_NAMES + OTHER_SECRET_NAMES), unique=True, max_size=2),
    )
    def start(self, drain_seconds, others, console_template, odd_shapes, list_cap, secrets=()):  # pylint: disable=too-many-arguments
        """The account as the first task finds it: endpoints and a template made by other tools (with
        settings the collection does not manage, on a service that has them), and the shapes the real
        service lists (a null item, an endpoint without id, one without name). One account in two has
        a list capped at 3 or 4 endpoints instead of the service's 400 (the collection's cap lowered to
        match, until the teardown), so that it reaches the cap within a few steps. Another tool may have
        made secrets (on a service that has them)."""
        self.list_cap = list_cap
        self.emulator.configure(drain_seconds=drain_seconds, list_cap=list_cap)
        # The registry credential template tasks name (stateful_tasks.TEMPLATE_OPTIONS) and the network volumes endpoint
        # tasks and other tools attach (stateful_tasks.VOLUMES): the service refuses an id that names none.
        self.emulator.seed(registryAuths=[{"id": "reg-auth-1", "name": "registry"}], networkVolumes=VOLUMES)
        if list_cap is not None:
            for module in collection_modules_reading("LIST_CAP"):
                self.patches.enter_context(mock.patch.object(module, "LIST_CAP", list_cap))
        if odd_shapes:
            self.emulator.seed_endpoints(
                [
                    None,
                    {"id": None, "name": "legacy-without-id", "workersMax": 1},
                    {"name": None, "templateId": "tpl-other", "gpuIds": "ADA_24", "workersMax": 1},
                ]
            )
        for number, name in enumerate(others):
            self.other_tool(
                "mutation($i: EndpointInput!) { saveEndpoint(input: $i) { id } }",
                {"i": {"name": name, "templateId": "tpl-other", "gpuIds": "AMPERE_24", "workersMin": 1, "workersMax": 2}},
            )
            if self.PROFILE == "full":
                self.emulator.seed_endpoints([dict(UNMANAGED[number], id=self.endpoint_named(name)["id"])])
        for name in secrets if self.PROFILE == "full" else ():
            self.other_tool(CREATE_SECRET, {"i": {"name": name, "value": OTHER_TOOL_VALUES["value"]}}, must_apply=True)
        if console_template and self.PROFILE == "full":
            # (a variable set in the console refers to the first of those secrets)
            references = [{"key": "CONSOLE_SECRET", "value": "{{ RUNPOD_SECRET_%s }}" % name} for name in secrets[:1]]
            self.emulator.seed_templates(
                [
                    {
                        "name": "worker-a",
                        "imageName": "reg.example/console:0.9",
                        "containerDiskInGb": 10,
                        "isServerless": True,
                        "env": [{"key": "CONSOLE", "value": "console-only"}] + references,
                    }
                ]
            )

    def teardown(self):
        self.patches.close()

    @rule(task=fleet_tasks(), faults=FAULT_PLANS)
    def fleet(self, task, faults):
        self.task(task, faults)

    @rule(task=fleet_tasks(), faults=FAULT_PLANS)
    def fleet_in_check_mode(self, task, faults):
        self.task(task, faults, check_mode=True)

    @rule(task=endpoint_tasks(), faults=FAULT_PLANS)
    def endpoint(self, task, faults):
        self.task(task, faults)

    @rule(task=endpoint_tasks(), faults=FAULT_PLANS)
    def endpoint_in_check_mode(self, task, faults):
        self.task(task, faults, check_mode=True)

    @rule(task=endpoint_info_tasks(), faults=FAULT_PLANS)
    def endpoint_info(self, task, faults):
        self.task(task, faults)

    @rule(change=other_changes())
    def another_tool(self, change):
        """Another tool, or the service itself, changes the account behind the collection's back."""
        FIGURES.steps += 1
        FIGURES.changes += 1
        self.number += 1
        before = self.state()
        done = self.change(change, before)
        note("step %d: %r%s" % (self.number, change, "" if done else " (nothing to do)"))
        self.forget_deleted(before, self.state())
        self.check_names(self.state())

    def change(self, change, before):
        """Carry the change out; False if there is nothing to do (no such endpoint, say)."""
        details = change.details
        endpoint = self.endpoint_named(details.get("name"), before)
        if change.kind == "creates" and endpoint is None:
            endpoint = {"name": details["name"], "templateId": "tpl-other", "gpuIds": "ADA_24", "workersMax": details["workers_max"]}
            template = [t for t in before["templates"] if t and t["name"] == details.get("template")]
            if template:
                endpoint["templateId"] = template[0]["id"]
            if details.get("cpu") and self.PROFILE == "full":
                endpoint.update(gpuIds=None, instanceIds=["cpu3c-2-4"])
            self.other_tool("mutation($i: EndpointInput!) { saveEndpoint(input: $i) { id } }", {"i": endpoint})
        elif change.kind == "edits" and endpoint is not None and (self.PROFILE == "full" or set(details["fields"]) <= DOCUMENTED):
            # (a service with only the documented fields has no others to set)
            self.emulator.seed_endpoints([dict(details["fields"], id=endpoint["id"])])
        elif change.kind == "deletes" and endpoint is not None:
            # the other tool scaled it down and waited for the drain, then deletes it
            self.emulator.seed_endpoints([{"id": endpoint["id"], "workersMin": 0, "workersMax": 0, "clusters": []}])
            self.other_tool("mutation($id: String!) { deleteEndpoint(id: $id) }", {"id": endpoint["id"]})
        elif change.kind == "lowers workers_max" and endpoint is not None and not endpoint["workersMin"] and endpoint["workersMax"]:
            # the service lowers workersMax of an endpoint idle for days (observed)
            self.emulator.seed_endpoints([{"id": endpoint["id"], "workersMax": endpoint["workersMax"] - 1}])
        elif change.kind == "workers" and endpoint is not None and endpoint["clusters"]:
            # Seeding clusters replaces every worker, and one seeded without drainRemaining never drains: the
            # workers as stored, each with its remaining drain time, so that the others drain on as they would.
            clusters = self.endpoint_named(details["name"], dict(endpoints=self.emulator.store.dump(persistent=True)))["clusters"]
            if details["status"] == "draining":
                clusters[0]["drainRemaining"] = 3
            else:
                # a stopped worker stays listed as it is (it no longer drains)
                clusters[-1].update(desiredStatus=details["status"], drainRemaining=None)
            self.emulator.seed_endpoints([{"id": endpoint["id"], "clusters": clusters}])
        elif change.kind == "edits template" and [t for t in before["templates"] if t and t["name"] == details["name"]]:
            template = [t for t in before["templates"] if t and t["name"] == details["name"]][0]
            self.emulator.seed_templates([dict(details["fields"], id=template["id"])])
        elif change.kind == "time passes":
            self.clock.sleep(details["seconds"])
        elif change.kind == "sets the worker quota":
            self.emulator.configure(worker_quota=details["quota"])
        elif change.kind in STORE_CHANGE_KINDS:
            # (the documented service has no registry credentials, no secrets and no environment)
            return self.PROFILE == "full" and self.store_change(change, before)
        else:
            return False
        return True

    def store_change(self, change, before):
        """Another tool's change to a registry credential or a secret, or to an environment that refers to a secret;
        False if there is nothing to do."""
        kind, details = change.kind, change.details
        if kind in ("refers to secret", "drops secret references"):
            return self.refer_to_secret(change, before)
        if kind.endswith("credential"):
            auth = stored_named(before, "registryAuths", details["name"])
            values = dict(username=OTHER_TOOL_VALUES["username"], password=OTHER_TOOL_VALUES["password"])
            if kind == "creates credential" and auth is None:
                self.other_tool(SAVE_REGISTRY_AUTH, {"i": dict(values, name=details["name"])}, must_apply=True)
            elif kind == "rotates credential" and auth is not None:
                self.other_tool(UPDATE_REGISTRY_AUTH, {"i": dict(values, id=auth["id"])}, must_apply=True)
            elif kind == "deletes credential" and auth is not None:
                # the service drops the reference of every template that names it
                change.touched.update(t["name"] for t in before["templates"] if t and t["containerRegistryAuthId"] == auth["id"])
                self.other_tool(DELETE_REGISTRY_AUTH, {"id": auth["id"]}, must_apply=True)
            else:
                return False
            return True
        secret = stored_named(before, "secrets", details["name"])
        if kind == "creates secret" and secret is None:
            self.other_tool(CREATE_SECRET, {"i": {"name": details["name"], "value": OTHER_TOOL_VALUES["value"]}}, must_apply=True)
        elif kind == "rotates secret" and secret is not None:
            self.other_tool(UPDATE_SECRET_VALUE, {"i": {"id": secret["id"], "value": OTHER_TOOL_VALUES["value"]}}, must_apply=True)
        elif kind == "describes secret" and secret is not None:
            self.other_tool(UPDATE_SECRET_DESCRIPTION, {"i": {"id": secret["id"], "description": details["description"]}}, must_apply=True)
        elif kind == "deletes secret" and secret is not None:
            self.other_tool(DELETE_SECRET, {"id": secret["id"]}, must_apply=True)
        else:
            return False
        return True

    def refer_to_secret(self, change, before):
        """An endpoint's or a template's environment set in the console: a variable that refers to a secret added,
        or every variable that refers to one removed."""
        details = change.details
        endpoint = self.endpoint_named(details["name"], before)
        templates = [t for t in before["templates"] if t and t["name"] == details["name"]]
        record = endpoint or (templates[0] if templates else None)
        if record is None:
            return False
        env = [i for i in record.get("env") or [] if i and not SECRET_REFERENCE.search(i.get("value") or "")]
        if change.kind == "refers to secret":
            env.append({"key": "CONSOLE_SECRET", "value": "{{ RUNPOD_SECRET_%s }}" % details["secret"]})
        elif len(env) == len(record.get("env") or []):
            return False
        (self.emulator.seed_endpoints if endpoint else self.emulator.seed_templates)([{"id": record["id"], "env": env}])
        return True

    def other_tool(self, document, variables, must_apply=False):
        """One request of another tool (no faults: they are set only for the collection's runs). ``must_apply``: the
        test's model of other tools chose something the service does (else the model is wrong, not the collection)."""
        body = json.dumps({"query": document, "variables": variables}).encode("utf-8")
        reply = self.emulator.handle_request("POST", "/graphql", "api_key=" + API_KEY, {"content-type": "application/json"}, body)
        if must_apply:
            answer = json.loads(reply.body.decode("utf-8"))
            assert reply.status == 200 and not answer.get("errors"), "another tool's request failed: %s" % answer

    def forget_deleted(self, before, after):
        gone = set(by_id(before["endpoints"])) - set(by_id(after["endpoints"]))
        self.stale_ids.extend(sorted(i for i in gone if i))
        for table, stale in self.stale_stored_ids.items():
            stale.extend(sorted(set(r["id"] for r in before[table] if r) - set(r["id"] for r in after[table] if r)))

    def resolve(self, value, state):
        """The task's arguments with each <id of endpoint #N> replaced by that endpoint's id now (or a stale one)."""
        if isinstance(value, StoredIdOf):
            found = stored_named(state, value.table, value.name)
            stale = self.stale_stored_ids[value.table]
            return found["id"] if found else stale[-1] if stale else STALE_STORED_ID
        if isinstance(value, TypoOf):
            return value.misspell(self.resolve(NameOf(value.number), state))
        if isinstance(value, IdOf):
            endpoints = [e for e in state["endpoints"] if e and e["id"] and e["name"]]
            if value.number and endpoints:
                index = value.number - 1 if value.number > 0 else value.number
                return endpoints[index % len(endpoints)]["name" if isinstance(value, NameOf) else "id"]
            if isinstance(value, NameOf):
                return NAMES[value.number % len(NAMES)]
            return self.stale_ids[-1] if self.stale_ids else STALE_ID
        if isinstance(value, dict):
            return dict((k, self.resolve(v, state)) for k, v in value.items())
        if isinstance(value, list):
            return [self.resolve(v, state) for v in value]
        return value

    @rule(task=st.one_of(fleet_tasks(), endpoint_tasks()), change=other_changes(), before_request=st.integers(2, 6))
    def task_while_another_tool_acts(self, task, change, before_request):
        """Another tool changes the account during the run, just before one of its requests (after its first read)."""
        self.task(task, Faults(), meanwhile=(before_request, change))

    def task(self, task, faults, check_mode=False, meanwhile=None):
        """One task of a playbook: checked as the module checks it, run, then run again as a user would."""
        FIGURES.steps += 1
        FIGURES.tasks += 1
        self.number += 1
        module = MODULES[task.module]
        state = self.state()
        args = self.resolve(task.args, state)
        given = dict(args)
        args = dict(dict(api_url=API_URL, api_key=API_KEY), **args)
        if isinstance(args["api_key"], ReadOnlyKey):
            args["api_key"] = READ_ONLY_KEY
        ids = ", ".join("%s is %s" % (e["id"], e["name"]) for e in state["endpoints"] if e and e["id"] and e["id"] in repr(args))
        mode = " (check mode)" if check_mode else ""
        ids = " (%s)" % ids if ids else ""
        acting = "; before request %d, %r" % meanwhile if meanwhile else ""
        note("step %d: %s %s%s, %r%s%s" % (self.number, task.module, flow(given), mode, faults, ids, acting))
        params, errors = module.validate(args)
        problems = invalid_options(task.module, given)
        if errors or problems:
            self.expect(errors, "the task is invalid (%s) but the module accepted it", ", ".join(problems))
            self.expect(problems, "the module refused a valid task: %s", "; ".join(errors))
            FIGURES.outcomes["refused by the option checks"] += 1
            note("  refused by the option checks: %s" % "; ".join(errors))
            return
        outcome = self.run(module, params, faults, check_mode, meanwhile)
        if check_mode:
            prediction = outcome
            self.check_check_mode(prediction)
            outcome = self.run(module, params)
            self.check_prediction(prediction, outcome)
        FIGURES.outcomes[outcome.cause] += 1
        for _attempt in range(3):
            if outcome.cause not in ("fault", "timeout", "raced"):
                break
            # The user runs the task again, without faults, once the drains are over.
            self.clock.sleep(self.emulator.config()["drain_seconds"] + self.emulator.config()["template_recent_use_seconds"] + 1)
            outcome = self.run(module, params)
        self.expect(outcome.cause in ("ok", "refused"), "a run without faults did not converge: %r", outcome)
        if outcome.cause == "ok" and outcome.meanwhile is not None:
            # what another tool did during the run may leave something to do: the next run does it
            outcome = self.run(module, params)
            self.expect(outcome.cause in ("ok", "refused"), "a run without faults did not converge: %r", outcome)
        if outcome.cause == "ok" and task.module not in INFO_MODULES:
            self.check_repeat(self.run(module, params))

    def run(self, module, params, faults=None, check_mode=False, meanwhile=None):
        """One module run, then the invariants every run keeps. ``meanwhile``: (request number, Change)."""
        FIGURES.runs += 1
        before = self.state()
        self.emulator.clear_log()
        acting = None
        if meanwhile:
            number, change = meanwhile

            def act():
                note("  meanwhile, %r%s" % (change, "" if self.change(change, self.state()) else " (nothing to do)"))

            acting = (number, act)
        schedule = FaultSchedule(self.emulator, Faults() if faults is None else faults, params["api_timeout"], acting)
        result, error, run, adapter = module.run(params, self.emulator, self.clock, check_mode=check_mode, diff=True, before_send=schedule.before_send)
        self.emulator.set_faults()
        log = self.emulator.log()
        after = self.state()
        met = collections.Counter(kind for kind in schedule.sent if kind and kind != "timeout")
        met["lost response"] = len([e for e in log["requests"] if e["fault"] == "drop_after_apply"])
        met["timeout"] = adapter.timeouts
        met = collections.Counter(dict((k, n) for k, n in met.items() if n))
        FIGURES.faults.update(met)
        outcome = Outcome(
            module.name,
            params,
            check_mode,
            faults,
            result,
            error,
            run,
            before,
            after,
            log,
            met,
            meanwhile[1] if meanwhile and len(schedule.sent) >= meanwhile[0] else None,
        )
        note("  %r" % outcome)
        self.forget_deleted(before, after)
        self.check_run(outcome)
        return outcome

    # -- invariants ------------------------------------------------------------------------------

    def check_run(self, outcome):
        self.expect(outcome.cause != "bug", "the run failed without a fault to blame: %s: %s", type(outcome.error).__name__, outcome.message)
        seen = len(outcome.requests) + outcome.faults_met["connection refused"]  # (those never reach it)
        self.expect(
            outcome.requests_sent == seen,
            "the run counted %d requests, the service saw %d (and %d connections refused)",
            outcome.requests_sent,
            len(outcome.requests),
            outcome.faults_met["connection refused"],
        )
        if outcome.error is not None:
            kind = outcome.error.kind if isinstance(outcome.error, (APIError, ModelError)) else "bug"
            failure = outcome.result.get("failure") or {}
            self.expect(
                outcome.result.get("failed") and failure.get("kind") == kind and outcome.result["msg"] == failure.get("message"),
                "the failure is not shaped with its kind (%s): %r",
                kind,
                outcome.result,
            )
        shown = json.dumps([outcome.result, outcome.message, outcome.warnings, outcome.actions])
        # (template info shows variable values when asked to: include_env_values)
        for hidden in HIDDEN + (() if outcome.params.get("include_env_values") else ENV_HIDDEN):
            self.expect(hidden not in shown, "a result or message shows %r: %s", hidden, shown)
        self.check_names(outcome.after)
        self.check_creates(outcome)
        self.check_other_tables(outcome)
        if outcome.cause == "ok" and outcome.module in ("tensorone_registry_auth", "tensorone_secret"):
            self.check_stored_diff(outcome)
        if outcome.cause == "refused":
            self.expect(self.refusal_justified(outcome), "refused for a reason the account does not bear out: %s", outcome.message)
            if isinstance(outcome.error, ModelError) and ("the service refused it" in outcome.message or outcome.meanwhile):
                # (only the service can tell whether an endpoint beyond the list's cap, or one another tool made during the
                # run, uses the template a delete was sent for)
                self.expect(outcome.applied == 0, "a refused run applied %d mutations", outcome.applied)
            elif isinstance(outcome.error, ModelError):
                self.expect(outcome.mutations == 0, "a refused run sent %d mutations", outcome.mutations)
        if outcome.check_mode:
            return
        if outcome.cause == "ok":
            # (an endpoint deleted elsewhere while the run waits for its drain counts as deleted: the run's own
            # delete may have been applied before its response was lost)
            applied = outcome.applied > 0 or (outcome.meanwhile is not None and bool(outcome.actions))
            self.expect(
                outcome.result["changed"] == bool(outcome.actions) == applied,
                "changed is %s with actions %s and %d mutations applied",
                outcome.result["changed"],
                flow(outcome.actions),
                outcome.applied,
            )
            if outcome.result["changed"] and outcome.meanwhile is None:
                self.expect(
                    in_effect(outcome.after) != in_effect(outcome.before),
                    "the run reports a change, but the account does the same as before: %s",
                    flow(outcome.actions),
                )
            self.check_returned(outcome)
        if outcome.module in INFO_MODULES:
            self.check_info_run(outcome)
        elif outcome.module == "tensorone_template":
            self.check_template_run(outcome)
        elif outcome.module == "tensorone_registry_auth":
            self.check_registry_auth_run(outcome)
        elif outcome.module == "tensorone_secret":
            self.check_secret_run(outcome)
        else:
            self.check_endpoint_run(outcome)

    def returned(self, outcome):
        """(kind, views) the module returned: its endpoints, template, registry credential or secret."""
        result = outcome.result
        if outcome.module == "tensorone_template":
            return "templates", [result["template"]] if result["template"] else []
        if outcome.module == "tensorone_template_info":
            return "templates", result["templates"]
        if outcome.module == "tensorone_registry_auth":
            return "registryAuths", [result["registry_auth"]] if result["registry_auth"] else []
        if outcome.module == "tensorone_registry_auth_info":
            return "registryAuths", result["registry_auths"]
        if outcome.module == "tensorone_secret":
            return "secrets", [result["secret"]] if result["secret"] else []
        if outcome.module == "tensorone_secret_info":
            return "secrets", result["secrets"]
        if outcome.module == "tensorone_endpoint":
            return "endpoints", [result["endpoint"]] if result["endpoint"] else []
        return "endpoints", result["endpoints"]

    def check_returned(self, outcome):
        """What a successful run returns is what the service has, option by option."""
        kind, views = self.returned(outcome)
        stored = dict((e["id"], e) for e in outcome.after[kind] if e)
        table = dict(templates=TEMPLATE_API, registryAuths=REGISTRY_AUTH_API, secrets=SECRET_API).get(kind, ENDPOINT_API)
        for view in views:
            if view["name"] in touched_names(outcome):
                continue
            self.expect(view["id"] in stored, "the run returned %s %r, which the service does not have", kind, view.get("name"))
            if kind == "registryAuths":
                self.expect(
                    sorted(view["template_ids"]) == naming_credential(outcome.after, view["id"]),
                    "the run returned registry credential %r with template_ids %s, the templates that name it are %s",
                    view["name"],
                    view["template_ids"],
                    naming_credential(outcome.after, view["id"]),
                )
            for option, (field, how) in table.items():
                if option in view and how != "template":
                    self.expect(
                        matches(how, stored[view["id"]][field], view[option]),
                        "the run returned %s %r with %s %s, the service has %r",
                        kind,
                        view.get("name"),
                        option,
                        flow(view[option]),
                        stored[view["id"]][field],
                    )

    def check_names(self, state):
        for kind in TABLES:
            names = [e["name"] for e in state[kind] if e]
            self.expect(len(names) == len(set(names)), "two %s with one name: %s", kind, names)

    def check_creates(self, outcome):
        """No create is duplicated: once the service applied a create of a name, no create of it reaches the service again."""
        applied = set()
        for entry in outcome.requests:
            if entry["mutation_kind"] in ("create", "template_create", "registry_auth_create", "secret_create") and entry["fault"] in (
                None,
                "drop_after_apply",
            ):
                name = (entry["mutation_kind"], entry["variables"]["input"]["name"])
                self.expect(name not in applied, "a second create of %r reached the service after the first was applied", name[1])
                if entry["applied"]:
                    applied.add(name)

    def check_check_mode(self, outcome):
        self.expect(outcome.mutations == 0, "check mode sent %d mutations", outcome.mutations)
        self.expect(without_workers(outcome.after) == without_workers(outcome.before), "check mode changed the account")
        if outcome.cause == "ok":
            self.expect(outcome.result["changed"] == bool(outcome.actions), "check mode: changed is not whether there are actions")

    def check_prediction(self, prediction, real):
        """Check mode predicts what the same task does when run: the same actions (deletes in any order)."""
        if prediction.cause in ("fault", "timeout"):
            return
        if prediction.cause == "refused" and isinstance(prediction.error, ModelError):
            # (check mode goes on past a template not created yet, so it may name another reason first)
            self.expect(
                real.cause == "refused" and isinstance(real.error, ModelError), "check mode refused (%s), the run did not: %r", prediction.message, real
            )
            return
        if real.cause != "ok":
            # Check mode knows the collection's own checks, not every refusal of the API (documented);
            # it warns of a template not created yet, and of a credential or secret a template needs that does not exist yet.
            pending = any("not created yet" in w or "No template named" in w or "a run fails unless" in w for w in prediction.warnings)
            # (a template delete at the list's cap reports the service's refusal: only the service knows what is beyond it)
            by_service = isinstance(real.error, APIError) or "the service refused it" in real.message
            self.expect(
                real.cause == "timeout" or (real.cause == "refused" and (by_service or pending)),
                "check mode predicted %s, the run: %r",
                flow(prediction.actions),
                real,
            )
            return

        def split(actions):
            return [a for a in actions if not a.startswith("delete ")], sorted(a for a in actions if a.startswith("delete "))

        self.expect(split(prediction.actions) == split(real.actions), "check mode predicted %s, the run did %s", flow(prediction.actions), flow(real.actions))
        self.expect(
            prediction.result["changed"] == real.result["changed"],
            "check mode predicted changed=%s, the run %s",
            prediction.result["changed"],
            real.result["changed"],
        )
        # and the values it returns (the id of a create, the workers, and a secret's times are not known before)
        predicted, done = self.returned(prediction)[1], self.returned(real)[1]
        self.expect(len(predicted) == len(done), "check mode predicted %d results, the run returned %d", len(predicted), len(done))
        for guess, view in zip(predicted, done):
            differ = sorted(k for k in guess if k in view and k not in ("id", "workers", "created_at", "updated_at") and guess[k] != view[k])
            self.expect(
                not differ, "check mode predicted %s, the run returned %s", flow(dict((k, guess[k]) for k in differ)), flow(dict((k, view[k]) for k in differ))
            )

    def check_repeat(self, outcome):
        """The same task again changes nothing, in one request (two when it names an id beyond the list's cap, read by id);
        one that sends a write-only value on every run (always) sends it once again: one update, two requests."""
        if rotates(outcome.params):
            self.expect(
                outcome.cause == "ok" and outcome.result["changed"] and len(outcome.actions) == 1,
                "the same task again with %s did not send the value once more: %r",
                "update_password=always" if "update_password" in outcome.params else "update_value=always",
                outcome,
            )
            self.expect(
                outcome.mutations == 1 and len(outcome.requests) == 2,
                "the same task again sent %d requests, %d mutations (a rotation: the read and one update)",
                len(outcome.requests),
                outcome.mutations,
            )
            return
        capped = at_cap(outcome.before, self.list_cap)
        if outcome.cause == "refused" and capped and "the most the API lists" in outcome.message:
            # (justified as any refusal: the list at its cap no longer shows what the task decides on, an endpoint the
            # run created past it, or one it deleted by name: gone now, or beyond the list?)
            note("  at the list's cap, the same task again is refused")
            return
        self.expect(outcome.cause == "ok" and not outcome.result["changed"] and not outcome.actions, "the same task again changed something: %r", outcome)
        shown = set(e["id"] for e in listed(outcome.before, self.list_cap) if e)
        by_id = capped and any(item.get("id") is not None and item["id"] not in shown for item in _items(outcome))
        self.expect(
            outcome.mutations == 0 and len(outcome.requests) == 1 + by_id,
            "the same task again sent %d requests, %d mutations",
            len(outcome.requests),
            outcome.mutations,
        )

    # -- endpoints --

    def items(self, outcome):
        params = outcome.params
        if outcome.module == "tensorone_endpoints":
            return [options_set(item, ignore=()) for item in params["endpoints"]], params
        return [options_set(params, ignore=("wait_timeout",))], {}

    def check_endpoint_run(self, outcome):
        """Declared endpoints as declared, every other field and endpoint as it was; a prune deletes only its candidates."""
        ok = outcome.cause == "ok"
        items, fleet = self.items(outcome)
        before, after = by_id(outcome.before["endpoints"]), by_id(outcome.after["endpoints"])
        templates = outcome.before["templates"]
        selected = {}
        for item in items:
            endpoint = before.get(item["id"]) if "id" in item else self.endpoint_named(item.get("name"), outcome.before)
            if endpoint:
                selected[endpoint["id"]] = item
        declared_names = set(item["name"] for item in items if "name" in item)
        candidates = set()
        refused_prune = None
        if fleet.get("prune"):
            prefix = fleet.get("prune_prefix") or ""
            candidates = set(
                i
                for i, e in before.items()
                if i not in selected and e["name"] not in declared_names and i is not None and e["name"] is not None and e["name"].startswith(prefix)
            )
            refused_prune = self.prune_refusal(outcome, fleet, items, selected, candidates)
            if refused_prune:
                candidates = set()  # a prune the documentation says is refused deletes nothing
        touched = touched_names(outcome)
        for endpoint_id, old in before.items():
            new = after.get(endpoint_id)
            item = selected.get(endpoint_id)
            deleting = endpoint_id in candidates or (item is not None and item.get("state") == "absent")
            where = "endpoint %r (%s)" % (old["name"], endpoint_id)
            if old["name"] in touched or (item is not None and item.get("name") in touched):
                continue  # another tool changed it during the run (by its name, or by the name this run gives it)
            if new is None:
                self.expect(
                    deleting,
                    "%s was deleted but not declared absent or pruned%s",
                    where,
                    " (the prune must be refused: %s)" % refused_prune if refused_prune else "",
                )
                continue
            self.expect(not (ok and deleting), "%s should be deleted and is not", where)
            for field in changed_fields(old, new):
                # a change the service ignores is no change, whatever the run reports
                self.expect(
                    field != "gpuIds" or not new["instanceIds"],
                    "%s: the run changed gpuIds to %r, which the service ignores: it is a CPU endpoint (instanceIds %r)",
                    where,
                    new[field],
                    new["instanceIds"],
                )
                self.expect(
                    field != "networkVolumeId" or not new[field] or not new["networkVolumeIds"],
                    "%s: the run changed networkVolumeId to %r, which the service ignores beside networkVolumeIds %r",
                    where,
                    new[field],
                    new["networkVolumeIds"],
                )
                if field == "env" and without_null_values(old[field]) == new[field]:
                    continue  # a variable without a value goes back with an empty one (the input requires a value)
                if deleting:
                    allowed = field in ("workersMin", "workersMax") and new[field] == 0
                else:
                    allowed = item is not None and any(
                        ENDPOINT_API[o][0] == field and matches(ENDPOINT_API[o][1], new[field], v, templates) for o, v in item.items() if o in ENDPOINT_API
                    )
                self.expect(allowed, "%s: %s changed from %r to %r, which the task did not ask", where, field, old[field], new[field])
            if ok and item is not None and not deleting:
                self.check_declared(where, new, item, templates)
        created = [e for i, e in after.items() if i not in before and e["name"] not in touched]
        for new in created:
            item = [i for i in items if i.get("name") == new["name"] and "id" not in i and i.get("state") != "absent"]
            self.expect(item and item[0] not in selected.values(), "endpoint %r was created but not declared", new["name"])
            where = "created endpoint %r" % new["name"]
            self.check_declared(where, new, item[0], templates)
            for field, default in ENDPOINT_CREATE_DEFAULTS.items():
                if not any(ENDPOINT_API[o][0] == field for o in item[0] if o in ENDPOINT_API):
                    self.expect(new[field] == default, "%s: %s is %r, not the create default %r", where, field, new[field], default)
        if ok:
            for item in items:
                if (
                    item.get("state") != "absent"
                    and "id" not in item
                    and item["name"] not in touched
                    and not any(e["name"] == item["name"] for e in before.values())
                ):
                    self.expect(any(e["name"] == item["name"] for e in created), "endpoint %r was not created", item["name"])
        self.expect(untouched(outcome.after["templates"], touched) == untouched(outcome.before["templates"], touched), "an endpoint task changed templates")

    def prune_refusal(self, outcome, fleet, items, selected, candidates):
        """Why the documentation says this prune is refused (None: it is not)."""
        if at_cap(outcome.before, self.list_cap):
            return "the account's list is at its cap"
        if not fleet.get("prune_prefix") and not fleet["prune_all"] and candidates:
            if all(item["state"] == "absent" for item in items):
                return "no endpoint to keep and no prune_prefix"
            if not selected:
                return "none of the endpoints the list declares exists, and no prune_prefix"
        if fleet.get("prune_max") is not None and len(candidates) > fleet["prune_max"]:
            return "more than prune_max"
        return None

    def check_declared(self, where, stored, item, templates):
        for option, value in item.items():
            if option in ENDPOINT_API:
                field, kind = ENDPOINT_API[option]
                self.expect(
                    matches(kind, stored[field], value, templates), "%s: %s is %r, the task asks %s: %s", where, field, stored[field], option, flow(value)
                )

    # -- info --

    def check_info_run(self, outcome):
        """An info task changes nothing and lists what the service has; at the list's cap it says what it may miss."""
        self.expect(outcome.mutations == 0, "an info task sent %d mutations", outcome.mutations)
        self.expect(without_workers(outcome.after) == without_workers(outcome.before), "an info task changed the account")
        if outcome.cause != "ok":
            return
        capped = at_cap(outcome.before, self.list_cap)
        if outcome.module == "tensorone_endpoint_info":
            self.check_endpoint_info(outcome, capped)
        elif outcome.module == "tensorone_template_info":
            self.check_template_info(outcome, capped)
        else:
            self.check_stored_info(outcome)

    def check_stored_info(self, outcome):
        """Every registry credential or secret that matches the id and name asked, and nothing else."""
        kind, views = self.returned(outcome)
        wanted_id, wanted_name = outcome.params.get("id"), outcome.params.get("name")
        have = sorted((r["id"], r["name"]) for r in outcome.before[kind] if r and wanted_id in (None, r["id"]) and wanted_name in (None, r["name"]))
        returned = sorted((v["id"], v["name"]) for v in views)
        self.expect(returned == have, "%s returned %s, the account has %s", outcome.module, returned, have)

    def check_endpoint_info(self, outcome, capped):
        """Every endpoint that matches (by id: read beyond the list too), or, at the cap, those the list shows, saying so."""
        wanted_id, wanted_name = outcome.params.get("id"), outcome.params.get("name")

        def matching(endpoints):
            return sorted(((e["id"], e["name"]) for e in endpoints if e and wanted_id in (None, e["id"]) and wanted_name in (None, e["name"])), key=repr)

        returned = sorted(((v["id"], v["name"]) for v in outcome.result["endpoints"]), key=repr)
        complete = wanted_id is not None or not capped
        self.expect(
            outcome.result.get("complete") is complete,
            "endpoint info: complete is %r, the list of %d endpoints %s",
            outcome.result.get("complete"),
            len(outcome.before["endpoints"]),
            "is at the cap" if capped else "is whole",
        )
        if complete:
            self.expect(
                returned == matching(outcome.before["endpoints"]),
                "endpoint info returned %s, the account has %s",
                returned,
                matching(outcome.before["endpoints"]),
            )
        else:
            self.expect(
                returned == matching(listed(outcome.before, self.list_cap)),
                "endpoint info returned %s, the list shows %s",
                returned,
                matching(listed(outcome.before, self.list_cap)),
            )
            self.expect(any("missing" in w for w in outcome.warnings), "endpoint info at the list's cap does not warn: %s", outcome.warnings)

    def check_template_info(self, outcome, capped):
        """Each template's endpoint_ids are the endpoints that use it; at the cap, those the list shows, and a warning."""
        wanted = outcome.params.get("name")
        templates = [t for t in outcome.before["templates"] if t and wanted in (None, t["name"])]
        views = dict((v["id"], v) for v in outcome.result["templates"])
        self.expect(
            sorted(views) == sorted(t["id"] for t in templates),
            "template info returned %s, the account has %s",
            sorted(views),
            sorted(t["id"] for t in templates),
        )
        warns = any("may miss endpoints" in w for w in outcome.warnings)
        self.expect(
            warns == capped,
            "template info %s, the list of %d endpoints %s",
            "warns" if warns else "does not warn",
            len(outcome.before["endpoints"]),
            "is at the cap" if capped else "is whole",
        )
        endpoints = listed(outcome.before, self.list_cap) if capped else outcome.before["endpoints"]
        for template in templates:
            users = sorted(e["id"] for e in endpoints if e and e["id"] and e["templateId"] == template["id"])
            self.expect(
                sorted(views[template["id"]]["endpoint_ids"]) == users,
                "template info: %r has endpoint_ids %s, used by %s",
                template["name"],
                views[template["id"]]["endpoint_ids"],
                users,
            )

    # -- templates --

    def check_template_run(self, outcome):
        """The template as declared, its other fields and variables as they were; no other template and no endpoint changed."""
        ok = outcome.cause == "ok"
        args = outcome.params
        touched = touched_names(outcome)
        before, after = by_id(untouched(outcome.before["endpoints"], touched)), by_id(untouched(outcome.after["endpoints"], touched))
        self.expect(set(before) == set(after), "a template task created or deleted endpoints")
        for endpoint_id, old in before.items():
            self.expect(
                not changed_fields(old, after[endpoint_id]), "a template task changed endpoint %r: %s", old["name"], changed_fields(old, after[endpoint_id])
            )
        if args["name"] in touched:
            return  # another tool changed the template during the run
        if ok and args["state"] == "present":
            # what the template names must exist: the credential (by name), the secrets its values refer to
            credential = args.get("container_registry_auth")
            self.expect(
                credential is None or stored_named(outcome.before, "registryAuths", credential),
                "template %r was saved naming registry credential %r, which does not exist",
                args["name"],
                credential,
            )
            missing = sorted(n for n in task_references(args) if not stored_named(outcome.before, "secrets", n))
            self.expect(not missing, "template %r was saved referring to secrets that do not exist: %s", args["name"], missing)
        args = with_credential_id(args, outcome.before)
        old_templates = dict((t["id"], t) for t in outcome.before["templates"] if t)
        new_templates = dict((t["id"], t) for t in outcome.after["templates"] if t)
        name = args["name"]
        for template_id, old in old_templates.items():
            if old["name"] != name and old["name"] not in touched:
                self.expect(new_templates.get(template_id) == old, "template %r changed, the task names %r", old["name"], name)
        self.expect(all(t["name"] == name for i, t in new_templates.items() if i not in old_templates), "a template the task does not name was created")
        old = [t for t in old_templates.values() if t["name"] == name]
        new = [t for t in new_templates.values() if t["name"] == name]
        old, new = (old[0] if old else None), (new[0] if new else None)
        if args["state"] == "absent":
            self.expect(new is None or new == old, "template %r changed by a delete", name)
            self.expect(not ok or new is None, "template %r is not deleted", name)
            return
        if new is None or new == old:
            self.expect(not ok or new is not None, "template %r was not created", name)
            if ok:
                self.expect(not template_changes(new, args), "template %r not saved: %s differs", name, template_changes(new, args))
            return
        # A save replaces the whole template: the one the run made must be exactly what was asked.
        expected = expected_template(old, args)
        for field in set(expected) | set(new):
            if field != "id":
                self.expect(
                    field_equal(field, new.get(field), expected.get(field)),
                    "template %r: %s is %r, expected %r",
                    name,
                    field,
                    new.get(field),
                    expected.get(field),
                )

    # -- registry credentials and secrets --

    def check_other_tables(self, outcome):
        """A run changes only what its module manages: registry credentials and secrets only through their own modules,
        and those modules nothing else (check mode and info tasks nothing at all, checked apart), but for what another
        tool changed during the run. (Endpoint and template tasks are checked field by field apart.)"""
        owned = OWNER.get(outcome.module)
        changed = tables_changed(outcome.meanwhile)
        tables = TABLES if owned in ("registryAuths", "secrets") else ("registryAuths", "secrets")
        before, after = in_effect(outcome.before), in_effect(outcome.after)
        for table in tables:
            if table != owned and table not in changed:
                self.expect(before[table] == after[table], "a %s task changed %s", outcome.module, table)

    def check_stored_diff(self, outcome):
        """The diff shows a write-only value masked, marked as changed exactly when the run sends it (or would: check mode)."""
        params, diff = outcome.params, outcome.result["diff"]
        options = ("username", "password") if outcome.module == "tensorone_registry_auth" else ("value",)
        if params["state"] == "absent":
            self.expect(diff["after"] == {}, "the diff of a delete shows something after it: %s", flow(diff))
            return
        # the run's action lines say whether it sent the value: a create, or an update that names it (a rotation)
        sends = any(a.startswith("create ") or a.startswith("rotate ") or (a.startswith("update ") and a.endswith("value")) for a in outcome.actions)
        for option in options:
            self.expect(
                diff["after"].get(option) == (MASKED_SENT if sends else MASKED),
                "the diff shows %s after the run as %r, the run %s it",
                option,
                diff["after"].get(option),
                "sends" if sends else "does not send",
            )
            self.expect(
                diff["before"] == {} or diff["before"].get(option) == MASKED, "the diff shows %s before the run as %r", option, diff["before"].get(option)
            )

    def check_registry_auth_run(self, outcome):
        """The credential as declared: the task's username and password sent on create, and to an existing one only
        with update_password=always, once per run; a delete only of a credential no template names; no other changed."""
        self.check_stored_run(outcome, "registryAuths", ("username", "password"), "registry_auth_update", "update_password")
        name, ok = outcome.params["name"], outcome.cause == "ok"
        old = stored_named(outcome.before, "registryAuths", name)
        if ok and outcome.params["state"] == "absent" and old is not None and name not in touched_names(outcome):
            users = naming_credential(outcome.before, old["id"])
            self.expect(not users, "registry credential %r was deleted while templates named it: %s", name, users)

    def check_secret_run(self, outcome):
        """The secret as declared: its description, its value sent on create, and to an existing one only with
        update_value=always, once per run; a delete only of a secret no environment refers to, with every endpoint
        known; no other changed."""
        self.check_stored_run(outcome, "secrets", ("value",), "secret_value_update", "update_value")
        params, ok = outcome.params, outcome.cause == "ok"
        name = params["name"]
        if name in touched_names(outcome):
            return
        old, new = stored_named(outcome.before, "secrets", name), stored_named(outcome.after, "secrets", name)
        if ok and params["state"] == "absent" and old is not None:
            self.expect(
                not referrers(outcome.before, name), "secret %r was deleted while environments referred to it: %s", name, referrers(outcome.before, name)
            )
            self.expect(not at_cap(outcome.before, self.list_cap), "secret %r was deleted with the list of endpoints at its cap", name)
        if params["state"] == "present" and old is not None and new is not None:
            wanted = params.get("description")
            if wanted is None:
                self.expect(new["description"] == old["description"], "secret %r: its description changed, the task sets none", name)
            elif ok:
                self.expect(
                    (new["description"] or None) == (wanted or None), "secret %r: description is %r, the task asks %r", name, new["description"], wanted
                )
        if ok and params["state"] == "present" and old is None:
            self.expect((new["description"] or None) == (params.get("description") or None), "created secret %r: description is %r", name, new["description"])

    def check_stored_run(self, outcome, table, options, update_kind, always_option):
        """What tensorone_registry_auth and tensorone_secret share: the write-only values (known by their fingerprints
        and counters in the state dump) sent on create, never to an existing resource unless always, then exactly once
        (twice only after a fault that lets an update reach the service twice); a delete deletes; nothing else changes."""
        params, ok = outcome.params, outcome.cause == "ok"
        name = params["name"]
        touched = touched_names(outcome)
        counter = "rotations" if table == "registryAuths" else "valueUpdates"
        old_by_id, new_by_id = by_id(outcome.before[table]), by_id(outcome.after[table])
        for record_id, record in old_by_id.items():
            if record["name"] != name and record["name"] not in touched:
                self.expect(new_by_id.get(record_id) == record, "%s %r changed, the task names %r", table, record["name"], name)
        self.expect(
            all(r["name"] in (name,) + tuple(touched) for i, r in new_by_id.items() if i not in old_by_id), "%s: one the task does not name was created", table
        )
        if name in touched:
            return  # another tool changed it during the run
        if ok and not outcome.actions and not sum(outcome.faults_met.values()):
            self.expect(len(outcome.requests) == 1, "a run that changes nothing sent %d requests", len(outcome.requests))
        old, new = stored_named(outcome.before, table, name), stored_named(outcome.after, table, name)
        updates = requests_of(outcome, update_kind, applied=True)
        if params["state"] == "absent":
            self.expect(new is None or new == old, "%s %r changed by a delete", table, name)
            self.expect(not ok or new is None, "%s %r is not deleted", table, name)
            return
        if old is not None and new is not None:
            self.expect(
                all(new[f] == old[f] for f in ("id", "name", "createdAt") if f in old), "%s %r: its identity changed: %s, then %s", table, name, old, new
            )
        if old is not None and params[always_option] != "always":
            self.expect(not requests_of(outcome, update_kind), "%s=on_create sent the values to the existing %s %r", always_option, table, name)
            self.expect(
                new is None or all(new[o + "Fingerprint"] == old[o + "Fingerprint"] for o in options) and new[counter] == old[counter],
                "%s=on_create changed the values of the existing %s %r",
                always_option,
                table,
                name,
            )
        if not ok:
            return
        self.expect(new is not None, "%s %r was not created", table, name)
        given = [o for o in options if params.get(o) is not None]
        if old is not None and params[always_option] != "always" and given:
            self.expect(
                any(always_option in w for w in outcome.warnings),
                "%s %r exists: the task's %s were neither compared nor sent, and no warning says so: %s",
                table,
                name,
                ", ".join(given),
                outcome.warnings,
            )
        if old is None:
            # a create sends the values once, with always too
            self.expect(not updates and (new[counter] or 0) == 0, "a create of %s %r sent the values again (%d updates)", table, name, len(updates))
        elif params[always_option] == "always":
            self.expect(outcome.result["changed"], "%s=always did not report a change", always_option)
            self.expect(
                len(updates) == 1 or (len(updates) > 1 and may_repeat(outcome)),
                "%s=always applied %d updates to %s %r in one run",
                always_option,
                len(updates),
                table,
                name,
            )
            self.expect(
                (new[counter] or 0) - (old[counter] or 0) == len(updates),
                "%s %r: %s went from %s to %s, with %d updates applied",
                table,
                name,
                counter,
                old[counter],
                new[counter],
                len(updates),
            )
        if old is None or params[always_option] == "always":
            for option in options:
                self.expect(new[option + "Fingerprint"] == fingerprint(params[option]), "%s %r does not hold the task's %s", table, name, option)

    # -- refusals --

    def refusal_justified(self, outcome):
        """Whether the account before the run (or at the refusal, for the API's quota) bears the refusal out."""
        message, kind = outcome.message, getattr(outcome.error, "kind", None)
        for refusal_kind, pattern, justified in REFUSALS:
            match = re.search(pattern, message)
            if match:
                # the kind the collection gives it (failure.kind) is the one its rule says
                return kind == refusal_kind and justified(self, outcome, match)
        return False

    def __repr__(self):
        return "%s account" % self.PROFILE


def rotates(params):
    """Whether the task sends a write-only value on every run: a present credential or secret with always."""
    return params.get("state") == "present" and "always" in (params.get("update_password"), params.get("update_value"))


def task_references(args):
    """The names of the secrets the values of a template task refer to."""
    values = list((args.get("env") or {}).values()) + list((args.get("secret_env") or {}).values())
    return set(name for value in values if isinstance(value, str) for name in SECRET_REFERENCE.findall(value))


def with_credential_id(args, state):
    """The task's arguments with container_registry_auth (a credential's name) as the id of the credential of that
    name in ``state`` (None: there is none)."""
    name = args.get("container_registry_auth")
    if name is None:
        return args
    found = stored_named(state, "registryAuths", name)
    return dict(args, container_registry_auth=None, container_registry_auth_id=found["id"] if found else None)


def template_env(old, args):
    """The variables a save of the task leaves (a value read as null is written as "")."""
    env = dict((i["key"], "" if i["value"] is None else i["value"]) for i in (old or {}).get("env") or [] if i)
    for key, value in list((args.get("env") or {}).items()) + list((args.get("secret_env") or {}).items()):
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def template_changes(template, args):
    """The options (and env) of ``args`` the stored template does not have."""
    changes = [o for o, v in options_set(args).items() if o in TEMPLATE_API and not matches(TEMPLATE_API[o][1], template[TEMPLATE_API[o][0]], v)]
    env = dict((i["key"], i["value"]) for i in template["env"] or [] if i)
    managed = dict(args.get("env") or {}, **(args.get("secret_env") or {}))
    if any(env.get(k) != v if v is not None else k in env for k, v in managed.items()):
        changes.append("env")
    return changes


def expected_template(old, args):
    """What a save of the task leaves (compared with field_equal): old as it was, the task's options and variables set."""
    expected = dict(old) if old else dict(TEMPLATE_CREATE_DEFAULTS, name=args["name"])
    for option, value in options_set(args).items():
        if option in TEMPLATE_API:
            expected[TEMPLATE_API[option][0]] = value
    expected["env"] = template_env(old, args)
    return expected


def field_equal(field, stored, expected):
    if field == "env":
        return dict((i["key"], i["value"]) for i in stored or []) == expected
    if field in [api for api, kind in TEMPLATE_API.values() if kind == "none"]:
        return (stored or None) == (expected or None)
    return stored == expected


# --- the refusals the collection and the service make, and what the account must show for each -----


def _item_named(outcome, name):
    items = outcome.params["endpoints"] if outcome.module == "tensorone_endpoints" else [outcome.params]
    return [i for i in items if i.get("name") == name]


def _items(outcome):
    return outcome.params["endpoints"] if outcome.module == "tensorone_endpoints" else [outcome.params]


def _before(outcome):
    return by_id(outcome.before["endpoints"])


def _named(state, name):
    return [e for e in state["endpoints"] if e and e["name"] == name and name is not None]


def _selects(item, outcome):
    before = _before(outcome)
    if item.get("id") is not None:
        return before.get(item["id"])
    named = _named(outcome.before, item.get("name"))
    return named[0] if named else None


def _needs(_machine, outcome, match):
    missing = [m.strip() for m in match.group("missing").split(",")]
    items = _item_named(outcome, match.group("name"))
    return (
        not _named(outcome.before, match.group("name"))
        and len(items) == 1
        and all(
            items[0].get(m) is None and (m != "gpu_ids" or not items[0].get("instance_ids")) and (m != "template_id" or items[0].get("template") is None)
            for m in missing
        )
    )


def _no_id(_machine, outcome, match):
    return match.group("id") not in _before(outcome)


def _other_name(_machine, outcome, match):
    endpoint = _before(outcome).get(match.group("id"))
    return endpoint is not None and endpoint["name"] == match.group("actual") != match.group("name")


def _min_on_create(_machine, outcome, match):
    return any(i.get("workers_min") == int(match.group("min")) > 3 and i.get("workers_max") is None and _selects(i, outcome) is None for i in _items(outcome))


def _min_above_max(_machine, outcome, match):
    for item in _items(outcome):
        endpoint = _selects(item, outcome)
        if endpoint and item.get("state") != "absent":
            low = endpoint["workersMin"] if item.get("workers_min") is None else item["workers_min"]
            high = endpoint["workersMax"] if item.get("workers_max") is None else item["workers_max"]
            if (low, high) == (int(match.group("min")), int(match.group("max"))) and low > high:
                return True
    return False


def _fixed_type(_machine, outcome, match):
    endpoint = _before(outcome).get(match.group("id"))
    return (
        endpoint is not None
        and endpoint["type"] == match.group("type")
        and any(_selects(i, outcome) is endpoint and i.get("endpoint_type") not in (None, endpoint["type"]) for i in _items(outcome))
    )


def _name_taken(_machine, outcome, match):
    holder = _before(outcome).get(match.group("holder"))
    return holder is not None and holder["name"] == match.group("new") and match.group("holder") != match.group("id")


def _same_endpoint(_machine, outcome, match):
    return sum(1 for i in _items(outcome) if (_selects(i, outcome) or {}).get("id") == match.group("id")) >= 2


def _prune_candidates(outcome):
    params = outcome.params
    declared = [_selects(i, outcome) for i in params["endpoints"]]
    ids = set(e["id"] for e in declared if e)
    names = set(i["name"] for i in params["endpoints"])
    prefix = params.get("prune_prefix") or ""
    return [
        e
        for e in _before(outcome).values()
        if e["id"] not in ids and e["name"] not in names and e["id"] is not None and e["name"] is not None and e["name"].startswith(prefix)
    ]


def _prune_keeps_nothing(_machine, outcome, _match):
    params = outcome.params
    return (
        params["prune"]
        and not params.get("prune_prefix")
        and not params["prune_all"]
        and all(i["state"] == "absent" for i in params["endpoints"])
        and bool(_prune_candidates(outcome))
    )


def _prune_matches_nothing(_machine, outcome, _match):
    params = outcome.params
    return (
        params["prune"]
        and not params.get("prune_prefix")
        and not params["prune_all"]
        and not any(_selects(i, outcome) for i in params["endpoints"])
        and bool(_prune_candidates(outcome))
    )


def _overridden(_machine, outcome, match):
    """An item sets the option while the endpoint it selects has the overriding field and the item does not clear it."""
    option, other = match.group("option"), dict(gpu_ids="instanceIds", network_volume_id="networkVolumeIds")[match.group("option")]
    other_option = dict(gpu_ids="instance_ids", network_volume_id="network_volume_ids")[option]
    return any(i.get(option) and i.get(other_option) is None and (_selects(i, outcome) or {}).get(other) for i in _items(outcome))


def _prune_max(_machine, outcome, match):
    count = len(_prune_candidates(outcome))
    return count == int(match.group("count")) > outcome.params["prune_max"] == int(match.group("max"))


def _no_template(_machine, outcome, match):
    return not any(t and t["name"] == match.group("name") for t in outcome.before["templates"])


def _documented(machine, _outcome, _match):
    return machine.PROFILE == "documented"


def _unsupported(machine, outcome, match):
    options = [o.strip() for o in match.group("options").split(",")]
    return machine.PROFILE == "documented" and all(o in NEWER_ENDPOINT_OPTIONS and any(i.get(o) is not None for i in _items(outcome)) for o in options)


def _template_needs(_machine, outcome, match):
    missing = [m.strip() for m in match.group("missing").split(",")]
    return _no_template(_machine, outcome, match) and all(outcome.params.get(m) is None for m in missing)


def _serverless_volume(_machine, outcome, _match):
    params = outcome.params
    old = [t for t in outcome.before["templates"] if t and t["name"] == params["name"]]
    serverless = params["is_serverless"] if params.get("is_serverless") is not None else (old[0]["isServerless"] if old else True)
    volume = params["volume_in_gb"] if params.get("volume_in_gb") is not None else (old[0]["volumeInGb"] if old else 0)
    return bool(serverless) and volume > 0


def _template_in_use(_machine, outcome, match):
    # (after: another tool may have made an endpoint use it during the run)
    return any(e and e["templateId"] == match.group("id") for e in outcome.before["endpoints"] + outcome.after["endpoints"])


def _quota(_machine, outcome, match):
    """Some change the task asks needs more workers than the account has left, at the time of the refusal."""
    quota = int(match.group("quota"))
    after = by_id(outcome.after["endpoints"])
    for item in _items(outcome):
        if item.get("state") == "absent":
            continue
        endpoint = _selects(item, outcome)
        current = after.get(endpoint["id"]) if endpoint else None
        wanted = item.get("workers_max")
        if wanted is None:
            wanted = None if current else OPTIONAL_DEFAULTS["workersMax"]
        if wanted is None:
            continue
        others = sum(e["workersMax"] for i, e in after.items() if current is None or i != current["id"])
        if others + wanted > quota and wanted > (current["workersMax"] if current else 0):
            return True
    return False


def _beyond_the_list(machine, outcome, match):
    """The list came back at its cap and does not show the endpoint the item names (without an id)."""
    shown = [e["name"] for e in listed(outcome.before, machine.list_cap) if e]
    items = [
        i
        for i in _items(outcome)
        if i.get("name") == match.group("name") and i.get("id") is None and (i.get("state") == "absent") == (match.group("verb") == "delete")
    ]
    return _list_at_cap(machine, outcome, match) and match.group("name") not in shown and bool(items)


def _name_taken_beyond_the_list(machine, outcome, match):
    """The service refuses a name another endpoint has; the collection checks the names it reads, so the
    other one is beyond the list's cap."""
    shown = [e["name"] for e in listed(outcome.before, machine.list_cap) if e]
    return (
        match.group("name") not in shown
        and bool(_named(outcome.before, match.group("name")))
        and any((_selects(i, outcome) or {}).get("name") not in (None, match.group("name")) for i in _items(outcome) if i.get("name") == match.group("name"))
    )


def _list_at_cap(machine, outcome, match):
    return int(match.group("cap")) == machine.list_cap and any(at_cap(s, machine.list_cap) for s in (outcome.before, outcome.after))


def _stored_needs(table):
    """The credential or secret does not exist, and the task lacks what its create needs."""

    def justified(_machine, outcome, match):
        missing = [m.strip() for m in match.group("missing").split(",")]
        params = outcome.params
        return params["name"] == match.group("name") and not stored_named(outcome.before, table, params["name"]) and all(params.get(m) is None for m in missing)

    return justified


def _labelled_ids(text, kind):
    return re.findall(r"%s '[^']*' \(([^)]+)\)" % kind, text)


def _credential_in_use(_machine, outcome, match):
    """Templates name the credential (read before the run, or named during it), and the message names only those."""
    named = set(naming_credential(outcome.before, match.group("id")) + naming_credential(outcome.after, match.group("id")))
    listed_ids = _labelled_ids(match.group("users"), "template")
    return bool(listed_ids) and set(listed_ids) <= named and outcome.params["name"] == match.group("name")


def _secret_in_use(_machine, outcome, match):
    """Environments of templates or endpoints refer to the secret, and the message names only those."""
    name = match.group("name")
    refer = referrers(outcome.before, name) | referrers(outcome.after, name)
    listed_ids = _labelled_ids(match.group("users"), "template") + _labelled_ids(match.group("users"), "endpoint")
    return bool(listed_ids) and set(listed_ids) <= refer and outcome.params["name"] == name


def _no_credential_named(_machine, outcome, match):
    return outcome.params.get("container_registry_auth") == match.group("name") and not stored_named(outcome.before, "registryAuths", match.group("name"))


def _no_credential_id(_machine, outcome, match):
    return outcome.params.get("container_registry_auth_id") == match.group("id") and not any(
        r and r["id"] == match.group("id") for r in outcome.before["registryAuths"]
    )


def _missing_secrets(_machine, outcome, match):
    """The task's values refer to each secret named, and the account has none of them."""
    missing = re.findall(r"'([^']+)'", match.group("missing"))
    return (
        bool(missing)
        and outcome.params["name"] == match.group("template")
        and all(n in task_references(outcome.params) and not stored_named(outcome.before, "secrets", n) for n in missing)
    )


def _read_only(_machine, outcome, _match):
    return outcome.params["api_key"] == READ_ONLY_KEY


def _unknown_pool(_machine, outcome, _match):
    return any(t not in GPU_POOLS and not t.startswith("-") for i in _items(outcome) for t in i.get("gpu_ids") or [])


def _volume_pinned(_machine, outcome, match):
    """A network volume the run leaves attached sits in a data centre that the locations it leaves do not allow
    (a volume pins the workers to its data centre): the account shows the volume there, the locations name neither
    that data centre nor its region code, and an item of the task (or the endpoint it selects) has both."""
    volume = by_id(outcome.before["networkVolumes"]).get(match.group("volume")) or {}
    data_center = by_id(outcome.before["dataCenters"]).get(match.group("dc")) or {}
    if volume.get("dataCenterId") != match.group("dc") or not data_center:
        return False
    if set(match.group("locations").split(",")) & {data_center["id"], data_center["countryCode"]}:
        return False
    for item in _items(outcome):
        current = _selects(item, outcome) or {}
        locations = ",".join(item["locations"]) if item.get("locations") is not None else current.get("locations")
        volumes = list(item.get("network_volume_ids") or []) + [item.get("network_volume_id"), current.get("networkVolumeId")]
        volumes += [v["networkVolumeId"] for v in current.get("networkVolumeIds") or [] if v]
        if locations == match.group("locations") and match.group("volume") in volumes:
            return True
    return False


# Each refusal the collection or the service may make: its failure.kind, the message that gives its details (the
# ids and names its justification checks), and the justification from the account as read.
REFUSALS = (
    (
        "create_needs",
        r"Registry credential '(?P<name>[^']+)' does not exist; creating it needs (?P<missing>[a-z_]+(, [a-z_]+)*)",
        _stored_needs("registryAuths"),
    ),
    ("create_needs", r"Secret '(?P<name>[^']+)' does not exist; creating it needs (?P<missing>[a-z_]+(, [a-z_]+)*)", _stored_needs("secrets")),
    ("in_use", r"Registry credential '(?P<name>[^']+)' \((?P<id>[^)]+)\) is used by (?P<users>.+?): nothing was deleted", _credential_in_use),
    ("in_use", r"Secret '(?P<name>[^']+)' \((?P<id>[^)]+)\) is used by (?P<users>.+?): nothing was deleted", _secret_in_use),
    ("list_incomplete", r"Secret '[^']+' \([^)]+\) was not deleted: the account's list of endpoints came back with (?P<cap>\d+) endpoints", _list_at_cap),
    ("not_found", r"No registry credential named '(?P<name>[^']+)' exists \(container_registry_auth\)", _no_credential_named),
    ("not_found", r"Template '(?P<template>[^']+)': .+ refers to (a secret|secrets) the account does not have: (?P<missing>'.+')\. Create", _missing_secrets),
    ("graphql", r'containerRegistryAuthId "(?P<id>[^"]+)" is not a registry credential of the account', _no_credential_id),
    ("unsupported", r"The service does not support registry credentials \(its API has no myself\.containerRegistryCreds field\)", _documented),
    ("unsupported", r"Secrets cannot be managed on this service: the service does not support secrets", _documented),
    ("create_needs", r"Endpoint '(?P<name>[^']+)' does not exist; creating it needs (?P<missing>[a-z_]+(, [a-z_]+)*)", _needs),
    ("not_found", r"No endpoint with id '(?P<id>[^']+)' exists", _no_id),
    ("invalid_option", r"The endpoint with id '(?P<id>[^']+)' is named '(?P<actual>[^']+)', not '(?P<name>[^']+)'", _other_name),
    ("invalid_option", r"workers_min \((?P<min>\d+)\) must not exceed workers_max \(\d+\) \(workers_max defaults to 3 on create", _min_on_create),
    ("invalid_option", r"workers_min \((?P<min>\d+)\) must not exceed workers_max \((?P<max>\d+)\) \(with the endpoint's current values\)", _min_above_max),
    ("invalid_option", r"endpoint_type of endpoint '[^']+' \((?P<id>\w+)\) is (?P<type>\w+): the type is fixed", _fixed_type),
    ("name_taken", r"Cannot rename endpoint '[^']+' \((?P<id>\w+)\) to '(?P<new>[^']+)': endpoint (?P<holder>\w+) already has that name", _name_taken),
    ("ambiguous", r"select the same endpoint '[^']+' \((?P<id>\w+)\)", _same_endpoint),
    ("prune_guard", r"prune refused: endpoints declares no endpoint to keep and prune_prefix is not set", _prune_keeps_nothing),
    ("prune_guard", r"prune refused: none of the endpoints the list declares exists in the account", _prune_matches_nothing),
    ("invalid_option", r"(?P<option>gpu_ids|network_volume_id) cannot be set: ", _overridden),
    (
        "list_incomplete",
        r"Endpoint '(?P<name>[^']+)' is not in the account's list, which came back with (?P<cap>\d+) endpoints, the most the API "
        r"lists: it may exist beyond them. Give its id to (?P<verb>delete|update) it",
        _beyond_the_list,
    ),
    ("graphql", r'An endpoint named "(?P<name>[^"]+)" already exists', _name_taken_beyond_the_list),
    ("list_incomplete", r"prune refused: the account's list came back with (?P<cap>\d+) endpoints, the most the API lists", _list_at_cap),
    (
        "list_incomplete",
        r"Could not delete template '[^']+' \(\w+\): the service refused it \(.*\), and the account's list of endpoints came "
        r"back with (?P<cap>\d+) endpoints",
        _list_at_cap,
    ),
    ("prune_guard", r"prune refused: it would delete (?P<count>\d+) endpoints, more than prune_max \((?P<max>\d+)\)", _prune_max),
    ("not_found", r"No template named '(?P<name>[^']+)' exists \(template\)", _no_template),
    ("unsupported", r"template \(a template's name\) cannot be used on this service", _documented),
    ("unsupported", r"The service does not support (?P<options>[a-z_]+(, [a-z_]+)*) \(its API", _unsupported),
    ("unsupported", r"Templates cannot be managed on this service", _documented),
    ("create_needs", r"Template '(?P<name>[^']+)' does not exist; creating it needs (?P<missing>[a-z_]+(, [a-z_]+)*)", _template_needs),
    ("invalid_option", r"volume_in_gb must be 0 for a serverless template: template", _serverless_volume),
    ("in_use", r"Template '[^']+' \((?P<id>\w+)\) is used by", _template_in_use),
    ("graphql", r"Your worker concurrency cannot go beyond the maximum limit of \((?P<quota>\d+)\)", _quota),
    ("graphql", r"gpuIds contains an unknown GPU pool", _unknown_pool),
    ("graphql", r'Network volume "(?P<volume>[^"]+)" is in (?P<dc>[\w-]+), which locations "(?P<locations>[^"]*)" does not include', _volume_pinned),
    ("auth", r"The API refused the operation as unauthorized: the api_key may be read-only", _read_only),
)


class FullAccount(Account):
    """The real schema: tasks of every module (the documented service has no template read)."""

    PROFILE = "full"

    @rule(task=template_tasks(), faults=FAULT_PLANS)
    def template(self, task, faults):
        self.task(task, faults)

    @rule(task=template_tasks(), faults=FAULT_PLANS)
    def template_in_check_mode(self, task, faults):
        self.task(task, faults, check_mode=True)

    @rule(task=template_tasks(), change=other_changes(), before_request=st.integers(2, 6))
    def template_while_another_tool_acts(self, task, change, before_request):
        self.task(task, Faults(), meanwhile=(before_request, change))

    @rule(task=template_info_tasks(), faults=FAULT_PLANS)
    def template_info(self, task, faults):
        self.task(task, faults)

    @rule(task=registry_auth_tasks(), faults=STORE_FAULT_PLANS)
    def registry_auth(self, task, faults):
        self.task(task, faults)

    @rule(task=registry_auth_tasks(), faults=STORE_FAULT_PLANS)
    def registry_auth_in_check_mode(self, task, faults):
        self.task(task, faults, check_mode=True)

    @rule(task=secret_tasks(), faults=STORE_FAULT_PLANS)
    def secret(self, task, faults):
        self.task(task, faults)

    @rule(task=secret_tasks(), faults=STORE_FAULT_PLANS)
    def secret_in_check_mode(self, task, faults):
        self.task(task, faults, check_mode=True)

    @rule(task=st.one_of(registry_auth_info_tasks(), secret_info_tasks()), faults=FAULT_PLANS)
    def registry_auth_or_secret_info(self, task, faults):
        self.task(task, faults)

    @rule(change=store_changes())
    def another_tool_changes_credentials_or_secrets(self, change):
        """Another tool rotates, deletes or creates a registry credential or a secret, or changes what refers to one."""
        self.another_tool(change)

    @rule(
        task=st.one_of(registry_auth_tasks(), secret_tasks(), template_tasks()),
        change=st.one_of(store_changes(), other_changes()),
        before_request=st.integers(2, 6),
    )
    def credential_secret_or_template_while_another_tool_acts(self, task, change, before_request):
        self.task(task, Faults(), meanwhile=(before_request, change))


class DocumentedAccount(Account):
    """A service with only the documented fields: tasks seldom set newer options or name a template (it cannot serve them)."""

    PROFILE = "documented"

    @rule(task=fleet_tasks(newer=20), faults=FAULT_PLANS)
    def fleet(self, task, faults):
        self.task(task, faults)

    @rule(task=fleet_tasks(newer=20), faults=FAULT_PLANS)
    def fleet_in_check_mode(self, task, faults):
        self.task(task, faults, check_mode=True)

    @rule(task=endpoint_tasks(newer=20), faults=FAULT_PLANS)
    def endpoint(self, task, faults):
        self.task(task, faults)

    @rule(task=endpoint_tasks(newer=20), faults=FAULT_PLANS)
    def endpoint_in_check_mode(self, task, faults):
        self.task(task, faults, check_mode=True)

    @rule(task=st.one_of(fleet_tasks(newer=20), endpoint_tasks(newer=20)), change=other_changes(), before_request=st.integers(2, 6))
    def task_while_another_tool_acts(self, task, change, before_request):
        self.task(task, Faults(), meanwhile=(before_request, change))

    @rule(task=st.one_of(registry_auth_tasks(), secret_tasks(), registry_auth_info_tasks(), secret_info_tasks()), faults=STORE_FAULT_PLANS)
    def registry_auth_or_secret(self, task, faults):
        """The documented service has no registry credentials and no secrets: every such task is refused, changing nothing."""
        self.task(task, faults)
