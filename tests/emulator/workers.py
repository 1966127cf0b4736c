# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The endpoints' workers (CONTRACT.md, "Workers and deleteEndpoint" and
# "Workers and readiness"): how many each endpoint runs, how each one starts,
# gets throttled, crashes, drains and is replaced by a new version, on the
# emulator's clock; the data-plane health counts and workerState. Plain
# Python, NOT thread-safe: service.Emulator serialises access with its lock.

import copy
from collections import OrderedDict

from .tables import CREATED_AT, SeedError, check_object, shape_error

CLUSTER_STATUSES = ("CREATED", "RUNNING", "RESTARTING", "EXITED", "PAUSED", "DEAD", "TERMINATED")
# Only these hold a delete back and count as the endpoint's running workers.
LIVE_STATUSES = frozenset(["CREATED", "RUNNING", "RESTARTING"])
FIRST_VERSION = 1
MACHINE_PREFIX = "machine-"

# The Cluster fields GraphQL serves (the full profile), in dump order.
CLUSTER_FIELDS = (
    "id",
    "desiredStatus",
    "lastStatusChange",
    "machineId",
    "createdAt",
    "version",
    "imageName",
    "templateId",
    "lastStartedAt",
    "uptimeSeconds",
    "slsVersion",
    "gpuCount",
    "networkVolumeId",
)
# What the emulator keeps of a worker besides, never served: its readiness state, the image it runs,
# where it runs (None: nowhere yet, or not known).
WORKER_FIELDS = ("state", "image", "pool", "dataCenter")
# A live worker's readiness state (RunPod's worker states; idle and running are a ready worker's, by demand).
INITIALIZING, READY, THROTTLED, UNHEALTHY = "initializing", "ready", "throttled", "unhealthy"
WORKER_STATES = (INITIALIZING, READY, THROTTLED, UNHEALTHY)
CLUSTER_KINDS = dict(
    [(field, "str") for field in ("id", "lastStatusChange", "machineId", "createdAt", "imageName", "templateId", "lastStartedAt", "networkVolumeId")]
    + [(field, "int") for field in ("version", "uptimeSeconds", "slsVersion", "gpuCount")]
    + [(field, "str") for field in ("image", "pool", "dataCenter")]
    + [
        ("desiredStatus", ("enum", CLUSTER_STATUSES)),
        ("state", ("enum", WORKER_STATES)),
        ("drainRemaining", "number"),
        ("readyRemaining", "number"),
    ]
)
# Non-null in the schema: a seed may omit them (a default), not null them.
NON_NULL_SEED_FIELDS = ("desiredStatus", "gpuCount")

# The worker settings (POST /_emulator/workers), at start and after a reset but start_seconds.
DEFAULT_SETTINGS = {"start_seconds": 0, "capacity": {}, "crashing_images": [], "demand": {}}
# workerState(input: {granularity}): the only granularity with data; the emulator keeps no history.
LIVE_GRANULARITY = "LIVE"
# Passes of the rules after one change; each pass starts or removes workers, so a few suffice.
SETTLE_LIMIT = 1000


class Worker:
    """One worker: `fields` are what GraphQL serves (CLUSTER_FIELDS); the rest is the emulator's.

    ready_at: a clock() deadline while it initializes; drain_until: one while it drains.
    """

    __slots__ = ("fields", "state", "image", "pool", "data_center", "ready_at", "drain_until")

    def __init__(self, fields, state=READY, image=None, pool=None, data_center=None, ready_at=None, drain_until=None):
        self.fields = fields
        self.state = state
        self.image = image
        self.pool = pool
        self.data_center = data_center
        self.ready_at = ready_at
        self.drain_until = drain_until

    @property
    def id(self):
        return self.fields["id"]

    @property
    def version(self):
        return self.fields["version"]

    def live(self):
        return self.fields["desiredStatus"] in LIVE_STATUSES

    def active(self):
        """One of the endpoint's workers now: live and not draining."""
        return self.live() and self.drain_until is None

    def ready(self):
        return self.state == READY

    def holds_machine(self):
        """Live and placed: what capacity counts (a throttled worker waits for a machine)."""
        return self.live() and self.state != THROTTLED

    def view(self):
        return dict(self.fields)

    def dump(self, full, persistent, now):
        if not full:
            return {"id": self.id, "desiredStatus": self.fields["desiredStatus"]}
        dumped = OrderedDict(self.fields)
        dumped.update([("state", self.state), ("image", self.image), ("pool", self.pool), ("dataCenter", self.data_center)])
        if persistent:
            dumped["readyRemaining"] = None if self.ready_at is None else max(0.0, self.ready_at - now)
            dumped["drainRemaining"] = None if self.drain_until is None else max(0.0, self.drain_until - now)
        return dumped


def check_settings(changes):
    """The worker settings given, checked for shape; raises ValueError."""
    unknown = set(changes) - set(DEFAULT_SETTINGS)
    if unknown:
        raise ValueError("unknown worker setting(s): %s" % ", ".join(sorted(unknown)))
    checked = {}
    if "start_seconds" in changes:
        value = changes["start_seconds"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError("start_seconds must be a number >= 0")
        checked["start_seconds"] = value
    for key, what in (("capacity", "a pool, data centre or endpoint id"), ("demand", "an endpoint id")):
        if key in changes:
            value = changes[key]
            if not isinstance(value, dict) or not all(shape_error("int", count) is None and count >= 0 for count in value.values()):
                raise ValueError("%s must be an object mapping %s to an integer >= 0" % (key, what))
            checked[key] = dict(value)
    if "crashing_images" in changes:
        value = changes["crashing_images"]
        if not isinstance(value, list) or not all(isinstance(image, str) and image for image in value):
            raise ValueError("crashing_images must be a list of image names")
        checked["crashing_images"] = list(value)
    return checked


class Fleet:
    """The workers of every endpoint of an Endpoints table, and the rules that move them.

    The rules run when something changes (a save, a roll, a seed, the
    settings) and at each timed event (a start or a drain ends), at that
    event's own time, however late a request notices it: advance(now)
    replays the events in order. _dirty holds the endpoints whose workers
    must follow the rules again; _retry says that throttled and unhealthy
    workers may start again (a machine freed, the settings changed).
    """

    def __init__(self, endpoints):
        self.endpoints = endpoints
        self.by_key = {}  # endpoint key -> [Worker or None], in start order
        self.settings = copy.deepcopy(DEFAULT_SETTINGS)
        self._dirty = set()
        self._retry = False

    def clear(self):
        self.by_key.clear()
        self._dirty.clear()

    def ids(self):
        return set(w.id for workers in self.by_key.values() for w in workers if w is not None)

    def workers(self, key):
        return self.by_key.setdefault(key, [])

    def live(self, key):
        """The workers that hold a delete back: live ones, draining ones included."""
        return [w for w in self.by_key.get(key, ()) if w is not None and w.live()]

    def forget(self, key):
        if any(w is not None and w.holds_machine() for w in self.by_key.pop(key, ())):
            self._retry = True

    def changed(self, key):
        """The endpoint's settings or version changed: its workers follow the rules at the next advance()."""
        self._dirty.add(key)

    # -- settings ----------------------------------------------------------

    def configure(self, changes, now):
        """Merge worker settings (checked first, as a whole) and apply them from now on."""
        checked = check_settings(changes)
        endpoint_ids = set(record.get("id") for _key, record in self.endpoints.items())
        store = self.endpoints.store
        for name in checked.get("capacity", ()):
            known = store.tables["serverlessGpuPools"].known(name) or store.tables["dataCenters"].known(name) or name in endpoint_ids
            if not known:
                raise ValueError('capacity: "%s" is neither a GPU pool, a data centre nor an endpoint id' % name)
        for name in checked.get("demand", ()):
            if name not in endpoint_ids:
                raise ValueError('demand: "%s" is not an endpoint id' % name)
        self.advance(now)  # what happened before the change happened under the old settings
        old_demand = self.settings["demand"]
        self.settings.update(copy.deepcopy(checked))
        for key, record in self.endpoints.items():
            if old_demand.get(record.get("id"), 0) != self.settings["demand"].get(record.get("id"), 0):
                self._dirty.add(key)
        if "capacity" in checked or "crashing_images" in checked:
            self._retry = True
        self.advance(now)
        return self.describe()

    def describe(self):
        return copy.deepcopy(self.settings)

    def target(self, record):
        """How many workers the endpoint runs: workersMin always, up to workersMax while demand asks for more."""
        workers_min, workers_max = record.get("workersMin") or 0, record.get("workersMax") or 0
        return max(workers_min, min(self._demand(record), workers_max))

    def _demand(self, record):
        return self.settings["demand"].get(record.get("id"), 0)

    # -- time ----------------------------------------------------------------

    def advance(self, now):
        """Follow the rules for what changed, then replay every timed event up to now, in order."""
        self._settle(now)
        while True:
            due = self._next_due()
            if due is None or due > now:
                return
            self._fire(due)
            self._settle(due)

    def _next_due(self):
        due = [w.ready_at for ws in self.by_key.values() for w in ws if w is not None and w.ready_at is not None]
        due += [w.drain_until for ws in self.by_key.values() for w in ws if w is not None and w.drain_until is not None]
        return min(due) if due else None

    def _fire(self, moment):
        """The events due at `moment`: drains end (the workers vanish), starts end (ready, or unhealthy)."""
        for key, workers in self.by_key.items():
            kept = []
            for worker in workers:
                if worker is not None and worker.drain_until is not None and worker.drain_until <= moment:
                    self._retry = self._retry or worker.holds_machine()
                    continue
                if worker is not None and worker.ready_at is not None and worker.ready_at <= moment:
                    worker.ready_at = None
                    worker.state = UNHEALTHY if self._crashes(worker) else READY
                    self._dirty.add(key)
                kept.append(worker)
            workers[:] = kept

    def _settle(self, moment):
        """Apply the rules until nothing changes: waiting workers start, dirty endpoints follow the rules (creation order)."""
        for _pass in range(SETTLE_LIMIT):
            if not self._dirty and not self._retry:
                return
            if self._retry:
                self._retry = False
                self._start_waiting(moment)
            for key in [key for key in self.endpoints.records if key in self._dirty]:
                self._dirty.discard(key)
                self._follow_rules(key, moment)
            self._dirty.clear()  # keys of endpoints that are gone
        # A bug of the emulator's, not the client's: fail the request rather than spin under the lock.
        raise RuntimeError("the worker rules did not settle")

    def _start_waiting(self, moment):
        """Throttled workers that now find a machine start; unhealthy ones whose image no longer crashes restart."""
        for key, record in self.endpoints.items():
            for worker in self.by_key.get(key, ()):
                if worker is None or not worker.active():
                    continue
                if (worker.state == THROTTLED and self._place(key, record, worker)) or (worker.state == UNHEALTHY and not self._crashes(worker)):
                    self._begin(worker, moment)
                    self._dirty.add(key)

    # -- the rules -------------------------------------------------------------

    def _follow_rules(self, key, moment):
        """Run target() workers of the endpoint's version, replacing outdated ones one by one.

        1. An outdated worker that serves nothing leaves at once; a ready one
           leaves at once when a ready worker of the current version takes its
           place (more serving workers than the target).
        2. Workers beyond the target drain, newest first (during a rollout, one
           starting worker of the current version is allowed beyond it).
        3. Workers of the current version start up to the target, and one more
           while outdated workers remain and none of the current ones is starting.
        """
        record = self.endpoints.records.get(key)
        if record is None:
            return
        version, target = record.get("version"), self.target(record)
        outdated_ready = [w for w in self._active(key) if w.version != version and w.ready()]
        serving = [w for w in self._active(key) if w.version == version and w.ready()]
        replaced = len(outdated_ready) + len(serving) - target if serving else 0
        self._remove(key, [w for w in self._active(key) if w.version != version and not w.ready()] + outdated_ready[: max(0, replaced)])

        active = self._active(key)
        starting = [w for w in active if w.version == version and not w.ready()]
        rolling = any(w.version != version for w in active)
        surplus = len(active) - target - (1 if rolling and starting and target > 0 else 0)
        if surplus > 0:
            self._drain(key, active[-surplus:], moment)

        active = self._active(key)
        rolling = any(w.version != version for w in active)
        starting = [w for w in active if w.version == version and not w.ready()]
        wanted = target - len(active)
        if wanted <= 0 and rolling and not starting:
            wanted = 1
        for _worker in range(max(0, wanted)):
            self._start(key, record, moment)

    def _active(self, key):
        return [w for w in self.by_key.get(key, ()) if w is not None and w.active()]

    def _remove(self, key, leaving):
        if leaving:
            self._retry = self._retry or any(w.holds_machine() for w in leaving)
            self.by_key[key] = [w for w in self.by_key[key] if not any(w is gone for gone in leaving)]

    def _drain(self, key, surplus, moment):
        """Drained workers stay listed (RUNNING) for drain_seconds, then vanish; a throttled one never ran: it goes at once."""
        drain_seconds = self.endpoints.drain_seconds
        if drain_seconds <= 0:
            self._remove(key, surplus)
            return
        self._remove(key, [w for w in surplus if w.state == THROTTLED])
        for worker in surplus:
            if worker.state != THROTTLED:
                worker.drain_until = moment + drain_seconds

    def _start(self, key, record, moment):
        """A new worker of the endpoint's current version: it initializes where there is room, else it is throttled."""
        worker_id = self.endpoints.new_id()
        fields = OrderedDict((name, None) for name in CLUSTER_FIELDS)
        fields.update(
            id=worker_id,
            desiredStatus="RUNNING",
            machineId=MACHINE_PREFIX + worker_id,
            createdAt=CREATED_AT,
            version=record.get("version"),
            gpuCount=_gpu_count(record),
        )
        worker = Worker(fields, THROTTLED, image=self._image(record))
        self.workers(key).append(worker)
        if self._place(key, record, worker):
            self._begin(worker, moment)

    def _begin(self, worker, moment):
        worker.state = INITIALIZING
        worker.ready_at = moment + self.settings["start_seconds"]

    def _crashes(self, worker):
        return worker.image is not None and worker.image in self.settings["crashing_images"]

    def _image(self, record):
        """The image of the endpoint's template, as it is when the worker starts (None: not a stored template)."""
        template_id = record.get("templateId")
        template = self.endpoints.store.tables["templates"].records.get(template_id) if isinstance(template_id, str) else None
        return None if template is None else template.get("imageName")

    # -- capacity ----------------------------------------------------------------

    def _place(self, key, record, worker):
        """Find the worker a machine: the endpoint's first GPU pool (priority order) and first allowed data
        centre (catalogue order) with room, within the endpoint's own capacity. False: no room."""
        capacity = self.settings["capacity"]
        holders = [w for ws in self.by_key.values() for w in ws if w is not None and w is not worker and w.holds_machine()]

        def room(name, count):
            return name is None or name not in capacity or count < capacity[name]

        own = sum(1 for w in self.by_key.get(key, ()) if w is not None and w is not worker and w.holds_machine())
        if not room(record.get("id"), own):
            return False
        pools = [pool for pool in self._pools(record) if room(pool, sum(1 for w in holders if w.pool == pool))]
        data_centers = [dc for dc in self._data_centers(record) if room(dc, sum(1 for w in holders if w.data_center == dc))]
        if not pools or not data_centers:
            return False
        worker.pool, worker.data_center = pools[0], data_centers[0]
        return True

    def _pools(self, record):
        """The GPU pools of gpuIds in priority order ([None]: a CPU endpoint, or none known)."""
        if record.get("instanceIds"):
            return [None]
        pools = self.endpoints.store.tables["serverlessGpuPools"]
        known = [token for token in (record.get("gpuIds") or "").split(",") if pools.known(token)]
        return known or [None]

    def _data_centers(self, record):
        """The data centres `locations` allows, pinned to those of the attached volumes ([None]: none known)."""
        store = self.endpoints.store
        data_centers, volumes = store.tables["dataCenters"], store.tables["networkVolumes"]
        allowed = [key for key, _dc in data_centers.items() if data_centers.allows(record.get("locations"), key)]
        pinned = set(volume["dataCenterId"] for volume in (volumes.stored(v) for v in _attached_volumes(record)) if volume)
        if pinned:
            allowed = [dc for dc in allowed if dc in pinned]
        return allowed or [None]

    # -- reads -------------------------------------------------------------------

    def counts(self, key, record):
        """The data-plane health counters of the endpoint: (workers, jobs). They overlap: a ready worker
        without a request is idle AND ready; one serving a request is running only."""
        active = self._active(key)
        ready = sum(1 for w in active if w.ready())
        demand = self._demand(record)
        running = min(demand, ready)
        workers = OrderedDict(
            [
                ("idle", ready - running),
                ("initializing", sum(1 for w in active if w.state == INITIALIZING)),
                ("ready", ready - running),
                ("running", running),
                ("throttled", sum(1 for w in active if w.state == THROTTLED)),
                ("unhealthy", sum(1 for w in active if w.state == UNHEALTHY)),
            ]
        )
        jobs = OrderedDict([("completed", 0), ("failed", 0), ("inProgress", running), ("inQueue", demand - running), ("retried", 0)])
        return workers, jobs

    def worker_state(self, key, record, arguments):
        """Endpoint.workerState(input:): one point, now, for LIVE; [] for the other granularities (no history kept)."""
        if (arguments or {}).get("granularity") != LIVE_GRANULARITY:
            return []
        workers, _jobs = self.counts(key, record)
        point = dict((name, workers[name]) for name in ("initializing", "idle", "running", "throttled", "unhealthy"))
        point["time"] = self.endpoints.store.timestamp(unique=False)
        return [point]

    # -- seed and dump -------------------------------------------------------------

    def seed_workers(self, key, record, clusters, now):
        """An endpoint's workers verbatim (a seed or the state file)."""
        self.by_key[key] = [None if c is None else self._seeded_worker(record, c, now) for c in clusters]
        self._retry = True

    def _seeded_worker(self, record, cluster, now):
        fields = OrderedDict((name, cluster.get(name)) for name in CLUSTER_FIELDS)
        fields["id"] = cluster.get("id") or self.endpoints.new_id()
        fields["desiredStatus"] = cluster.get("desiredStatus", "RUNNING")
        fields["machineId"] = cluster.get("machineId") or MACHINE_PREFIX + fields["id"]
        fields["createdAt"] = cluster.get("createdAt", CREATED_AT)
        fields["version"] = cluster.get("version", FIRST_VERSION)
        fields["gpuCount"] = cluster.get("gpuCount", _gpu_count(record))
        worker = Worker(fields, cluster.get("state") or (READY if fields["desiredStatus"] in LIVE_STATUSES else None))
        worker.image, worker.pool, worker.data_center = cluster.get("image"), cluster.get("pool"), cluster.get("dataCenter")
        if worker.state == INITIALIZING:
            remaining = cluster.get("readyRemaining")
            worker.ready_at = now + (self.settings["start_seconds"] if remaining is None else remaining)
        remaining = cluster.get("drainRemaining")
        worker.drain_until = None if remaining is None else now + remaining
        return worker


def check_seed_clusters(clusters):
    """Shape checks of a seeded endpoint's `clusters`."""
    if not isinstance(clusters, list):
        raise SeedError("clusters must be a list")
    for cluster in clusters:
        if cluster is not None:
            check_object(cluster, CLUSTER_KINDS, "cluster")
            for name in NON_NULL_SEED_FIELDS:
                if name in cluster and cluster[name] is None:
                    raise SeedError("cluster %s must not be null (omit it for the default)" % name)


def _gpu_count(record):
    """GPUs per worker: the endpoint's gpuCount, none for a CPU endpoint."""
    return 0 if record.get("instanceIds") else (record.get("gpuCount") or 1)


def _attached_volumes(record):
    """The ids of the volumes the endpoint attaches: networkVolumeIds when it lists any, else networkVolumeId."""
    listed = [item.get("networkVolumeId") for item in record.get("networkVolumeIds") or () if item and item.get("networkVolumeId")]
    return listed or ([record["networkVolumeId"]] if record.get("networkVolumeId") else [])
