# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# What every resource table shares: records in creation order keyed by id,
# the "unknown id" and "name taken" refusals, the seed-entry loop and the
# shape checks of seeded values, the state dump. Each resource is one
# subclass (endpoints.py, templates.py); state.Store holds them. Plain
# Python, NOT thread-safe: service.Emulator serialises access with its lock.

import copy
import hashlib
import itertools
from collections import OrderedDict, namedtuple

ID_LENGTH = 14
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
STATE_VIEWS = ("documented", "all")
# The one account every key belongs to (myself.id, and the userId of what it owns).
USER_ID = "user_emulator"
# When what the account holds was created, unless seeded (stable, so that dumps compare).
CREATED_AT = "2024-01-01T00:00:00.000Z"
# [EnvironmentVariable] as a seed shape (endpoints and templates).
ENV_KIND = ("objects", ("key", "value"))

MSG_LIST_ITEMS = "{field} must not contain null or empty items."
MSG_REQUIRED = "{field} is required."
MSG_EMPTY = "{field} must not be empty."
MSG_ENV_KEY_EMPTY = "env keys must not be empty."
MSG_ENV_KEY_TWICE = 'env has the key "{key}" more than once.'


class ApiError(Exception):
    """A business error: the resolver turns it into a GraphQL error (HTTP 200)."""


class SeedError(ValueError):
    """Malformed seed or state-file data (a control-path 400)."""


class Mutation(namedtuple("Mutation", ["field", "kind", "update_kind", "apply"])):
    """One mutation field of the schema, the kind the request log counts it as, and what it does.

    A save has an update_kind: its kind when its input has an id (kind
    without). apply(table, arguments) does it, or raises ApiError.
    """

    __slots__ = ()

    def kind_of(self, arguments):
        if self.update_kind is not None and (arguments.get("input") or {}).get("id") is not None:
            return self.update_kind
        return self.kind


class Table:
    """One resource of the account.

    A subclass declares what makes the resource its own:

    - KEY: its key in the state dump, the seed payload and the state file;
      NOUN: its name in seed errors; ID_LENGTH: the length of new ids,
      ID_PREFIX: how they start.
    - SEED_RANK: tables of lower rank are seeded (and loaded) first, so
      that what others refer to is there before them.
    - FIELDS: every stored field, in dump order; DOCUMENTED_FIELDS: the
      default dump's (every field unless given).
    - SEED_DEFAULTS: what a new seeded record holds besides null;
      SEED_ONLY: keys a seed entry may give besides FIELDS (not stored as
      fields); DERIVED: fields a seed may not set, with the reason why.
    - MSG_NOT_FOUND, MSG_NAME_TAKEN: its "unknown id" and "name taken" texts.
    - MUTATIONS: its mutation fields; read_fields(): its fields of User;
      query_fields(): its fields of Query besides myself.
    - WRITE_ONLY: input fields whose values are never served (the dump
      keeps fingerprints of them, the request log masks them).
    - save(), delete() and view(key), and any hook below it needs.

    Records are keyed by id; a record whose id is null, and a null item of
    the list, get a placeholder tuple key (never equal to an id string).
    """

    KEY = None
    NOUN = None
    ID_LENGTH = ID_LENGTH
    ID_PREFIX = ""
    SEED_RANK = 0
    FIELDS = ()
    DOCUMENTED_FIELDS = None
    SEED_DEFAULTS = OrderedDict()
    SEED_ONLY = ()
    DERIVED = {}
    MSG_NOT_FOUND = None
    MSG_NAME_TAKEN = None
    MUTATIONS = ()
    WRITE_ONLY = ()

    def __init__(self, store):
        self.store = store
        self.records = OrderedDict()  # key -> field dict (None: a null item), in creation order
        self._placeholders = itertools.count()

    def configure(self, config):
        """Take the configuration keys this table uses (service._check_config checks them)."""

    def clear(self):
        self.records.clear()

    def expire(self):
        """Forget what time has ended (lazily, on access): nothing, unless the resource has timers."""

    # -- ids -------------------------------------------------------------------

    def ids(self):
        """Every id this table holds: a new id, whatever its table, is none of them."""
        return set(self.records)

    def new_id(self):
        return self.store.new_id(self.ID_LENGTH, self.ID_PREFIX)

    def placeholder_key(self):
        return ("no-id", next(self._placeholders))

    # -- reads -------------------------------------------------------------------

    def items(self):
        """(key, record) of every real record (null items skipped)."""
        return [(key, record) for key, record in self.records.items() if record is not None]

    def read_fields(self):
        """{field of User: resolver}: how myself reads this resource."""
        return {}

    def query_fields(self):
        """{field of Query: resolver(info, **arguments)}: the resource's own root reads."""
        return {}

    def view(self, key):
        """What GraphQL serves of a record (None for a null item)."""
        raise NotImplementedError

    def list(self):
        """Every item in creation order (null items included)."""
        return [self.view(key) for key in self.records]

    def get(self, record_id):
        """The record with this id, or None."""
        if record_id is None or self.records.get(record_id) is None:
            return None
        return self.view(record_id)

    # -- the save preamble ---------------------------------------------------------

    def current(self, record_id):
        """The stored record a save or delete with this id changes (None: a create); refuses an unknown id."""
        if record_id is None:
            return None
        current = self.records.get(record_id)
        if current is None:
            raise ApiError(self.MSG_NOT_FOUND)
        return current

    def refuse_taken_name(self, name, record_id, current):
        """Names are unique. Keeping one's own is always allowed, so that legacy
        duplicates (seeded) stay updatable; taking another record's is not."""
        if current is not None and name == current.get("name"):
            return
        if any(other.get("name") == name for other_id, other in self.items() if other_id != record_id):
            raise ApiError(self.MSG_NAME_TAKEN.format(name=name))

    # -- seeding -------------------------------------------------------------------

    def seed(self, entries):
        """Insert or patch records verbatim, without the business rules.

        Validated first as a whole, so a bad entry changes nothing. A null
        entry adds a null item; an entry whose id is stored patches the
        fields it gives; any other appends a record with SEED_DEFAULTS.
        """
        self.check_seed(entries)
        for entry in entries:
            if entry is None:
                self.records[self.placeholder_key()] = None
                continue
            key = entry.get("id")
            record = self.records.get(key) if key is not None else None
            if record is None:
                key = self.new_seed_key(entry)
                record = OrderedDict((field, None) for field in self.FIELDS)
                record.update(copy.deepcopy(self.SEED_DEFAULTS))
                record["id"] = None if isinstance(key, tuple) else key
                self.records[key] = record
            for field in self.FIELDS:
                if field in entry and field != "id":
                    record[field] = copy.deepcopy(entry[field])
            self.seeded(key, entry)

    def new_seed_key(self, entry):
        """The key of a new seeded record: its id; a generated one without "id"; a placeholder for "id": null."""
        if "id" not in entry:
            return self.new_id()
        if entry["id"] is None:
            return self.placeholder_key()
        return entry["id"]

    def seeded(self, key, entry):
        """Called after each seeded entry: whatever else the entry sets."""

    def check_seed(self, entries):
        """Raise SeedError for seed entries that seed() would refuse."""
        if not isinstance(entries, list):
            raise SeedError("%s must be a list" % self.KEY)
        for entry in entries:
            if entry is not None:
                self.check_seed_entry(entry)

    def check_seed_entry(self, entry):
        """Shape checks only: the values must still be serialisable by the schema."""
        if not isinstance(entry, dict):
            raise SeedError("each %s must be an object or null" % self.NOUN)
        for field, reason in self.DERIVED.items():
            if field in entry:
                raise SeedError(reason)
        unknown = set(entry) - set(self.FIELDS) - set(self.SEED_ONLY)
        if unknown:
            raise SeedError("unknown %s field(s): %s" % (self.NOUN, ", ".join(sorted(unknown))))

    # -- the state dump ------------------------------------------------------------

    def dump(self, fields="documented", persistent=False):
        """Every record's fields, in creation order (null items as null): the DOCUMENTED_FIELDS by
        default, every stored one with fields="all" or persistent=True (what the state file keeps)."""
        if fields not in STATE_VIEWS:
            raise ValueError("fields must be one of: %s" % ", ".join(STATE_VIEWS))
        self.expire()
        full = persistent or fields == "all"
        names = self.FIELDS if full or self.DOCUMENTED_FIELDS is None else self.DOCUMENTED_FIELDS
        return [None if record is None else dict((name, copy.deepcopy(record[name])) for name in names) for record in self.records.values()]


# -- rules on values more than one resource has --------------------------------------------


def require_text(fields, names):
    """Each of `names` given and not blank (required String inputs), in that order."""
    for name in names:
        if fields.get(name) is None:
            raise ApiError(MSG_REQUIRED.format(field=name))
        if not fields[name].strip():
            raise ApiError(MSG_EMPTY.format(field=name))


def fingerprint(value):
    """What the state dump shows of a write-only value: enough to tell two values apart, not to read one."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


def check_string_list(record, field):
    if record[field] is not None and not all(record[field]):
        raise ApiError(MSG_LIST_ITEMS.format(field=field))


def check_env(env):
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


# -- shapes of seeded values -------------------------------------------------------------

# A kind is "str", "int", "number", "bool", "str_list", "int_list",
# ("enum", values), ("enums", values): a list of those values, or
# ("objects", keys): a list of objects with those string keys.


def _is_number(value, types):
    return isinstance(value, types) and not isinstance(value, bool)


def shape_error(kind, value):
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
    if kind == "int_list":
        if isinstance(value, list) and all(item is None or shape_error("int", item) is None for item in value):
            return None
        return "must be a list of 32-bit integers (or nulls), or null"
    tag, allowed = kind
    if tag == "enum":
        return None if value in allowed else "must be one of %s" % ", ".join(allowed)
    if tag == "enums":
        if isinstance(value, list) and all(item is None or item in allowed for item in value):
            return None
        return "must be a list of %s (or nulls), or null" % ", ".join(allowed)
    if isinstance(value, list) and all(item is None or _is_string_object(item, allowed) for item in value):
        return None
    return "must be a list of {%s} objects (or nulls), or null" % ", ".join(allowed)


def _is_string_object(item, keys):
    return isinstance(item, dict) and not set(item) - set(keys) and all(v is None or isinstance(v, str) for v in item.values())


def check_object(value, kinds, what):
    """A seeded object (a worker, a network volume): known keys, each of its kind or null."""
    if not isinstance(value, dict):
        raise SeedError("%s must be an object" % what)
    unknown = set(value) - set(kinds)
    if unknown:
        raise SeedError("unknown %s field(s): %s" % (what, ", ".join(sorted(unknown))))
    for key, item in value.items():
        problem = None if item is None else shape_error(kinds[key], item)
        if problem:
            raise SeedError("%s %s %s" % (what, key, problem))
