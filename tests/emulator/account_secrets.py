# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The account's secrets (CONTRACT.md, "Secrets"): unique names, a write-only
# value, a description, and the times the service keeps of them.

from collections import OrderedDict

from .registry_auths import CUID_LENGTH
from .tables import CREATED_AT, Mutation, SeedError, Table, check_object, fingerprint, require_text

# What GraphQL serves of a secret (Secret, real schema): never its value.
SECRET_READ_FIELDS = ("id", "name", "description", "createdAt", "updatedAt", "lastRetrievedAt", "lastUpdatedAt")
# What a secret stores, the order of the state dump: the value only as its
# fingerprint, and how many times it has been replaced.
SECRET_FIELDS = SECRET_READ_FIELDS + ("valueFingerprint", "valueUpdates")
# Non-null in the schema (id: ID!, name: String!, createdAt: DateTime!): a seed may not make them null.
SECRET_NON_NULL = ("id", "name", "createdAt")

MSG_SECRET_NOT_FOUND = "Secret not found"
MSG_SECRET_NAME_TAKEN = 'A secret named "{name}" already exists.'

SEED_KINDS = dict([(field, "str") for field in SECRET_READ_FIELDS + ("valueFingerprint", "value")] + [("valueUpdates", "int")])


class Secrets(Table):
    """The secrets of the account; workers read one through an environment value that names it."""

    KEY = "secrets"
    NOUN = "secret"
    ID_LENGTH = CUID_LENGTH
    ID_PREFIX = "c"
    FIELDS = SECRET_FIELDS
    SEED_DEFAULTS = OrderedDict([("createdAt", CREATED_AT), ("valueUpdates", 0)])
    SEED_ONLY = ("value",)
    MSG_NOT_FOUND = MSG_SECRET_NOT_FOUND
    MSG_NAME_TAKEN = MSG_SECRET_NAME_TAKEN
    WRITE_ONLY = ("value",)
    MUTATIONS = (
        Mutation("secretCreate", "secret_create", None, lambda table, arguments: table.create(arguments["input"])),
        Mutation("secretValueUpdate", "secret_value_update", None, lambda table, arguments: table.update_value(arguments["input"])),
        Mutation("secretDescriptionUpdate", "secret_description_update", None, lambda table, arguments: table.update_description(arguments["input"])),
        # A Void: null on success.
        Mutation("secretDelete", "secret_delete", None, lambda table, arguments: table.delete(arguments["id"])),
    )

    def read_fields(self):
        return {"secrets": lambda _info: self.list()}

    def query_fields(self):
        # secret(id: ID!) is a field of Query, not of User; null when unknown.
        return {"secret": lambda _info, **arguments: self.get(arguments["id"])}

    def view(self, key):
        record = self.records[key]
        return dict((field, record[field]) for field in SECRET_READ_FIELDS)

    # -- rules -------------------------------------------------------------

    def create(self, fields):
        require_text(fields, ("name", "value"))
        self.refuse_taken_name(fields["name"], None, None)
        secret_id = self.new_id()
        now = self.store.timestamp()
        record = OrderedDict((field, None) for field in SECRET_FIELDS)
        record.update(id=secret_id, name=fields["name"], description=fields.get("description"), createdAt=now, updatedAt=now)
        record.update(valueFingerprint=fingerprint(fields["value"]), valueUpdates=0)
        self.records[secret_id] = record
        return self.view(secret_id)

    def update_value(self, fields):
        record = self.current(fields["id"])
        require_text(fields, ("value",))
        now = self.store.timestamp()
        record.update(updatedAt=now, lastUpdatedAt=now, valueFingerprint=fingerprint(fields["value"]), valueUpdates=(record["valueUpdates"] or 0) + 1)
        return self.view(fields["id"])

    def update_description(self, fields):
        """Any string, "" included (stored and served as ""); null cannot be sent (String!)."""
        record = self.current(fields["id"])
        record.update(description=fields["description"], updatedAt=self.store.timestamp())
        return self.view(fields["id"])

    def delete(self, secret_id):
        self.current(secret_id)
        del self.records[secret_id]

    # -- seed ----------------------------------------------------------------

    def new_seed_key(self, entry):
        # Secrets always have an id (ID!): a generated one unless the entry gives one.
        return entry.get("id") or self.new_id()

    def seeded(self, key, entry):
        # A seeded value is kept as what a save keeps: its fingerprint.
        if "value" in entry:
            self.records[key]["valueFingerprint"] = None if entry["value"] is None else fingerprint(entry["value"])

    def check_seed(self, entries):
        if isinstance(entries, list) and any(entry is None for entry in entries):
            raise SeedError("a secret cannot be null (the items of myself.secrets are non-null)")
        Table.check_seed(self, entries)

    def check_seed_entry(self, entry):
        Table.check_seed_entry(self, entry)
        check_object(entry, SEED_KINDS, self.NOUN)
        if entry.get("id") not in self.records and "name" not in entry:
            raise SeedError("a new secret needs a name (a string)")
        for field in SECRET_NON_NULL:
            if field in entry and entry[field] is None:
                raise SeedError("secret %s must be a string (it is non-null in the schema)" % field)
