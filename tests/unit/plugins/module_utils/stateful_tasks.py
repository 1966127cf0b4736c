# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# What the state machine of test_stateful.py draws: tasks of the modules (as a
# playbook writes them, printed that way), the faults each request of a run
# meets, and the changes other tools make to the account.

import re

from hypothesis import strategies as st

from ansible_collections.tensorone.cloud.plugins.module_utils._resource import INT32_MAX

# A small pool, so that tasks meet each other's endpoints: two prefixes to prune by.
NAMES = ("app-a", "app-b", "app-c", "web-a", "web-b")
# Only other tools make these.
OTHER_NAMES = ("legacy-1", "legacy-2")
# Another environment's names: a fleet list of these matches nothing in the account.
ELSEWHERE_NAMES = ("stg-app-a", "stg-web-a")
PREFIXES = ("", "app-", "web-")
TEMPLATE_NAMES = ("worker-a", "worker-b")
TEMPLATE_IDS = ("tpl-base", "tpl-next")
# Registry credentials: "registry" is in the account from the start (reg-auth-1), the other only tasks or other tools make;
# templates also name one nobody makes.
REGISTRY_NAMES = ("registry", "team-registry")
MISSING_REGISTRY = "no-such-registry"
# Secrets: tasks make the first two, only other tools the third; environment values also refer to one nobody makes.
SECRET_NAMES = ("hf_token", "db-pass")
OTHER_SECRET_NAMES = ("legacy_key",)
MISSING_SECRET = "never_made"
# Write-only values, each longer than the collection's short-value threshold: none may show in any output.
USERNAMES = ("registry-user-one", "ci-robot-account")
PASSWORDS = ("pa55word-first-4d1", "pa55word-second-9e7")
SECRET_VALUES = ("hf-live-token-aaa111", "hf-live-token-bbb222")
# What other tools send (rotations, creates).
OTHER_TOOL_VALUES = dict(username="console-user-77b2", password="console-pass-3f0c", value="console-secret-5a9e")
GPU_POOLS = (["AMPERE_48"], ["ADA_24"], ["AMPERE_48", "ADA_48_PRO"], ["ADA_48_PRO", "AMPERE_48"], ["AMPERE_80", "-NVIDIA A100 80GB PCIe"])
# A pool the service does not know: the collection passes it on, the API refuses it.
UNKNOWN_POOL = ["HOPPER_999"]
# The account's network volumes, which tasks and other tools attach: vol-1 and vol-2 in data centres that
# locations [US, CZ] allow and [US] or [EU-RO-1] do not allow both of (a volume pins the workers to its data
# centre); vol-9 where its seeded read item says; vol-console elsewhere.
VOLUMES = [
    {"id": "vol-1", "name": "models", "size": 100, "dataCenterId": "US-TX-3"},
    {"id": "vol-2", "name": "cache", "size": 20, "dataCenterId": "EU-CZ-1"},
    {"id": "vol-9", "name": "console", "size": 50, "dataCenterId": "EU-RO-1"},
    {"id": "vol-console", "name": "console", "size": 50, "dataCenterId": "US-KS-2"},
]
CPU_FLAVOURS = (["cpu3c-2-4"], ["cpu3c-2-4", "cpu5c-4-8"])

# --- how a task prints: as a playbook writes it ----------------------------------------

PLAIN = re.compile(r"^[A-Za-z_][\w./-]*( [\w./-]+)*$")


def flow(value):
    """A value in YAML flow style, for readable examples."""
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%s: %s" % (key, flow(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(flow(item) for item in value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and PLAIN.match(value) and value not in ("true", "false", "null"):
        return value
    return repr(value)


class IdOf:
    """The id of the account's endpoint number ``number`` (in creation order, counted round) when the
    task runs; a negative number counts from the newest (-1: the newest, beyond the list of an account
    past the list's cap); number 0 (or an empty account): the id of an endpoint deleted since, or an unknown one."""

    def __init__(self, number):
        self.number = number

    def __repr__(self):
        return "<id of %s>" % self.which() if self.number else "<a stale id>"

    def which(self):
        return "the newest endpoint" if self.number == -1 else "endpoint #%d" % self.number

    def __eq__(self, other):
        return isinstance(other, IdOf) and other.number == self.number

    def __hash__(self):
        return hash(("IdOf", self.number))


class NameOf(IdOf):
    """The name of the account's endpoint number ``number`` when the task runs (a pool name if there is none)."""

    def __repr__(self):
        return "<name of %s>" % self.which() if self.number else "<a name>"


class TypoOf(IdOf):
    """A typo of the name of the account's endpoint number ``number`` (of a pool name if there is none):
    a name that selects nothing."""

    TYPOS = (lambda name: name + name[-1], lambda name: name.replace("-", "_", 1), lambda name: name[:1].upper() + name[1:])

    def __init__(self, number, typo):
        super(TypoOf, self).__init__(number)
        self.typo = typo

    def __repr__(self):
        return "<a typo (%d) of the name of %s>" % (self.typo, self.which() if self.number else "a pool name")

    def __eq__(self, other):
        return isinstance(other, TypoOf) and (other.number, other.typo) == (self.number, self.typo)

    def __hash__(self):
        return hash(("TypoOf", self.number, self.typo))

    def misspell(self, name):
        return self.TYPOS[self.typo](name)


class StoredIdOf:
    """The id of the account's registry credential or secret (``table``: registryAuths or secrets) named
    ``name`` when the task runs; with none of that name, the id of one deleted since, or an unknown one."""

    NOUNS = dict(registryAuths="registry credential", secrets="secret")

    def __init__(self, table, name):
        self.table = table
        self.name = name

    def __repr__(self):
        return "<id of the %s %r>" % (self.NOUNS[self.table], self.name)

    def __eq__(self, other):
        return isinstance(other, StoredIdOf) and (other.table, other.name) == (self.table, self.name)

    def __hash__(self):
        return hash(("StoredIdOf", self.table, self.name))


class ReadOnlyKey:
    """The account's read-only key (shown by name: a key is never printed)."""

    def __repr__(self):
        return "<a read-only key>"

    def __eq__(self, other):
        return isinstance(other, ReadOnlyKey)

    def __hash__(self):
        return hash("ReadOnlyKey")


class Task:
    """One task: the module's name and its arguments (ids still symbolic)."""

    def __init__(self, module, args):
        self.module = module
        self.args = args

    def __repr__(self):
        return "%s %s" % (self.module, flow(self.args))


class Faults(dict):
    """What the requests of one run meet, by their number in the run (retries count), {2: "HTTP 503"};
    and ``lost``: the mutation kinds whose first applied mutation in the run loses its response."""

    def __init__(self, faults=(), lost=()):
        super(Faults, self).__init__(faults)
        self.lost = tuple(lost)

    def __repr__(self):
        parts = ["request %d: %s" % (number, kind) for number, kind in sorted(self.items())]
        parts.extend("lost response of the first %s" % kind.replace("_", " ") for kind in self.lost)
        return "{%s}" % ", ".join(parts) if parts else "no faults"


class Change:
    """What another tool (or the service itself) does to the account."""

    def __init__(self, kind, **details):
        self.kind = kind
        self.details = details
        # the names of what else it changed, as carried out (the templates whose credential it deleted)
        self.touched = set()

    def __repr__(self):
        return "%s %s" % (self.kind, flow(self.details)) if self.details else self.kind


# --- faults -------------------------------------------------------------------------

# The emulator's fault settings that make one request meet each fault (rates of 1
# always hit; each request's settings replace the previous ones). "timeout" and
# "slow" answer later than, or within, the task's api_timeout.
FAULT_KINDS = (
    "HTTP 502",
    "HTTP 503",
    "HTTP 504",
    "HTTP 500",
    "HTTP 429",
    "HTTP 429, Retry-After 121",
    "connection reset",
    "connection refused",
    "timeout",
    "slow",
    "myself null",
)
# The emulator's mutation kinds (a lost response is one-shot per kind: the next applied one).
MUTATION_KINDS = ("create", "update", "delete", "template_create", "template_update", "template_delete")
REGISTRY_AUTH_KINDS = ("registry_auth_create", "registry_auth_update", "registry_auth_delete")
SECRET_KINDS = ("secret_create", "secret_value_update", "secret_description_update", "secret_delete")


def fault_settings(kind, api_timeout):
    if kind.startswith("HTTP 5"):
        return dict(rate_5xx=1.0, statuses_5xx=[int(kind[5:])])
    if kind == "HTTP 429":
        return dict(rate_429=1.0, retry_after=2)
    if kind == "HTTP 429, Retry-After 121":
        return dict(rate_429=1.0, retry_after=121)
    if kind == "connection reset":
        return dict(rate_reset=1.0)
    if kind == "myself null":
        return dict(myself_null=True)
    if kind == "timeout":
        return dict(latency_ms=(api_timeout + 1) * 1000)
    if kind == "slow":
        return dict(latency_ms=api_timeout * 500)
    raise ValueError(kind)


# Most runs meet no fault; the others a few, mostly among the first requests (a run makes 1 to 10).
REQUEST_FAULTS = st.dictionaries(st.one_of(st.integers(1, 4), st.integers(1, 10)), st.sampled_from(FAULT_KINDS), max_size=4)


def fault_plans(kinds):
    """No faults, faults, or faults and lost responses of some of the mutation ``kinds``."""
    return st.one_of(
        st.just(Faults()),
        st.builds(Faults, REQUEST_FAULTS.filter(bool)),
        st.builds(Faults, REQUEST_FAULTS, st.lists(st.sampled_from(kinds), unique=True, min_size=1, max_size=3)),
    )


FAULT_PLANS = fault_plans(MUTATION_KINDS)
# For the credential and secret tasks: lost responses of their own mutations.
STORE_FAULT_PLANS = fault_plans(REGISTRY_AUTH_KINDS + SECRET_KINDS)

# --- option values: inside and at the edges of their ranges ----------------------------------

# Mostly small, so that the worker quota (20) is not hit on every step; sometimes at the edges.
WORKERS = st.one_of(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3), st.sampled_from([0, 5, 20, 21, INT32_MAX]))
DOCUMENTED_OPTIONS = dict(
    idle_timeout=st.one_of(st.integers(1, 3600), st.sampled_from([1, 3600])),
    locations=st.sampled_from([[], ["US"], ["US", "CZ"], ["EU-RO-1"]]),
    network_volume_id=st.sampled_from(["", "vol-1", "vol-2"]),
    scaler_type=st.sampled_from(["QUEUE_DELAY", "REQUEST_COUNT"]),
    scaler_value=st.one_of(st.integers(1, 10), st.sampled_from([1, INT32_MAX])),
    workers_min=WORKERS,
    workers_max=WORKERS,
)
GPU_IDS = st.sampled_from(GPU_POOLS * 2 + (UNKNOWN_POOL,))
NEWER_OPTIONS = dict(
    gpu_count=st.one_of(st.integers(1, 8), st.just(INT32_MAX)),
    execution_timeout_ms=st.sampled_from([0, 30000, 600000, INT32_MAX]),
    flashboot=st.booleans(),
    allowed_cuda_versions=st.sampled_from([["12.4"], ["12.4", "12.8"], ["12.8", "12.4"], []]),
    min_cuda_version=st.sampled_from(["12.4", "11.8"]),
    endpoint_type=st.sampled_from(["QB", "LB"]),
)
# A slip now and then: one value the module refuses before any request.
SLIPS = st.sampled_from(
    [
        dict(idle_timeout=0),
        dict(idle_timeout=3601),
        dict(scaler_value=0),
        dict(workers_max=-1),
        dict(gpu_ids=[]),
        dict(gpu_ids=["AMPERE_48", " "]),
        dict(gpu_count=0),
        dict(execution_timeout_ms=-1),
        dict(allowed_cuda_versions=["12"]),
        dict(min_cuda_version="12"),
        dict(workers_min=3, workers_max=2),
        dict(template="worker-a", template_id="tpl-base"),
        dict(network_volume_id="vol-1", network_volume_ids=["vol-2"]),
        dict(gpu_ids=["AMPERE_48"], instance_ids=["cpu3c-2-4"]),
        dict(name="ab"),
        dict(id=""),
        dict(template_id=""),
        dict(workers_max=2**31),
        dict(workers_min=5),
    ]
)


def chance(n):
    """True once in ``n`` draws (sampled_from draws evenly; integers favour their bounds)."""
    return st.sampled_from([True] + [False] * (n - 1))


def subset(options):
    """Some of ``options`` (a dict of strategies), each drawn."""
    return st.fixed_dictionaries({}, optional=options)


@st.composite
def settings_of(draw, newer):
    """Documented options (workers_min within workers_max), and in one of ``newer`` items newer ones."""
    values = draw(subset(dict((k, v) for k, v in DOCUMENTED_OPTIONS.items() if not k.startswith("workers_"))))
    workers = draw(st.sampled_from(["max", "both", "min", "none"]))
    if workers in ("max", "both"):
        values["workers_max"] = draw(WORKERS)
    if workers in ("min", "both"):
        values["workers_min"] = draw(st.integers(0, min(values.get("workers_max", 3), 3)))
    if draw(chance(newer)):
        values.update(draw(subset(NEWER_OPTIONS)))
        if "network_volume_id" not in values and draw(st.booleans()):
            values["network_volume_ids"] = draw(st.sampled_from([["vol-1"], ["vol-1", "vol-2"], []]))
    return values


@st.composite
def endpoint_items(draw, fleet=True, newer=4):
    """One endpoint as a task describes it: to create, to change, by id (a rename), or absent.
    One in ``newer`` items sets newer options, or names its template."""
    name = draw(st.sampled_from(NAMES))
    form = draw(st.sampled_from(["create", "create", "create", "create", "change", "by id", "by id", "absent", "absent by id"]))
    item = {}
    if form in ("by id", "absent by id"):
        number = draw(st.sampled_from([1, 2, 3, 1, 2, 3, 0, -1]))
        item["id"] = IdOf(number)
        if fleet or draw(st.booleans()):
            item["name"] = draw(st.sampled_from([NameOf(number), name]))
    else:
        item["name"] = name
    if form.startswith("absent"):
        item["state"] = "absent"
        return item
    if form == "create":
        if draw(chance(newer)):
            item["template"] = draw(st.sampled_from(TEMPLATE_NAMES))
        else:
            item["template_id"] = draw(st.sampled_from(TEMPLATE_IDS))
        if draw(chance(2 * newer)):
            item["instance_ids"] = draw(st.sampled_from(CPU_FLAVOURS))
        else:
            item["gpu_ids"] = draw(GPU_IDS)
    item.update(draw(settings_of(newer)))
    if form != "create":
        item.update(draw(exclusive_changes(newer)))
        if draw(chance(2 if item.get("id") == IdOf(-1) else newer)):
            # another template for an existing endpoint; often for the newest, beyond the list of a capped account
            item.update(draw(st.sampled_from([dict(template=name) for name in TEMPLATE_NAMES] + [dict(template_id=TEMPLATE_IDS[0])])))
    if draw(chance(16)):
        item.update(draw(SLIPS))
    return item


@st.composite
def exclusive_changes(draw, newer):
    """For an existing endpoint: gpu_ids now and then (a CPU endpoint's instance_ids override them unless
    cleared), and network_volume_id (an endpoint's network_volume_ids override it unless cleared)."""
    values = {}
    if draw(chance(4)):
        values["gpu_ids"] = draw(GPU_IDS)
        if draw(chance(min(newer, 8))):
            values["instance_ids"] = []
    if draw(chance(4)):
        values["network_volume_id"] = draw(st.sampled_from(["vol-1", "vol-2"]))
        if draw(chance(min(newer, 8))):
            values["network_volume_ids"] = []
    return values


API_OPTIONS = dict(api_retries=st.sampled_from([0, 1, 2, 5]), api_timeout=st.sampled_from([5, 30]))


def read_only_now_and_then(draw, args):
    """The task's arguments; once in a while with a read-only key (it reads, and may not change anything)."""
    if draw(chance(16)):
        args["api_key"] = ReadOnlyKey()
    return args


@st.composite
def fleet_tasks(draw, newer=4):
    items = draw(st.lists(endpoint_items(newer=newer), max_size=4, unique_by=(lambda item: item["name"], lambda item: item.get("id", item["name"]))))
    args = {"endpoints": items}
    if draw(chance(4)):
        # a list that names nothing the account has: typos of its names, another environment's list
        renamed = [item for item in items if "id" not in item]
        names = draw(
            st.lists(
                st.one_of(st.builds(TypoOf, st.sampled_from([1, 2, -1, 0]), st.integers(0, len(TypoOf.TYPOS) - 1)), st.sampled_from(ELSEWHERE_NAMES)),
                min_size=len(renamed),
                max_size=len(renamed),
                unique=True,
            )
        )
        for item, name in zip(renamed, names):
            item["name"] = name
        if draw(st.booleans()):
            args.update(prune=True, prune_all=draw(chance(4)))
    if "prune" not in args and draw(chance(3)):
        args["prune"] = True
        args.update(
            draw(
                st.fixed_dictionaries({}, optional=dict(prune_prefix=st.sampled_from(PREFIXES), prune_all=st.booleans(), prune_max=st.sampled_from([0, 1, 3])))
            )
        )
    args.update(draw(st.fixed_dictionaries({}, optional=dict(API_OPTIONS, wait_timeout=st.sampled_from([0, 5, 300])))))
    if draw(chance(16)):
        args.update(draw(st.sampled_from([dict(wait_timeout=-1), dict(prune=True, prune_max=-1)])))
    return Task("tensorone_endpoints", read_only_now_and_then(draw, args))


@st.composite
def endpoint_tasks(draw, newer=4):
    args = draw(endpoint_items(fleet=False, newer=newer))
    args.update(draw(st.fixed_dictionaries({}, optional=dict(API_OPTIONS, wait_timeout=st.sampled_from([0, 5, 300])))))
    return Task("tensorone_endpoint", read_only_now_and_then(draw, args))


# Environment values that refer to a secret, in both spellings: to the secrets tasks make, to one only other tools
# make, and to one nobody makes (a template task that refers to a missing secret is refused).
SECRET_REFERENCES = (
    "{{ TENSORONE_SECRET_hf_token }}",
    "{{RUNPOD_SECRET_db-pass}}",
    "{{ RUNPOD_SECRET_legacy_key }}",
    "{{ TENSORONE_SECRET_%s }}" % MISSING_SECRET,
)


def or_a_reference(values):
    """One of ``values``, or (one time in four or so) a reference to a secret, seldom to the missing one."""
    return st.sampled_from(list(values) * 6 + list(SECRET_REFERENCES[:3] * 2 + SECRET_REFERENCES[3:]))


TEMPLATE_OPTIONS = dict(
    docker_args=st.sampled_from(["", "python handler.py"]),
    env=st.dictionaries(st.sampled_from(["MODEL", "DEBUG"]), or_a_reference(["llama-3", "1", "", None]), max_size=2),
    secret_env=st.dictionaries(st.sampled_from(["TOKEN", "LICENSE"]), or_a_reference(["s3cr3t-one", "s3cr3t-two", None]), max_size=2),
    volume_in_gb=st.sampled_from([0, 0, 0, 0, 0, 5]),
    is_serverless=st.booleans(),
    readme=st.sampled_from(["", "# LLM worker"]),
    ports=st.sampled_from(["", "8000/http"]),
    start_script=st.sampled_from(["", "bash start.sh"]),
    volume_mount_path=st.sampled_from(["", "/workspace"]),
    container_registry_auth_id=st.sampled_from(["", "reg-auth-1", StoredIdOf("registryAuths", REGISTRY_NAMES[0])]),
)
# The credential a template names by name: one tasks make, the one there from the start, one nobody makes.
CREDENTIAL_NAMES = st.sampled_from(REGISTRY_NAMES * 2 + (MISSING_REGISTRY,))
IMAGES = st.sampled_from(["reg.example/llm:1.0", "reg.example/llm:1.1"])
DISKS = st.sampled_from([1, 20])
TEMPLATE_SLIPS = st.sampled_from(
    [
        dict(image_name=" "),
        dict(container_disk_in_gb=0),
        dict(volume_in_gb=-1),
        dict(env={"TOKEN": "x"}, secret_env={"TOKEN": "s3cr3t-one"}),
        dict(env={" ": "x"}),
        dict(env={"DEBUG": True}),
        dict(name=" "),
        dict(container_registry_auth=" "),
        dict(container_registry_auth="registry", container_registry_auth_id="reg-auth-1"),
    ]
)


@st.composite
def template_tasks(draw):
    args = {"name": draw(st.sampled_from(TEMPLATE_NAMES))}
    form = draw(st.sampled_from(["create", "create", "change", "absent"]))
    if form == "absent":
        args["state"] = "absent"
        args.update(draw(st.fixed_dictionaries({}, optional=dict(wait_timeout=st.sampled_from([0, 180])))))
    else:
        if form == "create":
            args.update(image_name=draw(IMAGES), container_disk_in_gb=draw(DISKS))
        else:
            args.update(draw(st.fixed_dictionaries({}, optional=dict(image_name=IMAGES, container_disk_in_gb=DISKS))))
        args.update(draw(subset(TEMPLATE_OPTIONS)))
        if "container_registry_auth_id" not in args and draw(chance(3)):
            args["container_registry_auth"] = draw(CREDENTIAL_NAMES)
        if draw(chance(16)):
            args.update(draw(TEMPLATE_SLIPS))
    args.update(draw(st.fixed_dictionaries({}, optional=API_OPTIONS)))
    return Task("tensorone_template", read_only_now_and_then(draw, args))


@st.composite
def endpoint_info_tasks(draw):
    """tensorone_endpoint_info: every endpoint, or one by id, by name or both (one beyond the list's cap included)."""
    number = draw(st.sampled_from([1, 2, -1, -1, 0]))
    args = dict(draw(st.sampled_from([{}, {}, dict(id=IdOf(number)), dict(name=NameOf(number)), dict(id=IdOf(number), name=NameOf(number))])))
    args.update(draw(st.fixed_dictionaries({}, optional=API_OPTIONS)))
    return Task("tensorone_endpoint_info", args)


@st.composite
def template_info_tasks(draw):
    """tensorone_template_info: every template or one by name, and the endpoints that use each."""
    args = dict(draw(st.sampled_from([{}, {}, dict(name=TEMPLATE_NAMES[0]), dict(name=TEMPLATE_NAMES[1])])))
    args.update(draw(st.fixed_dictionaries({}, optional=dict(API_OPTIONS, include_env_values=st.booleans()))))
    return Task("tensorone_template_info", args)


# --- registry credentials and secrets ------------------------------------------------

REGISTRY_AUTH_SLIPS = st.sampled_from(
    [
        dict(name=" "),
        dict(name="registry "),
        dict(password=" "),
        dict(username=""),
        dict(update_password="always", username=None),
        dict(update_password="always", password=None),
    ]
)


@st.composite
def registry_auth_tasks(draw):
    """tensorone_registry_auth: present (with the username and password, one of them or neither; on_create or always), or absent."""
    args = {"name": draw(st.sampled_from(REGISTRY_NAMES))}
    if draw(st.sampled_from(["present", "present", "present", "absent"])) == "absent":
        args["state"] = "absent"
    else:
        given = draw(st.sampled_from([("username", "password"), ("username", "password"), (), ("username",), ("password",)]))
        values = dict(username=st.sampled_from(USERNAMES), password=st.sampled_from(PASSWORDS))
        args.update((option, draw(values[option])) for option in given)
        if draw(st.booleans()):
            args["update_password"] = draw(st.sampled_from(["on_create", "always", "always"]))
    if draw(chance(16)):
        args.update(draw(REGISTRY_AUTH_SLIPS))
    args.update(draw(st.fixed_dictionaries({}, optional=API_OPTIONS)))
    return Task("tensorone_registry_auth", read_only_now_and_then(draw, args))


SECRET_SLIPS = st.sampled_from(
    [
        dict(name=" "),
        dict(name=" hf_token"),
        dict(value=" "),
        dict(update_value="always", value=None),
    ]
)


@st.composite
def secret_tasks(draw):
    """tensorone_secret: present (with or without a value, on_create or always; a description set, changed or
    cleared with ""), or absent."""
    args = {"name": draw(st.sampled_from(SECRET_NAMES))}
    if draw(st.sampled_from(["present", "present", "present", "absent"])) == "absent":
        args["state"] = "absent"
    else:
        if draw(st.sampled_from([True, True, False])):
            args["value"] = draw(st.sampled_from(SECRET_VALUES))
        if draw(st.booleans()):
            args["update_value"] = draw(st.sampled_from(["on_create", "always", "always"]))
        if draw(st.booleans()):
            args["description"] = draw(st.sampled_from(["Hugging Face read token", "rotated monthly", ""]))
    if draw(chance(16)):
        args.update(draw(SECRET_SLIPS))
    args.update(draw(st.fixed_dictionaries({}, optional=API_OPTIONS)))
    return Task("tensorone_secret", read_only_now_and_then(draw, args))


@st.composite
def stored_info_tasks(draw, module, table, names):
    """An info task of credentials or secrets: every one, or one by name or id (of one that may be gone);
    now and then a blank filter."""
    form = draw(st.sampled_from(["all", "all", "name", "id"]))
    name = draw(st.sampled_from(names))
    args = dict(all={}, name=dict(name=name), id=dict(id=StoredIdOf(table, name)))[form]
    if draw(chance(16)):
        args = draw(st.sampled_from([dict(name=" "), dict(id="")]))
    args.update(draw(st.fixed_dictionaries({}, optional=API_OPTIONS)))
    return Task(module, args)


def registry_auth_info_tasks():
    return stored_info_tasks("tensorone_registry_auth_info", "registryAuths", REGISTRY_NAMES + (MISSING_REGISTRY,))


def secret_info_tasks():
    return stored_info_tasks("tensorone_secret_info", "secrets", SECRET_NAMES + OTHER_SECRET_NAMES + (MISSING_SECRET,))


# --- what other tools do ----------------------------------------------------------------

ANY_NAME = st.sampled_from(NAMES + OTHER_NAMES)
UNMANAGED = (
    dict(env=[{"key": "CONSOLE", "value": "set-in-console"}], modelReferences=["hf://org/model"]),
    dict(workersPFBTarget=1, gpuCount=2, executionTimeoutMs=120000),
    dict(flashBootType="FLASHBOOT", allowedCudaVersions="12.4,12.8", minCudaVersion="12.4", env=[{"key": "A", "value": None}]),
    dict(networkVolumeIds=[{"networkVolumeId": "vol-9", "dataCenterId": "EU-RO-1"}], modelReferences=[]),
)
MANAGED = (
    dict(idleTimeout=77),
    dict(scalerType="REQUEST_COUNT", scalerValue=9),
    dict(gpuIds="ADA_24"),
    dict(locations="GB"),
    dict(templateId="tpl-console"),
    dict(networkVolumeId="vol-console"),
)
TEMPLATE_EDITS = (
    dict(readme="edited in the console"),
    dict(isPublic=True),
    dict(env=[{"key": "CONSOLE", "value": "console-only"}]),
    dict(env=[{"key": "MODEL", "value": None}, {"key": "CONSOLE", "value": "console-only"}]),
)


@st.composite
def other_changes(draw):
    """Another tool creates, edits or deletes an endpoint, workers die or drain, the service lowers
    workers_max or the account's worker quota changes, someone edits a template in the console, or time passes."""
    kind = draw(
        st.sampled_from(["creates", "edits", "edits", "deletes", "lowers workers_max", "workers", "edits template", "time passes", "sets the worker quota"])
    )
    if kind == "sets the worker quota":
        return Change(kind, quota=draw(st.sampled_from([8, 20, 40])))
    if kind == "creates":
        # now and then a CPU endpoint, or one that uses a template of the collection's
        return Change(
            kind,
            name=draw(ANY_NAME),
            workers_max=draw(st.integers(0, 4)),
            **draw(st.sampled_from([{}, {}, dict(cpu=True), dict(template=TEMPLATE_NAMES[0]), dict(template=TEMPLATE_NAMES[0])])),
        )
    if kind == "edits":
        return Change(kind, name=draw(ANY_NAME), fields=draw(st.sampled_from(MANAGED + UNMANAGED * 2)))
    if kind in ("deletes", "lowers workers_max"):
        return Change(kind, name=draw(ANY_NAME))
    if kind == "workers":
        return Change(kind, name=draw(ANY_NAME), status=draw(st.sampled_from(["DEAD", "EXITED", "draining"])))
    if kind == "edits template":
        return Change(kind, name=draw(st.sampled_from(TEMPLATE_NAMES)), fields=draw(st.sampled_from(TEMPLATE_EDITS)))
    return Change(kind, seconds=draw(st.sampled_from([1, 10, 120])))


STORE_CHANGE_KINDS = (
    "rotates credential",
    "deletes credential",
    "creates credential",
    "rotates secret",
    "describes secret",
    "deletes secret",
    "creates secret",
    "refers to secret",
    "drops secret references",
)


@st.composite
def store_changes(draw):
    """Another tool rotates, deletes or creates a registry credential or a secret (one with a name a deleted one had
    included), describes a secret, or makes an endpoint's or a template's environment refer to a secret, or stop."""
    kind = draw(st.sampled_from(STORE_CHANGE_KINDS + ("refers to secret",)))
    if kind.endswith("credential"):
        return Change(kind, name=draw(st.sampled_from(REGISTRY_NAMES)))
    if kind == "describes secret":
        return Change(kind, name=draw(st.sampled_from(SECRET_NAMES + OTHER_SECRET_NAMES)), description=draw(st.sampled_from(["set in the console", ""])))
    if kind.endswith("secret") and kind != "refers to secret":
        return Change(kind, name=draw(st.sampled_from(SECRET_NAMES + OTHER_SECRET_NAMES)))
    # an endpoint's environment (only other tools set it) or a template's
    name = draw(st.sampled_from(NAMES[:2] + OTHER_NAMES[:1] + TEMPLATE_NAMES))
    if kind == "drops secret references":
        return Change(kind, name=name)
    return Change(kind, name=name, secret=draw(st.sampled_from(SECRET_NAMES + OTHER_SECRET_NAMES)))
