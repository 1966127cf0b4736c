# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# The account's endpoints and the service's business rules. Plain Python,
# independent of HTTP and GraphQL, and NOT thread-safe: the caller
# (service.Emulator) serialises access with its lock.

import random
import string
import time
from collections import OrderedDict

# Known GPU pool ids (api-notes.md, "EndpointInput fields").
GPU_POOLS = frozenset([
    "AMPERE_16", "AMPERE_24", "ADA_24", "ADA_32_PRO", "AMPERE_48", "ADA_48_PRO",
    "AMPERE_80", "ADA_80_PRO", "HOPPER_141", "BLACKWELL_96", "BLACKWELL_180",
])
SCALER_TYPES = ("QUEUE_DELAY", "REQUEST_COUNT")

# Every field an endpoint stores, in API spelling; the order of the state dump.
ENDPOINT_FIELDS = (
    "id", "name", "templateId", "gpuIds", "idleTimeout", "locations", "networkVolumeId",
    "scalerType", "scalerValue", "workersMin", "workersMax",
)
INT_FIELDS = frozenset(["idleTimeout", "scalerValue", "workersMin", "workersMax"])

# What an omitted optional field becomes, on create AND on update (the
# service replaces instead of merging: the trap this emulator exists to show).
OPTIONAL_DEFAULTS = OrderedDict([
    ("idleTimeout", 5),
    ("locations", None),
    ("networkVolumeId", None),
    ("scalerType", "QUEUE_DELAY"),
    ("scalerValue", 4),
    ("workersMin", 0),
    ("workersMax", 3),
])

NAME_MIN, NAME_MAX = 3, 191
IDLE_MIN, IDLE_MAX = 1, 3600
ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 14

# Error messages. Observed ones are the real service's text; the others are
# chosen (README.md lists which is which).
MSG_NOT_FOUND = "Endpoint not found"
MSG_NAME_REQUIRED = "name is required."
MSG_NAME_LENGTH = "name must be between %d and %d characters." % (NAME_MIN, NAME_MAX)
MSG_TEMPLATE_REQUIRED = "templateId is required."
MSG_GPU_REQUIRED = "gpuIds is required."
MSG_GPU_UNKNOWN = 'gpuIds contains an unknown GPU pool: "{token}".'
MSG_GPU_NO_POOL = "gpuIds must name at least one GPU pool."
MSG_SCALER_TYPE = "scalerType must be QUEUE_DELAY or REQUEST_COUNT."
MSG_SCALER_VALUE = "Scaler value cannot be less than 1."
MSG_IDLE_TIMEOUT = "idleTimeout must be between %d and %d seconds." % (IDLE_MIN, IDLE_MAX)
MSG_WORKERS_MIN_NEGATIVE = "workersMin cannot be less than 0."
MSG_WORKERS_MAX_NEGATIVE = "workersMax cannot be less than 0."
MSG_WORKERS_ORDER = "workersMin cannot be greater than workersMax."
MSG_TEMPLATE_NOT_FOUND = "Template not found"
MSG_NAME_TAKEN = 'An endpoint named "{name}" already exists.'
MSG_QUOTA = ("Your worker concurrency cannot go beyond the maximum limit of ({quota}). "
             "Please contact support if you wish to scale past this number.")
MSG_DELETE_WORKERS_SET = "workersMin and workersMax must both be set to 0 before deletion."
MSG_DELETE_DRAINING = "Endpoint has {count} worker(s) still running; wait for them to drain before deleting."


class ApiError(Exception):
    """A business error: the resolver turns it into a GraphQL error (HTTP 200)."""


class SeedError(ValueError):
    """Malformed seed or state-file data (a control-path 400)."""


class _Worker:
    """One always-on worker; drain_until is a clock() deadline while it drains."""

    __slots__ = ("id", "desired_status", "drain_until")

    def __init__(self, worker_id, desired_status="RUNNING", drain_until=None):
        self.id = worker_id
        self.desired_status = desired_status
        self.drain_until = drain_until


class Store:
    """The endpoints of the one account every key belongs to."""

    def __init__(self, seed=0, clock=time.monotonic):
        self._clock = clock
        self.drain_seconds = 0.0
        self.worker_quota = 20
        self.templates = None  # None = any template id is accepted
        self._records = OrderedDict()  # id -> field dict, in creation order
        self._workers = {}  # endpoint id -> [_Worker]
        self._rng = random.Random(seed)

    def set_templates(self, templates):
        """Known template ids (an iterable), or None to accept any id."""
        self.templates = None if templates is None else frozenset(templates)

    # -- ids ---------------------------------------------------------------

    def reseed(self, seed):
        self._rng = random.Random(seed)

    def _new_id(self):
        taken = set(self._records)
        for workers in self._workers.values():
            taken.update(w.id for w in workers)
        while True:
            candidate = "".join(self._rng.choice(ID_ALPHABET) for _position in range(ID_LENGTH))
            if candidate not in taken:
                return candidate

    # -- workers -----------------------------------------------------------

    def _expire(self):
        """Forget drained workers whose drain time is over (lazily, on access)."""
        now = self._clock()
        for workers in self._workers.values():
            workers[:] = [w for w in workers if w.drain_until is None or w.drain_until > now]

    def _reconcile_workers(self, endpoint_id):
        """Run exactly workersMin active workers; drain the surplus, newest first."""
        workers = self._workers.setdefault(endpoint_id, [])
        target = self._records[endpoint_id].get("workersMin") or 0
        active = [w for w in workers if w.drain_until is None]
        if len(active) < target:
            for _worker in range(target - len(active)):
                workers.append(_Worker(self._new_id()))
        elif len(active) > target:
            surplus = active[target:]
            if self.drain_seconds > 0:
                deadline = self._clock() + self.drain_seconds
                for worker in surplus:
                    worker.drain_until = deadline
            else:
                workers[:] = [w for w in workers if w not in surplus]

    # -- reads -------------------------------------------------------------

    def _view(self, endpoint_id):
        view = dict(self._records[endpoint_id])
        view["clusters"] = [{"id": w.id, "desiredStatus": w.desired_status} for w in self._workers.get(endpoint_id, [])]
        return view

    def list_endpoints(self):
        self._expire()
        return [self._view(endpoint_id) for endpoint_id in self._records]

    def get_endpoint(self, endpoint_id):
        self._expire()
        if endpoint_id not in self._records:
            return None
        return self._view(endpoint_id)

    # -- rules -------------------------------------------------------------

    def save_endpoint(self, fields):
        """Create (no id) or replace (id) an endpoint; fields = the coerced EndpointInput.

        Raises ApiError with the first rule broken, in the order README.md lists.
        Returns the stored endpoint's view.
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
        gpu_ids = fields.get("gpuIds")
        if gpu_ids is None:
            raise ApiError(MSG_GPU_REQUIRED)
        _check_gpu_ids(gpu_ids)

        record = OrderedDict([
            ("id", endpoint_id), ("name", name), ("templateId", template_id), ("gpuIds", gpu_ids),
        ])
        for key, default in OPTIONAL_DEFAULTS.items():
            value = fields.get(key)
            record[key] = default if value is None else value

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
        # Checked only when a template id is sent: an update keeping the
        # current one must not fail because the known set changed since.
        if self.templates is not None and fields.get("templateId") is not None and template_id not in self.templates:
            raise ApiError(MSG_TEMPLATE_NOT_FOUND)
        # Keeping one's own name is always allowed, so legacy duplicates
        # (seeded) stay updatable; taking another endpoint's name is not.
        if current is None or name != current.get("name"):
            if any(other.get("name") == name for other_id, other in self._records.items() if other_id != endpoint_id):
                raise ApiError(MSG_NAME_TAKEN.format(name=name))
        self._check_quota(endpoint_id, current, record["workersMax"])

        if current is None:
            endpoint_id = self._new_id()
            record["id"] = endpoint_id
        self._records[endpoint_id] = record
        self._reconcile_workers(endpoint_id)
        return self._view(endpoint_id)

    def _check_quota(self, endpoint_id, current, workers_max):
        others = sum(rec.get("workersMax") or 0 for other_id, rec in self._records.items() if other_id != endpoint_id)
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
        workers = self._workers.get(endpoint_id, [])
        if workers:
            raise ApiError(MSG_DELETE_DRAINING.format(count=len(workers)))
        del self._records[endpoint_id]
        self._workers.pop(endpoint_id, None)

    # -- control: seed, dump, load -------------------------------------------

    def clear(self):
        self._records.clear()
        self._workers.clear()

    def seed(self, entries):
        """Insert or patch endpoints verbatim, without the business rules.

        Validated first as a whole, so a bad entry changes nothing.
        """
        if not isinstance(entries, list):
            raise SeedError("endpoints must be a list")
        for entry in entries:
            _check_seed_entry(entry, known=self._records)
        for entry in entries:
            endpoint_id = entry.get("id")
            record = self._records.get(endpoint_id)
            if record is None:
                endpoint_id = endpoint_id or self._new_id()
                record = OrderedDict((key, None) for key in ENDPOINT_FIELDS)
                record.update(OPTIONAL_DEFAULTS)
                record["id"] = endpoint_id
                self._records[endpoint_id] = record
            for key in ENDPOINT_FIELDS:
                if key in entry and key != "id":
                    record[key] = entry[key]
            if "clusters" in entry:
                self._workers[endpoint_id] = [
                    _Worker(c.get("id") or self._new_id(), c.get("desiredStatus", "RUNNING"),
                            self._load_deadline(c.get("drainRemaining")))
                    for c in entry["clusters"]
                ]
            else:
                self._reconcile_workers(endpoint_id)
        self._expire()

    def _load_deadline(self, remaining):
        return None if remaining is None else self._clock() + remaining

    def dump(self, persistent=False):
        """The state dump; persistent=True adds each worker's remaining drain time."""
        self._expire()
        endpoints = []
        now = self._clock()
        for endpoint_id, record in self._records.items():
            view = dict(record)
            clusters = []
            for worker in self._workers.get(endpoint_id, []):
                cluster = {"id": worker.id, "desiredStatus": worker.desired_status}
                if persistent:
                    cluster["drainRemaining"] = None if worker.drain_until is None else max(0.0, worker.drain_until - now)
                clusters.append(cluster)
            view["clusters"] = clusters
            endpoints.append(view)
        return endpoints


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


def _check_seed_entry(entry, known):
    """Shape checks only: the values must still be serialisable by the schema."""
    if not isinstance(entry, dict):
        raise SeedError("each endpoint must be an object")
    unknown = set(entry) - set(ENDPOINT_FIELDS) - {"clusters"}
    if unknown:
        raise SeedError("unknown endpoint field(s): %s" % ", ".join(sorted(unknown)))
    endpoint_id = entry.get("id")
    if endpoint_id is not None and not isinstance(endpoint_id, str):
        raise SeedError("id must be a string")
    if endpoint_id not in known and not isinstance(entry.get("name"), str):
        raise SeedError("a new endpoint needs a string name")
    if "name" in entry and not isinstance(entry["name"], str):
        raise SeedError("name must be a string")
    for key in ENDPOINT_FIELDS:
        if key in ("id", "name") or key not in entry or entry[key] is None:
            continue
        value = entry[key]
        if key in INT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int):
                raise SeedError("%s must be an integer or null" % key)
        elif not isinstance(value, str):
            raise SeedError("%s must be a string or null" % key)
    clusters = entry.get("clusters", [])
    if not isinstance(clusters, list):
        raise SeedError("clusters must be a list")
    for cluster in clusters:
        if not isinstance(cluster, dict) or set(cluster) - {"id", "desiredStatus", "drainRemaining"}:
            raise SeedError("each cluster must be an object with id, desiredStatus")
        if cluster.get("id") is not None and not isinstance(cluster["id"], str):
            raise SeedError("cluster id must be a string")
        remaining = cluster.get("drainRemaining")
        if remaining is not None and (isinstance(remaining, bool) or not isinstance(remaining, (int, float))):
            raise SeedError("drainRemaining must be a number or null")
