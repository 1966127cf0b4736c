# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The account's templates: the template table and its business rules
# (CONTRACT.md, "Templates").

import copy
from collections import OrderedDict

from .tables import ENV_KIND, ApiError, Mutation, SeedError, Table, check_env, shape_error

# Every field a template stores (PodTemplate, real schema), the order of the
# state dump. boundEndpointId is derived from the endpoints, not stored;
# category is read-only (not in SaveTemplateInput).
TEMPLATE_FIELDS = (
    "id",
    "name",
    "imageName",
    "containerDiskInGb",
    "volumeInGb",
    "volumeMountPath",
    "dockerArgs",
    "env",
    "isServerless",
    "readme",
    "containerRegistryAuthId",
    "ports",
    "startScript",
    "isPublic",
    "category",
)
# What an omitted (or null) optional SaveTemplateInput field becomes, on
# create AND on update (replace semantics, as for endpoints). isServerless
# resets to false: the stricter reading of the documented modify example,
# which omits it.
TEMPLATE_OPTIONAL_DEFAULTS = OrderedDict(
    [
        ("volumeMountPath", None),
        ("isServerless", False),
        ("readme", None),
        ("containerRegistryAuthId", None),
        ("ports", None),
        ("startScript", None),
        ("isPublic", False),
    ]
)
# The fields SaveTemplateInput must give (their checks are in CONTRACT.md's order).
TEMPLATE_REQUIRED = ("name", "imageName", "containerDiskInGb", "volumeInGb", "dockerArgs", "env")
TEMPLATE_ID_LENGTH = 10
# Seconds after its most recent use during which a template cannot be
# deleted ("it can take up to 2 minutes", documented; the default is chosen
# short so that demos and tests do not stall: set 120 to reproduce the service).
TEMPLATE_RECENT_USE_SECONDS = 2

MSG_TEMPLATE_NOT_FOUND = "Template not found"
MSG_TEMPLATE_REQUIRED_FIELD = "{field} is required."
MSG_TEMPLATE_NAME_EMPTY = "name must not be empty."
MSG_TEMPLATE_DISK = "containerDiskInGb must be at least 1."
MSG_TEMPLATE_VOLUME = "volumeInGb cannot be less than 0."
MSG_TEMPLATE_SERVERLESS_VOLUME = "Serverless templates must have volumeInGb 0."
MSG_TEMPLATE_NAME_TAKEN = 'A template named "{name}" already exists.'
MSG_TEMPLATE_REGISTRY_AUTH = 'containerRegistryAuthId "{id}" is not a registry credential of the account.'
MSG_TEMPLATE_IN_USE = 'Template "{name}" is in use by {count} endpoint(s) and cannot be deleted.'
MSG_TEMPLATE_RECENTLY_USED = 'Template "{name}" was used recently: it can take up to 2 minutes to be able to delete a template after its most recent use.'

SEED_KINDS = dict(
    [
        (field, "str")
        for field in ("id", "name", "imageName", "volumeMountPath", "dockerArgs", "readme", "containerRegistryAuthId", "ports", "startScript", "category")
    ]
    + [(field, "int") for field in ("containerDiskInGb", "volumeInGb")]
    + [(field, "bool") for field in ("isServerless", "isPublic")]
    + [("env", ENV_KIND)]
)
# A new seeded template: the create defaults, no volume, no arguments, no environment.
SEED_DEFAULTS = OrderedDict(list(TEMPLATE_OPTIONAL_DEFAULTS.items()) + [("volumeInGb", 0), ("dockerArgs", ""), ("env", [])])


class Templates(Table):
    """The templates of the account; an endpoint uses the one its templateId names."""

    KEY = "templates"
    NOUN = "template"
    ID_LENGTH = TEMPLATE_ID_LENGTH
    SEED_RANK = 0
    FIELDS = TEMPLATE_FIELDS
    SEED_DEFAULTS = SEED_DEFAULTS
    DERIVED = {"boundEndpointId": "boundEndpointId is derived from the endpoints' templateId: seed an endpoint instead"}
    MSG_NOT_FOUND = MSG_TEMPLATE_NOT_FOUND
    MSG_NAME_TAKEN = MSG_TEMPLATE_NAME_TAKEN
    MUTATIONS = (
        # saveTemplate(input: SaveTemplateInput) is nullable in the real schema: the schema's
        # non-null fields do the checks; a missing input is save()'s "name is required."
        Mutation("saveTemplate", "template_create", "template_update", lambda table, arguments: table.save(arguments.get("input") or {})),
        # deleteTemplate answers null on success (documented).
        Mutation("deleteTemplate", "template_delete", None, lambda table, arguments: table.delete(arguments["templateName"])),
    )

    def __init__(self, store):
        Table.__init__(self, store)
        self.last_use = {}  # template id -> clock() when its last endpoint stopped using it
        self.recent_use_seconds = TEMPLATE_RECENT_USE_SECONDS

    def configure(self, config):
        self.recent_use_seconds = config["template_recent_use_seconds"]

    def clear(self):
        Table.clear(self)
        self.last_use.clear()

    def used_until_now(self, template_id):
        """An endpoint stopped using this template: its "recently used" window starts."""
        if template_id is not None and template_id in self.records:
            self.last_use[template_id] = self.store.clock()

    # -- reads -------------------------------------------------------------

    def read_fields(self):
        return {"podTemplates": lambda _info: self.list()}

    def view(self, key):
        record = self.records[key]
        if record is None:
            return None
        view = dict(record)
        users = self.store.tables["endpoints"].using_template(record.get("id"))
        view["boundEndpointId"] = users[0] if users else None
        return view

    # -- rules -------------------------------------------------------------

    def save(self, fields):
        """Create (no id) or replace (id) a template; fields = the coerced SaveTemplateInput.

        Raises ApiError with the first rule broken, in the order CONTRACT.md
        lists. An update rolls every endpoint that uses the template: its
        version goes up and its live workers are replaced by workers on the
        new version. Returns the stored template's view.
        """
        self.store.expire()
        template_id = fields.get("id")
        current = self.current(template_id)
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
        check_env(fields["env"])
        record = OrderedDict((key, None) for key in TEMPLATE_FIELDS)
        for key in TEMPLATE_REQUIRED:
            record[key] = copy.deepcopy(fields[key])
        for key, default in TEMPLATE_OPTIONAL_DEFAULTS.items():
            value = fields.get(key)
            record[key] = default if value is None else value
        if record["isServerless"] and record["volumeInGb"] != 0:
            raise ApiError(MSG_TEMPLATE_SERVERLESS_VOLUME)
        self.refuse_taken_name(name, template_id, current)
        auth_id = record["containerRegistryAuthId"]
        if auth_id is not None and self.store.tables["registryAuths"].get(auth_id) is None:
            raise ApiError(MSG_TEMPLATE_REGISTRY_AUTH.format(id=auth_id))
        if current is None:
            template_id = self.new_id()
        else:
            record["category"] = current.get("category")
        record["id"] = template_id
        self.records[template_id] = record
        if current is not None:
            self.store.tables["endpoints"].roll(template_id)
        return self.view(template_id)

    def delete(self, name):
        """deleteTemplate(templateName): refused while an endpoint uses it and within the recently-used window."""
        self.store.expire()
        matches = [key for key, record in self.items() if record.get("name") == name]
        if not matches:
            raise ApiError(MSG_TEMPLATE_NOT_FOUND)
        key = matches[0]
        users = self.store.tables["endpoints"].using_template(key)
        if users:
            raise ApiError(MSG_TEMPLATE_IN_USE.format(name=name, count=len(users)))
        last_use = self.last_use.get(key)
        if last_use is not None and self.store.clock() - last_use < self.recent_use_seconds:
            raise ApiError(MSG_TEMPLATE_RECENTLY_USED.format(name=name))
        del self.records[key]
        self.last_use.pop(key, None)

    def forget_registry_auth(self, auth_id):
        """A registry credential was deleted: the templates that named it silently lose the reference."""
        for _key, record in self.items():
            if record.get("containerRegistryAuthId") == auth_id:
                record["containerRegistryAuthId"] = None

    # -- seed ----------------------------------------------------------------

    def new_seed_key(self, entry):
        # Templates always have an id: a generated one unless the entry gives one.
        return entry.get("id") or self.new_id()

    def check_seed_entry(self, entry):
        Table.check_seed_entry(self, entry)
        if "id" in entry and not isinstance(entry["id"], str):
            raise SeedError("template id must be a string (leave it out for a generated one)")
        if entry.get("id") not in self.records and not isinstance(entry.get("name"), str):
            raise SeedError("a new template needs a name (a string)")
        for key, value in entry.items():
            problem = None if value is None else shape_error(SEED_KINDS[key], value)
            if problem:
                raise SeedError("template %s %s" % (key, problem))
