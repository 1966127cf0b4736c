# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The account: one table per resource (TABLES) and the id generator they
# share. Plain Python, independent of HTTP and GraphQL, and NOT thread-safe:
# the caller (service.Emulator) serialises access with its lock.

import datetime
import random
import string
import time
from collections import OrderedDict

from .account_secrets import Secrets
from .catalogue import DATA_CENTERS, GPU_POOLS, DataCenters, GpuTypes, ServerlessGpuPools
from .clock import Clock
from .endpoints import DOCUMENTED_FIELDS, ENDPOINT_FIELDS, OPTIONAL_DEFAULTS, READ_ONLY_DEFAULTS, Endpoints
from .network_volumes import NetworkVolumes
from .registry_auths import RegistryAuths
from .tables import STATE_VIEWS, USER_ID, ApiError, SeedError
from .templates import TEMPLATE_FIELDS, TEMPLATE_RECENT_USE_SECONDS, Templates
from .workers import CLUSTER_STATUSES, LIVE_STATUSES

# Every resource, in the order of the state dump, the state file, the seed
# checks and the mutation kinds. A new resource is a Table subclass added here.
# The last three are the service's catalogue (catalogue.py), read-only.
TABLES = (Endpoints, Templates, RegistryAuths, Secrets, NetworkVolumes, GpuTypes, ServerlessGpuPools, DataCenters)
# The kinds the request log counts mutations by, and the mutation fields.
MUTATION_KINDS = tuple(kind for table in TABLES for mutation in table.MUTATIONS for kind in (mutation.kind, mutation.update_kind) if kind is not None)
MUTATIONS = dict((mutation.field, mutation) for table in TABLES for mutation in table.MUTATIONS)
# Input fields the request log masks: values a table never serves (it keeps only their fingerprints).
WRITE_ONLY_INPUTS = frozenset(field for table in TABLES for field in table.WRITE_ONLY)
ID_ALPHABET = string.ascii_lowercase + string.digits

# Names other code imports from here (the tables' modules define them).
__all__ = [
    "CLUSTER_STATUSES",
    "DATA_CENTERS",
    "DOCUMENTED_FIELDS",
    "ENDPOINT_FIELDS",
    "GPU_POOLS",
    "LIVE_STATUSES",
    "MUTATIONS",
    "MUTATION_KINDS",
    "OPTIONAL_DEFAULTS",
    "READ_ONLY_DEFAULTS",
    "STATE_VIEWS",
    "TABLES",
    "TEMPLATE_FIELDS",
    "TEMPLATE_RECENT_USE_SECONDS",
    "USER_ID",
    "WRITE_ONLY_INPUTS",
    "ApiError",
    "SeedError",
    "Store",
]


class Store:
    """The resources of the one account every key belongs to: tables[KEY] is each resource's table."""

    def __init__(self, seed=0, clock=time.monotonic):
        # The emulator's clock: `clock` (wall time, or a test's) as the control API moves it.
        self.clock = Clock(clock)
        self._rng = random.Random(seed)
        # timestamp(): the wall time at start, moved on by the clock (a test's clock moves it too).
        self._wall_origin = time.time() - clock()
        self._last_stamp = 0
        self.tables = OrderedDict((table.KEY, table(self)) for table in TABLES)
        # What others refer to is seeded (and loaded) before them.
        self.seed_order = sorted(self.tables.values(), key=lambda table: table.SEED_RANK)
        # myself's fields, one set per table (the resolvers read the tables when called).
        self.read_fields = {}
        for table in self.tables.values():
            self.read_fields.update(table.read_fields())

    def configure(self, config):
        for table in self.tables.values():
            table.configure(config)

    def reseed(self, seed):
        self._rng = random.Random(seed)

    def new_id(self, length, prefix=""):
        """A random id of `length` characters starting with `prefix` that no table holds (ids of every
        kind come from one generator)."""
        taken = set()
        for table in self.tables.values():
            taken.update(table.ids())
        while True:
            candidate = prefix + "".join(self._rng.choice(ID_ALPHABET) for _position in range(length - len(prefix)))
            if candidate not in taken:
                return candidate

    def timestamp(self, unique=True):
        """Now, as the service writes a DateTime (UTC, milliseconds). unique: later than every one
        written before, so that each update shows (a read of the time need not be)."""
        stamp = int((self._wall_origin + self.clock()) * 1000)
        if unique:
            stamp = self._last_stamp = max(stamp, self._last_stamp + 1)
        moment = datetime.datetime.fromtimestamp(stamp // 1000, datetime.timezone.utc)
        return "%s.%03dZ" % (moment.strftime("%Y-%m-%dT%H:%M:%S"), stamp % 1000)

    def expire(self):
        for table in self.tables.values():
            table.expire()

    def clear(self):
        for table in self.tables.values():
            table.clear()

    # -- control: seed and dump, every table at once ------------------------------

    def check_seed(self, lists):
        """{table KEY: seed entries}: raise ValueError (SeedError) for a payload seed() would refuse."""
        if not lists or set(lists) - set(self.tables):
            raise ValueError("expected %s" % " and/or ".join('{"%s": [...]}' % key for key in self.tables))
        for key, table in self.tables.items():
            if key in lists:
                table.check_seed(lists[key])

    def seed(self, lists):
        """Seed each table given (every list is checked before any is stored); answers each one's default dump."""
        self.check_seed(lists)
        answer = {}
        for table in self.seed_order:
            if table.KEY in lists:
                table.seed(lists[table.KEY])
                answer[table.KEY] = table.dump()
        return answer

    def state(self, fields="documented", persistent=False):
        """{table KEY: its dump}, in TABLES order."""
        return dict((key, table.dump(fields, persistent)) for key, table in self.tables.items())

    # -- endpoint calls without GraphQL, as tests make them ---------------------------

    def save_endpoint(self, fields):
        return self.tables["endpoints"].save(fields)

    def delete_endpoint(self, endpoint_id):
        self.tables["endpoints"].delete(endpoint_id)

    def get_endpoint(self, endpoint_id):
        return self.tables["endpoints"].get(endpoint_id)

    def list_endpoints(self):
        return self.tables["endpoints"].list()

    def dump(self, fields="documented", persistent=False):
        """The endpoints' state dump (Endpoints.dump)."""
        return self.tables["endpoints"].dump(fields, persistent)
