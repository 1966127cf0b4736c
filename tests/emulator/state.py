# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# The account's endpoints and the service's business rules (CONTRACT.md).
# Plain Python, independent of HTTP and GraphQL, and NOT thread-safe: the
# caller (service.Emulator) serialises access with its lock.

import copy
import itertools
import random
import re
import string
import time
import zlib
from collections import OrderedDict

# Known GPU pool ids (CONTRACT.md, "Fields").
GPU_POOLS = frozenset([
    "AMPERE_16", "AMPERE_24", "ADA_24", "ADA_32_PRO", "AMPERE_48", "ADA_48_PRO",
    "AMPERE_80", "ADA_80_PRO", "HOPPER_141", "BLACKWELL_96", "BLACKWELL_180",
])
SCALER_TYPES = ("QUEUE_DELAY", "REQUEST_COUNT")
ENDPOINT_TYPES = ("QB", "LB")
FLASH_BOOT_TYPES = ("OFF", "FLASHBOOT")
CLUSTER_STATUSES = ("CREATED", "RUNNING", "RESTARTING", "EXITED", "PAUSED", "DEAD", "TERMINATED")
# Only these hold a delete back and count as the endpoint's running workers.
LIVE_STATUSES = frozenset(["CREATED", "RUNNING", "RESTARTING"])

# Every field an endpoint stores, in API spelling; the order of the full
# state dump. computeType is not stored: it is derived from instanceIds.
ENDPOINT_FIELDS = (
    "id", "name", "templateId", "gpuIds", "gpuCount", "instanceIds", "idleTimeout", "locations", "networkVolumeId",
    "networkVolume", "scalerType", "scalerValue", "workersMin", "workersMax", "workersStandby", "workersPFBTarget",
    "executionTimeoutMs", "allowedCudaVersions", "type", "env", "version", "aiKey", "userId", "createdAt",
    "flashBootType", "minCudaVersion", "networkVolumeIds", "modelReferences",
)
# The fields Tensor One's page documents: the default state dump.
DOCUMENTED_FIELDS = (
    "id", "name", "templateId", "gpuIds", "idleTimeout", "locations", "networkVolumeId",
    "scalerType", "scalerValue", "workersMin", "workersMax",
)
CLUSTER_FIELDS = ("id", "desiredStatus", "lastStatusChange", "machineId", "createdAt", "version")
STATE_VIEWS = ("documented", "all")

# Every field a template stores (PodTemplate, real schema), the order of the
# state dump. boundEndpointId is derived from the endpoints, not stored;
# category is read-only (not in SaveTemplateInput).
TEMPLATE_FIELDS = (
    "id", "name", "imageName", "containerDiskInGb", "volumeInGb", "volumeMountPath", "dockerArgs", "env",
    "isServerless", "readme", "containerRegistryAuthId", "ports", "startScript", "isPublic", "category",
)
# What an omitted (or null) optional SaveTemplateInput field becomes, on
# create AND on update (replace semantics, as for endpoints). isServerless
# resets to false: the stricter reading of the documented modify example,
# which omits it.
TEMPLATE_OPTIONAL_DEFAULTS = OrderedDict([
    ("volumeMountPath", None), ("isServerless", False), ("readme", None), ("containerRegistryAuthId", None),
    ("ports", None), ("startScript", None), ("isPublic", False),
])
TEMPLATE_ID_LENGTH = 10
# Seconds after its most recent use during which a template cannot be
# deleted ("it can take up to 2 minutes", documented; the default is chosen
# short so that demos and tests do not stall: set 120 to reproduce the service).
TEMPLATE_RECENT_USE_SECONDS = 2

# What an omitted (or null) optional input field becomes, on create AND on
# update: the service replaces instead of merging, the trap this emulator
# exists to show. templateId and type have rules of their own.
OPTIONAL_DEFAULTS = OrderedDict([
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
])
DEFAULT_TYPE = "QB"
FIRST_VERSION = 1

# Read-only fields: set at creation (or seeded), never touched by a save.
USER_ID = "user_emulator"
CREATED_AT = "2024-01-01T00:00:00.000Z"
READ_ONLY_DEFAULTS = OrderedDict([
    ("networkVolume", None), ("workersStandby", 0), ("aiKey", None), ("userId", USER_ID), ("createdAt", CREATED_AT),
])
# networkVolumeIds read items carry a data centre the input cannot send:
# a stable pick from this list unless the endpoint already has one for it.
DATA_CENTERS = ("EU-RO-1", "US-TX-3", "EU-CZ-1", "US-KS-2")
MACHINE_PREFIX = "machine-"

NAME_MIN, NAME_MAX = 3, 191
IDLE_MIN, IDLE_MAX = 1, 3600
ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 14
CUDA_VERSION = re.compile(r"^[0-9]+\.[0-9]+$")
INT_MIN, INT_MAX = -2 ** 31, 2 ** 31 - 1

# Error messages. Observed ones are the real service's text; the others are
# chosen (CONTRACT.md lists which is which).
MSG_NOT_FOUND = "Endpoint not found"
MSG_NAME_REQUIRED = "name is required."
MSG_NAME_LENGTH = "name must be between %d and %d characters." % (NAME_MIN, NAME_MAX)
MSG_TEMPLATE_REQUIRED = "templateId is required."
MSG_LIST_ITEMS = "{field} must not contain null or empty items."
MSG_GPU_REQUIRED = "gpuIds is required."
MSG_GPU_UNKNOWN = 'gpuIds contains an unknown GPU pool: "{token}".'
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
MSG_ENV_KEY_EMPTY = "env keys must not be empty."
MSG_ENV_KEY_TWICE = 'env has the key "{key}" more than once.'
MSG_VOLUME_TWICE = 'networkVolumeIds has the volume "{volume}" more than once.'
MSG_TYPE = "type must be QB or LB."
MSG_TYPE_FIXED = "type cannot be changed after creation (this endpoint is {type})."
MSG_TEMPLATE_NOT_FOUND = "Template not found"
MSG_NAME_TAKEN = 'An endpoint named "{name}" already exists.'
MSG_QUOTA = ("Your worker concurrency cannot go beyond the maximum limit of ({quota}). "
             "Please contact support if you wish to scale past this number.")
MSG_DELETE_WORKERS_SET = "workersMin and workersMax must both be set to 0 before deletion."
MSG_DELETE_DRAINING = "Endpoint has {count} worker(s) still running; wait for them to drain before deleting."
MSG_TEMPLATE_REQUIRED_FIELD = "{field} is required."
MSG_TEMPLATE_NAME_EMPTY = "name must not be empty."
MSG_TEMPLATE_DISK = "containerDiskInGb must be at least 1."
MSG_TEMPLATE_VOLUME = "volumeInGb cannot be less than 0."
MSG_TEMPLATE_SERVERLESS_VOLUME = "Serverless templates must have volumeInGb 0."
MSG_TEMPLATE_NAME_TAKEN = 'A template named "{name}" already exists.'
MSG_TEMPLATE_IN_USE = 'Template "{name}" is in use by {count} endpoint(s) and cannot be deleted.'
MSG_TEMPLATE_RECENTLY_USED = ('Template "{name}" was used recently: it can take up to 2 minutes to be able to delete '
                              'a template after its most recent use.')


class ApiError(Exception):
    """A business error: the resolver turns it into a GraphQL error (HTTP 200)."""


class SeedError(ValueError):
    """Malformed seed or state-file data (a control-path 400)."""


class _Worker:
    """One worker; drain_until is a clock() deadline while it drains."""

    __slots__ = ("id", "desired_status", "drain_until", "machine_id", "last_status_change", "created_at", "version")

    def __init__(self, worker_id, desired_status="RUNNING", drain_until=None, machine_id=None, last_status_change=None,
                 created_at=CREATED_AT, version=FIRST_VERSION):
        self.id = worker_id
        self.desired_status = desired_status
        self.drain_until = drain_until
        self.machine_id = machine_id or MACHINE_PREFIX + worker_id
        self.last_status_change = last_status_change
        self.created_at = created_at
        self.version = version

    def view(self):
        return {"id": self.id, "desiredStatus": self.desired_status, "lastStatusChange": self.last_status_change,
                "machineId": self.machine_id, "createdAt": self.created_at, "version": self.version}


class Store:
    """The endpoints of the one account every key belongs to.

    Records are keyed by endpoint id; an endpoint whose id is null, and a
    null item of the list, get a tuple key (never equal to an id string).
    """

    def __init__(self, seed=0, clock=time.monotonic):
        self._clock = clock
        self.drain_seconds = 0.0
        self.worker_quota = 20
        self.list_cap = None  # None = myself.endpoints lists every endpoint
        self.templates = None  # None = any template id is accepted
        self._records = OrderedDict()  # key -> field dict (None: a null item), in creation order
        self._workers = {}  # key -> [_Worker or None]
        self._templates = OrderedDict()  # template key -> field dict (None: a null item), in creation order
        self._template_last_use = {}  # template id -> clock() when its last endpoint stopped using it
        self.template_recent_use_seconds = TEMPLATE_RECENT_USE_SECONDS
        self._rng = random.Random(seed)
        self._placeholders = itertools.count()

    def set_templates(self, templates):
        """Known template ids (an iterable), or None to accept any id."""
        self.templates = None if templates is None else frozenset(templates)

    def _endpoints(self):
        """(key, record) of every real endpoint (null items skipped)."""
        return [(key, record) for key, record in self._records.items() if record is not None]

    # -- ids ---------------------------------------------------------------

    def reseed(self, seed):
        self._rng = random.Random(seed)

    def _new_id(self, length=ID_LENGTH):
        taken = set(self._records) | set(self._templates)
        for workers in self._workers.values():
            taken.update(w.id for w in workers if w is not None)
        while True:
            candidate = "".join(self._rng.choice(ID_ALPHABET) for _position in range(length))
            if candidate not in taken:
                return candidate

    def _placeholder_key(self):
        return ("no-id", next(self._placeholders))

    # -- workers -----------------------------------------------------------

    def _expire(self):
        """Forget drained workers whose drain time is over (lazily, on access)."""
        now = self._clock()
        for workers in self._workers.values():
            workers[:] = [w for w in workers if w is None or w.drain_until is None or w.drain_until > now]

    def _reconcile_workers(self, key):
        """Run exactly workersMin live workers; drain the surplus, newest first. Stopped ones stay as they are."""
        workers = self._workers.setdefault(key, [])
        record = self._records[key]
        target = record.get("workersMin") or 0
        active = [w for w in workers if w is not None and w.drain_until is None and w.desired_status in LIVE_STATUSES]
        if len(active) < target:
            for _worker in range(target - len(active)):
                workers.append(_Worker(self._new_id(), version=record.get("version")))
        elif len(active) > target:
            surplus = active[target:]
            if self.drain_seconds > 0:
                deadline = self._clock() + self.drain_seconds
                for worker in surplus:
                    worker.drain_until = deadline
            else:
                workers[:] = [w for w in workers if w not in surplus]

    # -- reads -------------------------------------------------------------

    def _view(self, key):
        """What GraphQL serves: a shallow copy (served under the caller's lock, never mutated)."""
        record = self._records[key]
        if record is None:
            return None
        view = dict(record)
        view["computeType"] = "CPU" if record.get("instanceIds") else "GPU"
        view["clusters"] = [None if w is None else w.view() for w in self._workers.get(key, ())]
        # Endpoint.template: resolved only when a request selects it.
        view["template"] = lambda _info, **_args: self.get_template(record.get("templateId"))
        return view

    def list_endpoints(self):
        """myself.endpoints: every item in creation order, only the first list_cap ones when a cap is set."""
        self._expire()
        return [self._view(key) for key in itertools.islice(self._records, self.list_cap)]

    def get_endpoint(self, endpoint_id):
        self._expire()
        if self._records.get(endpoint_id) is None:
            return None
        return self._view(endpoint_id)

    # -- rules -------------------------------------------------------------

    def save_endpoint(self, fields):
        """Create (no id) or replace (id) an endpoint; fields = the coerced EndpointInput.

        Raises ApiError with the first rule broken, in the order CONTRACT.md
        lists. Returns the stored endpoint's view.
        """
        self._expire()
        endpoint_id = fields.get("id")
        current = None
        if endpoint_id is not None:
            current = self._records.get(endpoint_id)
            if current is None:
                raise ApiError(MSG_NOT_FOUND)

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
        _check_string_list(record, "instanceIds")
        # A CPU endpoint (instanceIds) needs no GPU pools.
        cpu = bool(record["instanceIds"])
        if record["gpuIds"] is None:
            if not cpu:
                raise ApiError(MSG_GPU_REQUIRED)
        elif not (cpu and record["gpuIds"] == ""):
            _check_gpu_ids(record["gpuIds"])
        _check_values(record)
        record["type"] = _endpoint_type(fields.get("type"), current)
        # Checked only when a template id is sent: an update keeping the
        # current one must not fail because the known set changed since.
        if (self.templates is not None and fields.get("templateId") is not None and template_id not in self.templates
                and template_id not in self._templates):
            raise ApiError(MSG_TEMPLATE_NOT_FOUND)
        # Keeping one's own name is always allowed, so legacy duplicates
        # (seeded) stay updatable; taking another endpoint's name is not.
        if current is None or name != current.get("name"):
            if any(other.get("name") == name for other_id, other in self._endpoints() if other_id != endpoint_id):
                raise ApiError(MSG_NAME_TAKEN.format(name=name))
        self._check_quota(endpoint_id, current, record["workersMax"])

        record["networkVolumeIds"] = _volumes_read_shape(record["networkVolumeIds"], current)
        for key, default in READ_ONLY_DEFAULTS.items():
            record[key] = default if current is None else current.get(key)
        if current is None:
            record["version"] = FIRST_VERSION
            endpoint_id = record["id"] = self._new_id()
        elif template_id != current.get("templateId") or record["env"] != current.get("env"):
            # The version counts releases: a new template or a new env.
            record["version"] = (current.get("version") or 0) + 1
        else:
            record["version"] = current.get("version")
        if current is not None and template_id != current.get("templateId"):
            self._used_until_now(current.get("templateId"))
        self._records[endpoint_id] = record
        self._reconcile_workers(endpoint_id)
        return self._view(endpoint_id)

    def _check_quota(self, endpoint_id, current, workers_max):
        others = sum(rec.get("workersMax") or 0 for other_id, rec in self._endpoints() if other_id != endpoint_id)
        old = (current.get("workersMax") or 0) if current is not None else 0
        # Only a change that raises workersMax can break the quota: an
        # account already above it (quota lowered, seeded data) can still
        # scale down and delete.
        if others + workers_max > self.worker_quota and workers_max > old:
            raise ApiError(MSG_QUOTA.format(quota=self.worker_quota))

    def delete_endpoint(self, endpoint_id):
        self._expire()
        record = self._records.get(endpoint_id)
        if record is None:
            raise ApiError(MSG_NOT_FOUND)
        if (record.get("workersMin") or 0) != 0 or (record.get("workersMax") or 0) != 0:
            raise ApiError(MSG_DELETE_WORKERS_SET)
        # Draining workers are still RUNNING; stopped ones (EXITED, PAUSED,
        # DEAD, TERMINATED) never hold a delete back.
        live = [w for w in self._workers.get(endpoint_id, []) if w is not None and w.desired_status in LIVE_STATUSES]
        if live:
            raise ApiError(MSG_DELETE_DRAINING.format(count=len(live)))
        del self._records[endpoint_id]
        self._workers.pop(endpoint_id, None)
        self._used_until_now(record.get("templateId"))

    # -- templates -----------------------------------------------------------

    def _template_users(self, template_id):
        """Ids of the endpoints (creation order) whose templateId is this template's."""
        return [key for key, record in self._endpoints() if template_id is not None and record.get("templateId") == template_id]

    def _used_until_now(self, template_id):
        """An endpoint stopped using this template: its "recently used" window starts."""
        if template_id is not None and template_id in self._templates:
            self._template_last_use[template_id] = self._clock()

    def _template_view(self, key):
        record = self._templates[key]
        if record is None:
            return None
        view = dict(record)
        users = self._template_users(record.get("id"))
        view["boundEndpointId"] = users[0] if users else None
        return view

    def list_templates(self):
        """myself.podTemplates: every template in creation order (null items included)."""
        return [self._template_view(key) for key in self._templates]

    def get_template(self, template_id):
        """The template with this id, or None (Endpoint.template)."""
        if template_id is None or self._templates.get(template_id) is None:
            return None
        return self._template_view(template_id)

    def save_template(self, fields):
        """Create (no id) or replace (id) a template; fields = the coerced SaveTemplateInput.

        Raises ApiError with the first rule broken, in the order CONTRACT.md
        lists. An update rolls every endpoint that uses the template: its
        version goes up and its live workers are replaced by workers on the
        new version. Returns the stored template's view.
        """
        self._expire()
        template_id = fields.get("id")
        current = None
        if template_id is not None:
            current = self._templates.get(template_id)
            if current is None:
                raise ApiError(MSG_TEMPLATE_NOT_FOUND)
        name = fields.get("name")
        if name is None:
            raise ApiError(MSG_TEMPLATE_REQUIRED_FIELD.format(field="name"))
        if not name.strip():
            raise ApiError(MSG_TEMPLATE_NAME_EMPTY)
        if not fields.get("imageName"):
            raise ApiError(MSG_TEMPLATE_REQUIRED_FIELD.format(field="imageName"))
        for field in ("containerDiskInGb", "volumeInGb", "dockerArgs", "env"):
            if fields.get(field) is None:
                raise ApiError(MSG_TEMPLATE_REQUIRED_FIELD.format(field=field))
        if fields["containerDiskInGb"] < 1:
            raise ApiError(MSG_TEMPLATE_DISK)
        if fields["volumeInGb"] < 0:
            raise ApiError(MSG_TEMPLATE_VOLUME)
        _check_env(fields["env"])
        record = OrderedDict((key, None) for key in TEMPLATE_FIELDS)
        for key in ("name", "imageName", "containerDiskInGb", "volumeInGb", "dockerArgs", "env"):
            record[key] = copy.deepcopy(fields[key])
        for key, default in TEMPLATE_OPTIONAL_DEFAULTS.items():
            value = fields.get(key)
            record[key] = default if value is None else value
        if record["isServerless"] and record["volumeInGb"] != 0:
            raise ApiError(MSG_TEMPLATE_SERVERLESS_VOLUME)
        if any(other is not None and other.get("name") == name for key, other in self._templates.items() if key != template_id):
            if current is None or name != current.get("name"):
                raise ApiError(MSG_TEMPLATE_NAME_TAKEN.format(name=name))
        if current is None:
            template_id = self._new_id(TEMPLATE_ID_LENGTH)
        else:
            record["category"] = current.get("category")
        record["id"] = template_id
        self._templates[template_id] = record
        if current is not None:
            self._roll(template_id)
        return self._template_view(template_id)

    def _roll(self, template_id):
        """A rolling release of every endpoint using the template: a new version, new workers."""
        for key in self._template_users(template_id):
            record = self._records[key]
            record["version"] = (record.get("version") or 0) + 1
            workers = self._workers.setdefault(key, [])
            # Idle workers are replaced at once (the emulator runs no jobs); stopped and draining ones stay.
            workers[:] = [w for w in workers if w is None or w.drain_until is not None or w.desired_status not in LIVE_STATUSES]
            self._reconcile_workers(key)

    def delete_template(self, name):
        """deleteTemplate(templateName): refused while an endpoint uses it and within the recently-used window."""
        self._expire()
        matches = [key for key, record in self._templates.items() if record is not None and record.get("name") == name]
        if not matches:
            raise ApiError(MSG_TEMPLATE_NOT_FOUND)
        key = matches[0]
        users = self._template_users(key)
        if users:
            raise ApiError(MSG_TEMPLATE_IN_USE.format(name=name, count=len(users)))
        last_use = self._template_last_use.get(key)
        if last_use is not None and self._clock() - last_use < self.template_recent_use_seconds:
            raise ApiError(MSG_TEMPLATE_RECENTLY_USED.format(name=name))
        del self._templates[key]
        self._template_last_use.pop(key, None)

    def seed_templates(self, entries):
        """Insert or patch templates verbatim, without the business rules (a null entry: a null item)."""
        self.check_template_seed(entries)
        for entry in entries:
            if entry is None:
                self._templates[self._placeholder_key()] = None
                continue
            key = entry.get("id")
            record = self._templates.get(key) if key is not None else None
            if record is None:
                key = key or self._new_id(TEMPLATE_ID_LENGTH)
                record = OrderedDict((field, None) for field in TEMPLATE_FIELDS)
                record.update(TEMPLATE_OPTIONAL_DEFAULTS)
                record.update([("id", key), ("volumeInGb", 0), ("dockerArgs", ""), ("env", [])])
                self._templates[key] = record
            for field in TEMPLATE_FIELDS:
                if field in entry and field != "id":
                    record[field] = copy.deepcopy(entry[field])

    def check_template_seed(self, entries):
        """Raise SeedError for template seed entries that seed_templates() would refuse."""
        if not isinstance(entries, list):
            raise SeedError("templates must be a list")
        for entry in entries:
            if entry is not None:
                _check_template_entry(entry, known=self._templates)

    def dump_templates(self):
        """Every stored template field, in creation order (null items as null)."""
        return [None if record is None else copy.deepcopy(dict(record)) for record in self._templates.values()]

    # -- control: seed, dump, load -------------------------------------------

    def clear(self):
        self._records.clear()
        self._workers.clear()
        self._templates.clear()
        self._template_last_use.clear()

    def seed(self, entries):
        """Insert or patch endpoints verbatim, without the business rules.

        Validated first as a whole, so a bad entry changes nothing. A null
        entry adds a null item; an explicit "id": null an endpoint without id.
        """
        self.check_seed(entries)
        for entry in entries:
            if entry is None:
                self._records[self._placeholder_key()] = None
                continue
            key = entry.get("id")
            record = self._records.get(key) if key is not None else None
            if record is None:
                if "id" not in entry:
                    key = self._new_id()
                elif key is None:
                    key = self._placeholder_key()
                record = OrderedDict((field, None) for field in ENDPOINT_FIELDS)
                record.update(OPTIONAL_DEFAULTS)
                record.update(READ_ONLY_DEFAULTS)
                record.update([("id", entry.get("id", key)), ("type", DEFAULT_TYPE), ("version", FIRST_VERSION)])
                self._records[key] = record
            for field in ENDPOINT_FIELDS:
                if field in entry and field != "id":
                    record[field] = entry[field]
            if "clusters" in entry:
                self._workers[key] = [None if c is None else self._seeded_worker(c) for c in entry["clusters"]]
            else:
                self._reconcile_workers(key)
        self._expire()

    def check_seed(self, entries):
        """Raise SeedError for endpoint seed entries that seed() would refuse."""
        if not isinstance(entries, list):
            raise SeedError("endpoints must be a list")
        for entry in entries:
            if entry is not None:
                _check_seed_entry(entry, known=self._records)

    def _seeded_worker(self, cluster):
        remaining = cluster.get("drainRemaining")
        return _Worker(
            cluster.get("id") or self._new_id(), cluster.get("desiredStatus", "RUNNING"),
            None if remaining is None else self._clock() + remaining, cluster.get("machineId"),
            cluster.get("lastStatusChange"), cluster.get("createdAt", CREATED_AT), cluster.get("version", FIRST_VERSION),
        )

    def dump(self, fields="documented", persistent=False):
        """The state dump: `fields` "documented" (default) or "all"; persistent=True (all fields) adds each worker's remaining drain time."""
        if fields not in STATE_VIEWS:
            raise ValueError("fields must be one of: %s" % ", ".join(STATE_VIEWS))
        self._expire()
        full = persistent or fields == "all"
        names = ENDPOINT_FIELDS if full else DOCUMENTED_FIELDS
        endpoints = []
        now = self._clock()
        for key, record in self._records.items():
            if record is None:
                endpoints.append(None)
                continue
            view = dict((name, copy.deepcopy(record[name])) for name in names)
            clusters = []
            for worker in self._workers.get(key, []):
                if worker is None:
                    clusters.append(None)
                    continue
                cluster = worker.view() if full else {"id": worker.id, "desiredStatus": worker.desired_status}
                if persistent:
                    cluster["drainRemaining"] = None if worker.drain_until is None else max(0.0, worker.drain_until - now)
                clusters.append(cluster)
            view["clusters"] = clusters
            endpoints.append(view)
        return endpoints


# -- rules on values -----------------------------------------------------------

def _check_gpu_ids(gpu_ids):
    """A comma-separated priority list of pools; "-<gpu type>" excludes a model."""
    has_pool = False
    for token in gpu_ids.split(","):
        if token in GPU_POOLS:
            has_pool = True
        elif not (token.startswith("-") and len(token) > 1):
            raise ApiError(MSG_GPU_UNKNOWN.format(token=token))
    if not has_pool:
        raise ApiError(MSG_GPU_NO_POOL)


def _check_string_list(record, field):
    if record[field] is not None and not all(record[field]):
        raise ApiError(MSG_LIST_ITEMS.format(field=field))


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
        _check_env(record["env"])
    volumes = record["networkVolumeIds"]
    if volumes is not None:
        if not all(volume and volume.get("networkVolumeId") for volume in volumes):
            raise ApiError(MSG_LIST_ITEMS.format(field="networkVolumeIds"))
        seen = set()
        for volume in volumes:
            if volume["networkVolumeId"] in seen:
                raise ApiError(MSG_VOLUME_TWICE.format(volume=volume["networkVolumeId"]))
            seen.add(volume["networkVolumeId"])
    _check_string_list(record, "modelReferences")


def _check_env(env):
    """[{key, value}]: no null item, no empty key, no key twice (endpoints and templates)."""
    if not all(env):
        raise ApiError(MSG_LIST_ITEMS.format(field="env"))
    keys = set()
    for variable in env:
        if not variable["key"]:
            raise ApiError(MSG_ENV_KEY_EMPTY)
        if variable["key"] in keys:
            raise ApiError(MSG_ENV_KEY_TWICE.format(key=variable["key"]))
        keys.add(variable["key"])


def _endpoint_type(requested, current):
    """type: QB or LB, fixed at creation; an update that omits it keeps it."""
    if requested is not None and requested not in ENDPOINT_TYPES:
        raise ApiError(MSG_TYPE)
    if current is None:
        return requested or DEFAULT_TYPE
    if requested is not None and requested != current.get("type"):
        raise ApiError(MSG_TYPE_FIXED.format(type=current.get("type")))
    return current.get("type")


def _volumes_read_shape(volumes, current):
    """Input items {networkVolumeId} as read items {networkVolumeId, dataCenterId}.

    A volume the endpoint already lists keeps its data centre (seeded ones
    included); a new one gets a stable pick from DATA_CENTERS.
    """
    if volumes is None:
        return None
    known = {}
    for item in (current or {}).get("networkVolumeIds") or ():
        if item and item.get("networkVolumeId"):
            known[item["networkVolumeId"]] = item.get("dataCenterId")
    return [
        {"networkVolumeId": volume["networkVolumeId"],
         "dataCenterId": known.get(volume["networkVolumeId"],
                                   DATA_CENTERS[zlib.crc32(volume["networkVolumeId"].encode("utf-8")) % len(DATA_CENTERS)])}
        for volume in volumes
    ]


# -- seed shapes -------------------------------------------------------------------

# What each seedable field may hold besides null: the values must still be
# serialisable by the full schema (enums included); business rules are not
# checked. A kind is "str", "int", "number", "str_list", ("enum", values) or
# ("objects", keys): a list of objects with those string keys.
_SEED_KINDS = dict(
    [(field, "str") for field in ("id", "name", "templateId", "gpuIds", "locations", "networkVolumeId", "scalerType",
                                  "allowedCudaVersions", "type", "aiKey", "userId", "createdAt", "minCudaVersion")]
    + [(field, "int") for field in ("gpuCount", "idleTimeout", "scalerValue", "workersMin", "workersMax", "workersStandby",
                                    "workersPFBTarget", "executionTimeoutMs", "version")]
    + [("instanceIds", "str_list"), ("modelReferences", "str_list"), ("flashBootType", ("enum", FLASH_BOOT_TYPES)),
       ("env", ("objects", ("key", "value"))), ("networkVolumeIds", ("objects", ("networkVolumeId", "dataCenterId")))]
)
_NETWORK_VOLUME_KINDS = {"id": "str", "name": "str", "size": "int", "dataCenterId": "str"}
_TEMPLATE_SEED_KINDS = dict(
    [(field, "str") for field in ("id", "name", "imageName", "volumeMountPath", "dockerArgs", "readme",
                                  "containerRegistryAuthId", "ports", "startScript", "category")]
    + [(field, "int") for field in ("containerDiskInGb", "volumeInGb")]
    + [(field, "bool") for field in ("isServerless", "isPublic")]
    + [("env", ("objects", ("key", "value")))]
)
_CLUSTER_KINDS = {"id": "str", "desiredStatus": ("enum", CLUSTER_STATUSES), "lastStatusChange": "str", "machineId": "str",
                  "createdAt": "str", "version": "int", "drainRemaining": "number"}


def _is_number(value, types):
    return isinstance(value, types) and not isinstance(value, bool)


def _shape_error(kind, value):
    """What is wrong with a non-null value of `kind`, or None."""
    if kind == "str":
        return None if isinstance(value, str) else "must be a string or null"
    if kind == "int":
        # GraphQL's Int is 32-bit: a larger value could not be served.
        return None if _is_number(value, int) and INT_MIN <= value <= INT_MAX else "must be a 32-bit integer or null"
    if kind == "number":
        return None if _is_number(value, (int, float)) else "must be a number or null"
    if kind == "bool":
        return None if isinstance(value, bool) else "must be a boolean or null"
    if kind == "str_list":
        if isinstance(value, list) and all(item is None or isinstance(item, str) for item in value):
            return None
        return "must be a list of strings (or nulls), or null"
    tag, allowed = kind
    if tag == "enum":
        return None if value in allowed else "must be one of %s" % ", ".join(allowed)
    if isinstance(value, list) and all(item is None or _is_string_object(item, allowed) for item in value):
        return None
    return "must be a list of {%s} objects (or nulls), or null" % ", ".join(allowed)


def _is_string_object(item, keys):
    return isinstance(item, dict) and not set(item) - set(keys) and all(v is None or isinstance(v, str) for v in item.values())


def _check_object(value, kinds, what):
    if not isinstance(value, dict):
        raise SeedError("%s must be an object" % what)
    unknown = set(value) - set(kinds)
    if unknown:
        raise SeedError("unknown %s field(s): %s" % (what, ", ".join(sorted(unknown))))
    for key, item in value.items():
        problem = None if item is None else _shape_error(kinds[key], item)
        if problem:
            raise SeedError("%s %s %s" % (what, key, problem))


def _check_seed_entry(entry, known):
    """Shape checks only: the values must still be serialisable by the schema."""
    if not isinstance(entry, dict):
        raise SeedError("each endpoint must be an object or null")
    if "computeType" in entry:
        raise SeedError("computeType is derived from instanceIds (CPU when non-empty): seed instanceIds instead")
    unknown = set(entry) - set(ENDPOINT_FIELDS) - {"clusters"}
    if unknown:
        raise SeedError("unknown endpoint field(s): %s" % ", ".join(sorted(unknown)))
    if entry.get("id") not in known and "name" not in entry:
        raise SeedError("a new endpoint needs a name (a string, or null)")
    for key, value in entry.items():
        if key == "clusters" or value is None:
            continue
        if key == "networkVolume":
            _check_object(value, _NETWORK_VOLUME_KINDS, "networkVolume")
            continue
        problem = _shape_error(_SEED_KINDS[key], value)
        if problem:
            raise SeedError("%s %s" % (key, problem))
    clusters = entry.get("clusters", [])
    if not isinstance(clusters, list):
        raise SeedError("clusters must be a list")
    for cluster in clusters:
        if cluster is not None:
            _check_object(cluster, _CLUSTER_KINDS, "cluster")
            # Non-null in the schema: omitted means RUNNING, null is refused.
            if "desiredStatus" in cluster and cluster["desiredStatus"] is None:
                raise SeedError("cluster desiredStatus must be one of %s" % ", ".join(CLUSTER_STATUSES))


def _check_template_entry(entry, known):
    """Shape checks of a seeded template: the values must still be serialisable by the schema."""
    if not isinstance(entry, dict):
        raise SeedError("each template must be an object or null")
    if "boundEndpointId" in entry:
        raise SeedError("boundEndpointId is derived from the endpoints' templateId: seed an endpoint instead")
    unknown = set(entry) - set(TEMPLATE_FIELDS)
    if unknown:
        raise SeedError("unknown template field(s): %s" % ", ".join(sorted(unknown)))
    if "id" in entry and not isinstance(entry["id"], str):
        raise SeedError("template id must be a string (leave it out for a generated one)")
    if entry.get("id") not in known and not isinstance(entry.get("name"), str):
        raise SeedError("a new template needs a name (a string)")
    for key, value in entry.items():
        problem = None if value is None else _shape_error(_TEMPLATE_SEED_KINDS[key], value)
        if problem:
            raise SeedError("template %s %s" % (key, problem))
