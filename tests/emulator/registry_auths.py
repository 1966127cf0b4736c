# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The account's container registry credentials (CONTRACT.md, "Registry
# credentials"): unique names, a write-only username and password, and the
# templates that refer to a credential by id.

from collections import OrderedDict

from .tables import USER_ID, Mutation, Table, check_object, fingerprint, require_text

# What a credential stores, the order of the state dump: never the username
# or the password, only their fingerprints, and how many updates it has had.
REGISTRY_AUTH_FIELDS = ("id", "name", "usernameFingerprint", "passwordFingerprint", "rotations")
# Ids are cuids: "c" and 24 lower-case letters and digits, like "clzdaifot0001l90809257ynb".
CUID_LENGTH = 25

MSG_REGISTRY_AUTH_NOT_FOUND = "Registry credential not found"
MSG_REGISTRY_AUTH_NAME_TAKEN = 'A registry credential named "{name}" already exists.'

SEED_KINDS = dict([(field, "str") for field in ("id", "name", "usernameFingerprint", "passwordFingerprint", "username", "password")] + [("rotations", "int")])


class RegistryAuths(Table):
    """The registry credentials of the account; a template names one by containerRegistryAuthId."""

    KEY = "registryAuths"
    NOUN = "registry credential"
    ID_LENGTH = CUID_LENGTH
    ID_PREFIX = "c"
    SEED_RANK = -1  # before the templates that refer to them
    FIELDS = REGISTRY_AUTH_FIELDS
    SEED_DEFAULTS = OrderedDict([("rotations", 0)])
    SEED_ONLY = ("username", "password")
    MSG_NOT_FOUND = MSG_REGISTRY_AUTH_NOT_FOUND
    MSG_NAME_TAKEN = MSG_REGISTRY_AUTH_NAME_TAKEN
    WRITE_ONLY = ("username", "password")
    MUTATIONS = (
        # saveRegistryAuth(input: SaveRegistryAuthInput) is nullable in the real schema: a missing input is "name is required."
        Mutation("saveRegistryAuth", "registry_auth_create", None, lambda table, arguments: table.create(arguments.get("input") or {})),
        Mutation("updateRegistryAuth", "registry_auth_update", None, lambda table, arguments: table.update(arguments["input"])),
        # A Void: null on success.
        Mutation("deleteRegistryAuth", "registry_auth_delete", None, lambda table, arguments: table.delete(arguments["registryAuthId"])),
    )

    def read_fields(self):
        return {"containerRegistryCreds": lambda _info: self.list()}

    def view(self, key):
        record = self.records[key]
        if record is None:
            return None
        # registryAuth's content is undocumented and may encode the credential: always null here.
        return {"id": record["id"], "name": record["name"], "userId": USER_ID, "registryAuth": None}

    # -- rules -------------------------------------------------------------

    def create(self, fields):
        require_text(fields, ("name", "username", "password"))
        self.refuse_taken_name(fields["name"], None, None)
        auth_id = self.new_id()
        self.records[auth_id] = self._stored(auth_id, fields["name"], fields, 0)
        return self.view(auth_id)

    def update(self, fields):
        """A rotation: a new username and password under the same id and name (there is no rename)."""
        current = self.current(fields["id"])
        require_text(fields, ("username", "password"))
        self.records[fields["id"]] = self._stored(fields["id"], current["name"], fields, (current["rotations"] or 0) + 1)
        return self.view(fields["id"])

    def delete(self, auth_id):
        """Always allowed: the templates that name the credential silently lose the reference."""
        self.current(auth_id)
        del self.records[auth_id]
        self.store.tables["templates"].forget_registry_auth(auth_id)

    @staticmethod
    def _stored(auth_id, name, fields, rotations):
        return OrderedDict(
            [
                ("id", auth_id),
                ("name", name),
                ("usernameFingerprint", fingerprint(fields["username"])),
                ("passwordFingerprint", fingerprint(fields["password"])),
                ("rotations", rotations),
            ]
        )

    # -- seed ----------------------------------------------------------------

    def seeded(self, key, entry):
        # A seeded username or password is kept as what a save keeps: its fingerprint.
        for field in self.WRITE_ONLY:
            if field in entry:
                self.records[key][field + "Fingerprint"] = None if entry[field] is None else fingerprint(entry[field])

    def check_seed_entry(self, entry):
        Table.check_seed_entry(self, entry)
        check_object(entry, SEED_KINDS, self.NOUN)
