# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The account's endpoints: the endpoint table and its business rules
# (CONTRACT.md, "saveEndpoint" to "Workers and deleteEndpoint"); their
# workers are workers.py's Fleet.

import copy
import itertools
import re
from collections import OrderedDict

from .tables import (
    CREATED_AT,
    ENV_KIND,
    MSG_LIST_ITEMS,
    USER_ID,
    ApiError,
    Mutation,
    SeedError,
    Table,
    check_env,
    check_object,
    check_string_list,
    shape_error,
)
from .workers import FIRST_VERSION, Fleet, check_seed_clusters

SCALER_TYPES = ("QUEUE_DELAY", "REQUEST_COUNT")
ENDPOINT_TYPES = ("QB", "LB")
FLASH_BOOT_TYPES = ("OFF", "FLASHBOOT")

# Every field an endpoint stores, in API spelling; the order of the full
# state dump. computeType is not stored: it is derived from instanceIds.
ENDPOINT_FIELDS = (
    "id",
    "name",
    "templateId",
    "gpuIds",
    "gpuCount",
    "instanceIds",
    "idleTimeout",
    "locations",
    "networkVolumeId",
    "networkVolume",
    "scalerType",
    "scalerValue",
    "workersMin",
    "workersMax",
    "workersStandby",
    "workersPFBTarget",
    "executionTimeoutMs",
    "allowedCudaVersions",
    "type",
    "env",
    "version",
    "aiKey",
    "userId",
    "createdAt",
    "flashBootType",
    "minCudaVersion",
    "networkVolumeIds",
    "modelReferences",
)
# The fields Tensor One's page documents: the default state dump.
DOCUMENTED_FIELDS = (
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
)

# What an omitted (or null) optional input field becomes, on create AND on
# update: the service replaces instead of merging, the trap this emulator
# exists to show. templateId and type have rules of their own.
OPTIONAL_DEFAULTS = OrderedDict(
    [
        ("gpuCount", 1),
        ("instanceIds", None),
        ("idleTimeout", 5),
        ("locations", None),
        ("networkVolumeId", None),
        ("scalerType", "QUEUE_DELAY"),
        ("scalerValue", 4),
        ("workersMin", 0),
        ("workersMax", 3),
        ("workersPFBTarget", None),
        ("executionTimeoutMs", 600000),
        ("allowedCudaVersions", None),
        ("env", None),
        ("flashBootType", "OFF"),
        ("minCudaVersion", None),
        ("networkVolumeIds", None),
        ("modelReferences", None),
    ]
)
DEFAULT_TYPE = "QB"

# Read-only fields: set at creation (or seeded), never touched by a save.
READ_ONLY_DEFAULTS = OrderedDict(
    [
        ("networkVolume", None),
        ("workersStandby", 0),
        ("aiKey", None),
        ("userId", USER_ID),
        ("createdAt", CREATED_AT),
    ]
)

NAME_MIN, NAME_MAX = 3, 191
IDLE_MIN, IDLE_MAX = 1, 3600
CUDA_VERSION = re.compile(r"^[0-9]+\.[0-9]+$")

# Error messages. Observed ones are the real service's text; the others are
# chosen (CONTRACT.md lists which is which).
MSG_NOT_FOUND = "Endpoint not found"
MSG_NAME_REQUIRED = "name is required."
MSG_NAME_LENGTH = "name must be between %d and %d characters." % (NAME_MIN, NAME_MAX)
MSG_TEMPLATE_REQUIRED = "templateId is required."
MSG_GPU_REQUIRED = "gpuIds is required."
MSG_GPU_UNKNOWN = 'gpuIds contains an unknown GPU pool: "{token}".'
MSG_GPU_TYPE_UNKNOWN = 'gpuIds excludes an unknown GPU type: "{gpu_type}".'
MSG_GPU_NO_POOL = "gpuIds must name at least one GPU pool."
MSG_SCALER_TYPE = "scalerType must be QUEUE_DELAY or REQUEST_COUNT."
MSG_SCALER_VALUE = "Scaler value cannot be less than 1."
MSG_IDLE_TIMEOUT = "idleTimeout must be between %d and %d seconds." % (IDLE_MIN, IDLE_MAX)
MSG_WORKERS_MIN_NEGATIVE = "workersMin cannot be less than 0."
MSG_WORKERS_MAX_NEGATIVE = "workersMax cannot be less than 0."
MSG_WORKERS_ORDER = "workersMin cannot be greater than workersMax."
MSG_PFB_NEGATIVE = "workersPFBTarget cannot be less than 0."
MSG_GPU_COUNT = "gpuCount must be at least 1."
MSG_EXECUTION_TIMEOUT = "executionTimeoutMs cannot be less than 0."
MSG_CUDA_VERSIONS = 'allowedCudaVersions must be a comma-separated list of CUDA versions such as "12.4,12.8".'
MSG_MIN_CUDA = 'minCudaVersion must be a CUDA version such as "12.4".'
MSG_VOLUME_TWICE = 'networkVolumeIds has the volume "{volume}" more than once.'
MSG_TYPE = "type must be QB or LB."
MSG_TYPE_FIXED = "type cannot be changed after creation (this endpoint is {type})."
MSG_TEMPLATE_NOT_FOUND = "Template not found"
MSG_LOCATION_UNKNOWN = 'locations contains an unknown location: "{token}".'
MSG_VOLUME_UNKNOWN = '{field} "{id}" is not a network volume of the account.'
MSG_VOLUMES_SAME_DATA_CENTER = 'networkVolumeIds has two volumes in {data_center} ("{first}", "{second}"): an endpoint takes at most one per data centre.'
MSG_VOLUME_PINNED = (
    'Network volume "{id}" is in {data_center}, which locations "{locations}" does not include: '
    "a network volume pins the endpoint's workers to its data centre."
)
MSG_NAME_TAKEN = 'An endpoint named "{name}" already exists.'
MSG_QUOTA = "Your worker concurrency cannot go beyond the maximum limit of ({quota}). Please contact support if you wish to scale past this number."
MSG_DELETE_WORKERS_SET = "workersMin and workersMax must both be set to 0 before deletion."
MSG_DELETE_DRAINING = "Endpoint has {count} worker(s) still running; wait for them to drain before deleting."

# What each seedable field may hold besides null (tables.shape_error's kinds):
# the values must still be serialisable by the full schema (enums included);
# business rules are not checked.
SEED_KINDS = dict(
    [
        (field, "str")
        for field in (
            "id",
            "name",
            "templateId",
            "gpuIds",
            "locations",
            "networkVolumeId",
            "scalerType",
            "allowedCudaVersions",
            "type",
            "aiKey",
            "userId",
            "createdAt",
            "minCudaVersion",
        )
    ]
    + [
        (field, "int")
        for field in (
            "gpuCount",
            "idleTimeout",
            "scalerValue",
            "workersMin",
            "workersMax",
            "workersStandby",
            "workersPFBTarget",
            "executionTimeoutMs",
            "version",
        )
    ]
    + [
        ("instanceIds", "str_list"),
        ("modelReferences", "str_list"),
        ("flashBootType", ("enum", FLASH_BOOT_TYPES)),
        ("env", ENV_KIND),
        ("networkVolumeIds", ("objects", ("networkVolumeId", "dataCenterId"))),
    ]
)
# A new seeded endpoint: the create defaults and the read-only ones.
SEED_DEFAULTS = OrderedDict(list(OPTIONAL_DEFAULTS.items()) + list(READ_ONLY_DEFAULTS.items()) + [("type", DEFAULT_TYPE), ("version", FIRST_VERSION)])
NETWORK_VOLUME_KINDS = {"id": "str", "name": "str", "size": "int", "dataCenterId": "str"}


class Endpoints(Table):
    """The endpoints of the account, each with its workers (clusters, the Fleet's)."""

    KEY = "endpoints"
    NOUN = "endpoint"
    SEED_RANK = 1  # after the templates an endpoint refers to
    FIELDS = ENDPOINT_FIELDS
    DOCUMENTED_FIELDS = DOCUMENTED_FIELDS
    SEED_DEFAULTS = SEED_DEFAULTS
    SEED_ONLY = ("clusters",)
    DERIVED = {"computeType": "computeType is derived from instanceIds (CPU when non-empty): seed instanceIds instead"}
    MSG_NOT_FOUND = MSG_NOT_FOUND
    MSG_NAME_TAKEN = MSG_NAME_TAKEN
    MUTATIONS = (
        Mutation("saveEndpoint", "create", "update", lambda table, arguments: table.save(arguments["input"])),
        # deleteEndpoint answers null on success (observed).
        Mutation("deleteEndpoint", "delete", None, lambda table, arguments: table.delete(arguments["id"])),
    )

    def __init__(self, store):
        Table.__init__(self, store)
        self.fleet = Fleet(self)
        self.drain_seconds = 0.0
        self.worker_quota = 20
        self.list_cap = None  # None = myself.endpoints lists every endpoint
        self.known_templates = None  # None = any template id is accepted

    def configure(self, config):
        self.drain_seconds = config["drain_seconds"]
        self.worker_quota = config["worker_quota"]
        self.list_cap = config["list_cap"]
        self.known_templates = None if config["templates"] is None else frozenset(config["templates"])

    def clear(self):
        Table.clear(self)
        self.fleet.clear()

    def ids(self):
        return Table.ids(self) | self.fleet.ids()

    # -- workers -----------------------------------------------------------

    def expire(self):
        """Bring the workers to now: drains and starts that ended, and what they set off."""
        self.fleet.advance(self.store.clock())

    def _workers_changed(self, key):
        """The endpoint's workers follow the rules again, from now."""
        self.fleet.changed(key)
        self.expire()

    # -- reads -------------------------------------------------------------

    def read_fields(self):
        return {"endpoints": lambda _info: self.list(), "endpoint": lambda _info, **args: self.get(args["id"])}

    def view(self, key):
        """What GraphQL serves: a shallow copy (served under the caller's lock, never mutated)."""
        record = self.records[key]
        if record is None:
            return None
        view = dict(record)
        view["computeType"] = "CPU" if record.get("instanceIds") else "GPU"
        view["clusters"] = [None if w is None else w.view() for w in self.fleet.by_key.get(key, ())]
        view["workerState"] = lambda _info, **args: self.fleet.worker_state(key, record, args.get("input"))
        # Endpoint.template: resolved only when a request selects it.
        view["template"] = lambda _info, **_args: self.store.tables["templates"].get(record.get("templateId"))
        return view

    def list(self):
        """myself.endpoints: every item in creation order, only the first list_cap ones when a cap is set."""
        self.expire()
        return [self.view(key) for key in itertools.islice(self.records, self.list_cap)]

    def get(self, record_id):
        self.expire()
        return Table.get(self, record_id)

    def using_template(self, template_id):
        """Keys of the endpoints (creation order) whose templateId is this template's."""
        return [key for key, record in self.items() if template_id is not None and record.get("templateId") == template_id]

    # -- rules -------------------------------------------------------------

    def save(self, fields):
        """Create (no id) or replace (id) an endpoint; fields = the coerced EndpointInput.

        Raises ApiError with the first rule broken, in the order CONTRACT.md
        lists. Returns the stored endpoint's view.
        """
        self.expire()
        endpoint_id = fields.get("id")
        current = self.current(endpoint_id)

        name = fields.get("name")
        if name is None:
            raise ApiError(MSG_NAME_REQUIRED)
        if not NAME_MIN <= len(name) <= NAME_MAX:
            raise ApiError(MSG_NAME_LENGTH)
        template_id = fields.get("templateId")
        if template_id is None:
            if current is None:
                raise ApiError(MSG_TEMPLATE_REQUIRED)
            # An update without templateId keeps the current one (observed).
            template_id = current.get("templateId")

        record = OrderedDict((key, None) for key in ENDPOINT_FIELDS)
        record.update([("id", endpoint_id), ("name", name), ("templateId", template_id), ("gpuIds", fields.get("gpuIds"))])
        for key, default in OPTIONAL_DEFAULTS.items():
            value = fields.get(key)
            record[key] = default if value is None else copy.deepcopy(value)
        check_string_list(record, "instanceIds")
        # A CPU endpoint (instanceIds) needs no GPU pools.
        cpu = bool(record["instanceIds"])
        if record["gpuIds"] is None:
            if not cpu:
                raise ApiError(MSG_GPU_REQUIRED)
        elif not (cpu and record["gpuIds"] == ""):
            self._check_gpu_ids(record["gpuIds"])
        _check_values(record)
        record["type"] = _endpoint_type(fields.get("type"), current)
        templates = self.store.tables["templates"]
        # Checked only when a template id is sent: an update keeping the
        # current one must not fail because the known set changed since.
        if (
            self.known_templates is not None
            and fields.get("templateId") is not None
            and template_id not in self.known_templates
            and template_id not in templates.records
        ):
            raise ApiError(MSG_TEMPLATE_NOT_FOUND)
        self._check_locations(record["locations"])
        self._check_volumes(record)
        self.refuse_taken_name(name, endpoint_id, current)
        self._check_quota(endpoint_id, current, record["workersMax"])

        record["networkVolumeIds"] = self._volumes_read_shape(record["networkVolumeIds"])
        for key, default in READ_ONLY_DEFAULTS.items():
            record[key] = default if current is None else current.get(key)
        if current is None:
            record["version"] = FIRST_VERSION
            endpoint_id = record["id"] = self.new_id()
        elif template_id != current.get("templateId") or record["env"] != current.get("env"):
            # The version counts releases: a new template or a new env.
            record["version"] = (current.get("version") or 0) + 1
        else:
            record["version"] = current.get("version")
        if current is not None and template_id != current.get("templateId"):
            templates.used_until_now(current.get("templateId"))
        self.records[endpoint_id] = record
        self._workers_changed(endpoint_id)
        return self.view(endpoint_id)

    def _check_gpu_ids(self, gpu_ids):
        """A comma-separated priority list of the catalogue's pools; "-<GPU type id>" excludes a model."""
        pools, gpu_types = self.store.tables["serverlessGpuPools"], self.store.tables["gpuTypes"]
        has_pool = False
        for token in gpu_ids.split(","):
            if pools.known(token):
                has_pool = True
            elif token.startswith("-") and len(token) > 1:
                if not gpu_types.known(token[1:]):
                    raise ApiError(MSG_GPU_TYPE_UNKNOWN.format(gpu_type=token[1:]))
            else:
                raise ApiError(MSG_GPU_UNKNOWN.format(token=token))
        if not has_pool:
            raise ApiError(MSG_GPU_NO_POOL)

    def _check_locations(self, locations):
        """Comma-separated data centre ids or their region codes; empty or null: anywhere."""
        data_centers = self.store.tables["dataCenters"]
        for token in locations.split(",") if locations else ():
            if not data_centers.known_location(token):
                raise ApiError(MSG_LOCATION_UNKNOWN.format(token=token))

    def _check_volumes(self, record):
        """Every volume named is the account's; those attached (networkVolumeIds when it lists any, else
        networkVolumeId) are in different data centres, each one that `locations` allows."""
        volumes, data_centers = self.store.tables["networkVolumes"], self.store.tables["dataCenters"]
        listed = [item["networkVolumeId"] for item in record["networkVolumeIds"] or ()]
        named = [("networkVolumeId", record["networkVolumeId"])] if record["networkVolumeId"] else []
        for field, volume_id in named + [("networkVolumeIds", volume_id) for volume_id in listed]:
            if volumes.stored(volume_id) is None:
                raise ApiError(MSG_VOLUME_UNKNOWN.format(field=field, id=volume_id))
        attached = listed or [volume_id for _field, volume_id in named]
        seen = {}
        for volume_id in attached:
            data_center = volumes.stored(volume_id)["dataCenterId"]
            if data_center in seen:
                raise ApiError(MSG_VOLUMES_SAME_DATA_CENTER.format(data_center=data_center, first=seen[data_center], second=volume_id))
            seen[data_center] = volume_id
        for data_center, volume_id in seen.items():
            if not data_centers.allows(record["locations"], data_center):
                raise ApiError(MSG_VOLUME_PINNED.format(id=volume_id, data_center=data_center, locations=record["locations"]))

    def _volumes_read_shape(self, volumes):
        """Input items {networkVolumeId} as read items {networkVolumeId, dataCenterId}: the volume's data centre."""
        if volumes is None:
            return None
        stored = self.store.tables["networkVolumes"]
        return [{"networkVolumeId": v["networkVolumeId"], "dataCenterId": stored.stored(v["networkVolumeId"])["dataCenterId"]} for v in volumes]

    def using_volume(self, volume_id):
        """Keys of the endpoints whose networkVolumeId or networkVolumeIds names this volume."""
        return [
            key
            for key, record in self.items()
            if record.get("networkVolumeId") == volume_id
            or any(item and item.get("networkVolumeId") == volume_id for item in record.get("networkVolumeIds") or ())
        ]

    def _check_quota(self, endpoint_id, current, workers_max):
        others = sum(rec.get("workersMax") or 0 for other_id, rec in self.items() if other_id != endpoint_id)
        old = (current.get("workersMax") or 0) if current is not None else 0
        # Only a change that raises workersMax can break the quota: an
        # account already above it (quota lowered, seeded data) can still
        # scale down and delete.
        if others + workers_max > self.worker_quota and workers_max > old:
            raise ApiError(MSG_QUOTA.format(quota=self.worker_quota))

    def delete(self, endpoint_id):
        self.expire()
        record = self.records.get(endpoint_id)
        if record is None:
            raise ApiError(MSG_NOT_FOUND)
        if (record.get("workersMin") or 0) != 0 or (record.get("workersMax") or 0) != 0:
            raise ApiError(MSG_DELETE_WORKERS_SET)
        # Draining workers are still RUNNING; stopped ones (EXITED, PAUSED,
        # DEAD, TERMINATED) never hold a delete back.
        live = self.fleet.live(endpoint_id)
        if live:
            raise ApiError(MSG_DELETE_DRAINING.format(count=len(live)))
        del self.records[endpoint_id]
        self.fleet.forget(endpoint_id)
        self.store.tables["templates"].used_until_now(record.get("templateId"))

    def roll(self, template_id):
        """A rolling release of every endpoint using the template: a new version, whose workers replace the others."""
        for key in self.using_template(template_id):
            record = self.records[key]
            record["version"] = (record.get("version") or 0) + 1
            self._workers_changed(key)

    def health(self, endpoint_id):
        """The data-plane health body of the endpoint with this id, or None."""
        self.expire()
        record = self.records.get(endpoint_id) if isinstance(endpoint_id, str) else None
        if record is None:
            return None
        workers, jobs = self.fleet.counts(endpoint_id, record)
        return OrderedDict([("jobs", jobs), ("workers", workers)])

    # -- seed and dump ---------------------------------------------------------

    def seed(self, entries):
        """Table.seed; "clusters", if given, are the workers verbatim, else workers follow the rules as on a save."""
        self.expire()
        Table.seed(self, entries)
        self.expire()

    def seeded(self, key, entry):
        if "clusters" in entry:
            self.fleet.seed_workers(key, self.records[key], entry["clusters"], self.store.clock())
        else:
            self.fleet.changed(key)

    def check_seed_entry(self, entry):
        Table.check_seed_entry(self, entry)
        if entry.get("id") not in self.records and "name" not in entry:
            raise SeedError("a new endpoint needs a name (a string, or null)")
        for key, value in entry.items():
            if key == "clusters" or value is None:
                continue
            if key == "networkVolume":
                check_object(value, NETWORK_VOLUME_KINDS, "networkVolume")
                continue
            problem = shape_error(SEED_KINDS[key], value)
            if problem:
                raise SeedError("%s %s" % (key, problem))
        check_seed_clusters(entry.get("clusters", []))

    def dump(self, fields="documented", persistent=False):
        """Table.dump with each endpoint's workers: {id, desiredStatus} in the documented view; every
        field and the emulator's own (state, image, pool, dataCenter) in the full one; with
        persistent=True also each worker's remaining start and drain times."""
        dumped = Table.dump(self, fields, persistent)
        full = persistent or fields == "all"
        now = self.store.clock()
        for key, view in zip(self.records, dumped):
            if view is not None:
                view["clusters"] = [None if w is None else w.dump(full, persistent, now) for w in self.fleet.by_key.get(key, [])]
        return dumped


# -- rules on values -----------------------------------------------------------


def _check_values(record):
    """The rules on the stored values after gpuIds, in CONTRACT.md's order."""
    if record["scalerType"] not in SCALER_TYPES:
        raise ApiError(MSG_SCALER_TYPE)
    if record["scalerValue"] < 1:
        raise ApiError(MSG_SCALER_VALUE)
    if not IDLE_MIN <= record["idleTimeout"] <= IDLE_MAX:
        raise ApiError(MSG_IDLE_TIMEOUT)
    if record["workersMin"] < 0:
        raise ApiError(MSG_WORKERS_MIN_NEGATIVE)
    if record["workersMax"] < 0:
        raise ApiError(MSG_WORKERS_MAX_NEGATIVE)
    if record["workersMin"] > record["workersMax"]:
        raise ApiError(MSG_WORKERS_ORDER)
    if record["workersPFBTarget"] is not None and record["workersPFBTarget"] < 0:
        raise ApiError(MSG_PFB_NEGATIVE)
    if record["gpuCount"] < 1:
        raise ApiError(MSG_GPU_COUNT)
    if record["executionTimeoutMs"] < 0:
        raise ApiError(MSG_EXECUTION_TIMEOUT)
    cuda_versions = record["allowedCudaVersions"]
    if cuda_versions is not None and not all(CUDA_VERSION.match(token) for token in cuda_versions.split(",")):
        raise ApiError(MSG_CUDA_VERSIONS)
    if record["minCudaVersion"] is not None and not CUDA_VERSION.match(record["minCudaVersion"]):
        raise ApiError(MSG_MIN_CUDA)
    if record["env"] is not None:
        check_env(record["env"])
    volumes = record["networkVolumeIds"]
    if volumes is not None:
        if not all(volume and volume.get("networkVolumeId") for volume in volumes):
            raise ApiError(MSG_LIST_ITEMS.format(field="networkVolumeIds"))
        seen = set()
        for volume in volumes:
            if volume["networkVolumeId"] in seen:
                raise ApiError(MSG_VOLUME_TWICE.format(volume=volume["networkVolumeId"]))
            seen.add(volume["networkVolumeId"])
    check_string_list(record, "modelReferences")


def _endpoint_type(requested, current):
    """type: QB or LB, fixed at creation; an update that omits it keeps it."""
    if requested is not None and requested not in ENDPOINT_TYPES:
        raise ApiError(MSG_TYPE)
    if current is None:
        return requested or DEFAULT_TYPE
    if requested is not None and requested != current.get("type"):
        raise ApiError(MSG_TYPE_FIXED.format(type=current.get("type")))
    return current.get("type")
