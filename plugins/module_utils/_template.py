# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the tensorone.cloud collection: it may change
# at any time, without notice, and is not meant to be used by anything else.

"""The template model: the image an endpoint's workers run, its disk, start
command and environment.

Built from the shapes of ``_resource`` like the endpoint model: a field table,
normalisation, comparison of the options a task sets, a full-input builder.
What is particular to templates:

* The identity is the name (unique in the account; the API deletes by name),
  so there is no rename.
* ``env`` and ``secret_env`` are both stored in the API's one ``env`` list.
  Together they are the variables the task manages; variables the task does
  not mention are kept as they are. A ``null`` value removes a variable.
  Secret values are compared like the others but never shown: results and
  diffs mask them, and ``Run.secrets`` scrubs them from every message (the
  API's coercion errors echo the whole input). Every other value read from the
  service is masked too (it may have been set in the console), but for the
  task's own ``env`` values.
* Every save rolls the workers of every endpoint using the template, so a
  no-op sends nothing, and a save whose response was lost is never sent again
  blindly: the template is read back by name and compared first.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import (
    INT32_MAX,
    LIST_CAP,
    MASK,
    Deadline,
    Field,
    ModelError,
    Outcome,
    Resource,
    Selection,
    Step,
    desired_from,
    differences,
    find_one,
    listed,
    myself_of,
    number_as_text_error,
    recovered,
    refused,
    unknown_fields,
)

# The account's templates: RunPod's field name (no page documents a template read).
TEMPLATES_FIELD = "podTemplates"
# What the endpoint model selects to resolve template names in its own read.
TEMPLATE_NAMES_SELECTION = "%s { id name }" % TEMPLATES_FIELD
CHANGED_MASK = MASK + " (changed)"

# Every field of a template the collection reads and writes. An update
# REPLACES the template (the service resets what it is not sent), so every
# writable field is sent on every save: the task's value where it sets one,
# the value as read otherwise.
ENV = Field(None, "env", "env", documented=True, read="env { key value }")
IS_SERVERLESS = Field("is_serverless", "isServerless", "bool", documented=True, true_value=True, false_value=False)
FIELDS = (
    Field("name", "name", documented=True),
    Field("image_name", "imageName", documented=True),
    Field("container_disk_in_gb", "containerDiskInGb", "int", documented=True),
    Field("volume_in_gb", "volumeInGb", "int", documented=True),
    Field("docker_args", "dockerArgs", "none", documented=True),
    ENV,
    IS_SERVERLESS,
    Field("readme", "readme", "none", documented=True),
    Field("volume_mount_path", "volumeMountPath", "none"),
    Field("container_registry_auth_id", "containerRegistryAuthId", "none"),
    Field("ports", "ports", "none"),
    Field("start_script", "startScript", "none"),
    # Kept as it is: set in the console, not managed here.
    Field("is_public", "isPublic", "bool", true_value=True, false_value=False),
)
# The options a task sets (env and secret_env are handled apart: they share ENV).
OPTION_FIELDS = tuple(f for f in FIELDS if f.option and f.option != "is_public")
OPTIONS = tuple(f.option for f in OPTION_FIELDS)
FIELD_OF = dict((f.option, f) for f in FIELDS if f.option)
FIELD_BY_API = dict((f.api, f) for f in FIELDS)
# The fields every returned template carries, in this order.
VIEW_OPTIONS = tuple(f.option for f in FIELDS if f.option)
# What a create without the option stores: the collection's create-time
# defaults (not argument spec defaults, which would be compared on every
# update and flip or wipe an existing template, rolling its workers).
CREATE_DEFAULTS = dict(is_serverless=True, docker_args=None, volume_in_gb=0)
# Required by SaveTemplateInput on every save: what to send when the read has no value.
INPUT_FALLBACKS = {"dockerArgs": "", "volumeInGb": 0}

LIST_QUERY = "query TensorOneTemplates { myself { " + TEMPLATES_FIELD + " { id %s } endpoints { id name templateId } } }"
SAVE_MUTATION = "mutation TensorOneSaveTemplate($input: SaveTemplateInput!) { saveTemplate(input: $input) { id %s } }"
DELETE_MUTATION = "mutation TensorOneDeleteTemplate($name: String!) { deleteTemplate(templateName: $name) }"
NO_TEMPLATE_READ = "the service has no template read (its API has no myself.%s field), so a template cannot be found by name there" % TEMPLATES_FIELD


def template_argument_spec():
    """The options of tensorone_template (also the items of the role's endpoints_templates): one per field, and
    env and secret_env, which share the env field."""
    spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        env=dict(type="dict"),
        secret_env=dict(type="dict", no_log=True),
        wait_timeout=dict(type="int", default=180),
        endpoints_result=dict(type="dict"),
    )
    spec.update((field.option, field.argument_spec()) for field in OPTION_FIELDS)
    spec["name"]["required"] = True
    return spec


# --- normalisation and comparison -------------------------------------------


def env_value(value):
    """The string an environment value is stored as; None removes the variable."""
    if value is None or isinstance(value, str):
        return value
    return str(value)


def normalise_env(env):
    """{key: str or None} of an env or secret_env option (None: not set)."""
    if env is None:
        return None
    return dict((str(key), env_value(value)) for key, value in env.items())


def managed_env(params):
    """The variables the task manages, {key: value or None (remove)}, and the secret keys among them."""
    env = normalise_env(params.get("env")) or {}
    secret = normalise_env(params.get("secret_env")) or {}
    managed = dict(env)
    managed.update(secret)
    return managed, frozenset(secret)


class Wanted:
    """What a task asks of one template: the options it sets, the variables it manages, and
    which of them are secret (compared by value, never shown)."""

    def __init__(self, params):
        self.name = params["name"]
        self.options = desired_from(params, OPTION_FIELDS)
        self.env, self.secret_keys = managed_env(params)
        # The task's own plain values: the only environment values a result, a diff or a message may show.
        self.plain_env = dict((k, v) for k, v in (normalise_env(params.get("env")) or {}).items() if v is not None)

    def env_changes(self, current_env):
        """The managed keys whose value differs from ``current_env`` (a removal of a present key counts)."""
        changed = []
        for key, value in self.env.items():
            if (key in current_env) if value is None else (current_env.get(key) != value):
                changed.append(key)
        return sorted(changed)

    def changes(self, template):
        """What differs, as option names for messages: option, env (KEYS), secret_env (KEYS)."""
        changed = sorted(differences(template, self.options))
        env_keys = self.env_changes(template.get("env") or {})
        plain = [k for k in env_keys if k not in self.secret_keys]
        secret = [k for k in env_keys if k in self.secret_keys]
        if plain:
            changed.append("env (%s)" % ", ".join(plain))
        if secret:
            changed.append("secret_env (%s)" % ", ".join(secret))
        return changed

    def apply(self, template):
        """The template as it will be once the task is applied (None: a new one, with the create defaults)."""
        predicted = dict((option, None) for option in VIEW_OPTIONS)
        predicted.update({"id": None, "env": {}, "endpoint_ids": []})
        if template is None:
            predicted.update(CREATE_DEFAULTS)
            predicted["is_public"] = False
        else:
            predicted.update(template)
        predicted.update(self.options)
        env = dict(predicted["env"])
        for key, value in self.env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        predicted["env"] = env
        return predicted


def template_from_api(api_template, users=None):
    """The model's view of an API template: option names, normalised values (every
    environment value included: mask them with ``public_view`` before showing them)."""
    template = {"id": api_template.get("id")}
    for field in FIELDS:
        if field.api in api_template:
            if field is ENV:
                template["env"] = ENV.view(api_template.get("env"))
            else:
                template[field.option] = field.view(api_template[field.api])
    template["endpoint_ids"] = [e["id"] for e in users or []]
    return template


def public_view(template, plain_env=None, secret_keys=frozenset(), changed_secrets=(), show_values=False):
    """A template as modules return it: ``env`` without the secret keys, a value shown only where
    it is the task's own (``plain_env``: any other value was read from the service, and may be a
    secret set elsewhere); ``secret_env`` with the task's secret keys the template has, masked
    (``changed_secrets`` marked so)."""
    if not template:
        return None
    plain_env = plain_env or {}
    view = dict((key, value) for key, value in template.items() if key != "env")
    env = template.get("env") or {}
    view["env"] = dict(
        (key, value if show_values or (key in plain_env and plain_env[key] == value) else MASK) for key, value in env.items() if key not in secret_keys
    )
    view["secret_env"] = dict((key, CHANGED_MASK if key in changed_secrets else MASK) for key in sorted(secret_keys) if key in env)
    return view


def merged_env(current_env, wanted_env):
    """The full env input of an update: the variables as read, in their order, the managed ones
    set (or removed), new ones appended in key order. A value read as null is written as ""."""
    merged, seen = [], set()
    for item in current_env or []:
        if not item or item.get("key") is None or item["key"] in seen:
            continue
        key = item["key"]
        seen.add(key)
        if key in wanted_env:
            if wanted_env[key] is not None:
                merged.append({"key": key, "value": wanted_env[key]})
        else:
            merged.append({"key": key, "value": "" if item.get("value") is None else item["value"]})
    merged.extend({"key": key, "value": value} for key, value in sorted(wanted_env.items()) if key not in seen and value is not None)
    return merged


def build_input(current, wanted, selection=None):
    """The full SaveTemplateInput for a create (``current`` None) or an update.

    ``current`` is the template as the API returned it. An update REPLACES the
    template, so every writable field it has is sent, the task's value where it
    sets one, the value exactly as read otherwise (``isServerless`` included: the
    documented modify omits it, and whether the service keeps it then is unknown;
    one read as null goes back as null, never as false).
    Fields the service lacks (``selection``) are never sent.
    """
    has = selection.has if selection is not None else (lambda field: True)
    options = wanted.options
    if current is None:
        values = dict(CREATE_DEFAULTS, **options)
        api_input = dict((f.api, f.write(values[f.option])) for f in OPTION_FIELDS if f.option in values and has(f) and f.write(values[f.option]) is not None)
        api_input["env"] = merged_env([], wanted.env)
    else:
        api_input = {"id": current["id"]}
        for field in FIELDS:
            if not has(field):
                continue
            if field is ENV:
                api_input["env"] = merged_env(current.get("env"), wanted.env)
            elif field.option in options:
                api_input[field.api] = field.write(options[field.option])
            elif field.api in current:
                api_input[field.api] = field.write_back(current[field.api])
        for required, option in (("name", "name"), ("imageName", "image_name"), ("containerDiskInGb", "container_disk_in_gb")):
            if api_input.get(required) in (None, ""):
                raise ModelError(
                    "Template %r (%s) has no %s in the API's answer; set %s to update it" % (current.get("name"), current["id"], required, option),
                    "invalid_option",
                )
    for api, fallback in INPUT_FALLBACKS.items():
        if api_input.get(api) is None:
            api_input[api] = fallback
    return api_input


# --- endpoints that name their template ------------------------------------------


class PendingTemplate(str):
    """Check mode's stand-in for the id of a template that does not exist yet (the same play may
    create it first, as the role does); shown as null in the predicted endpoint."""


def resolve_template_names(templates, items, labels, run):
    """The endpoint items with ``template`` (a name) resolved to ``template_id``, from ``templates``
    ({id, name}, read with the endpoints); ``labels`` name the items in messages. An unknown name
    fails before any change (check mode: warns and predicts). A delete needs no template."""
    resolved = []
    for where, item in zip(labels, items):
        name = item.get("template")
        if name is not None and item.get("state", "present") == "present":
            match = find_one(templates, "template", name=name, where=where, hint="rename or delete the others in the console")
            if match is None and run.check_mode:
                run.warnings.append(
                    "%sNo template named %r exists yet: check mode predicts the endpoint with template_id "
                    "null; a run fails unless the template exists by then" % (where + ": " if where else "", name)
                )
                resolved.append(dict(item, template_id=PendingTemplate("(template %r, not created yet)" % name)))
                continue
            if match is None:
                names = sorted(repr(t.get("name")) for t in templates)
                known = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "") if names else "none"
                raise refused(
                    where,
                    "No template named %r exists (template); the account's templates: %s. Create it first, "
                    "for example with tensorone.cloud.tensorone_template" % (name, known),
                    "not_found",
                )
            item = dict(item, template_id=match["id"])
        resolved.append(item)
    return resolved


# --- validation before any API call ----------------------------------------


def _env_errors(option, env):
    errors = []
    for key, value in (env or {}).items():
        if not str(key).strip():
            errors.append("%s must not have an empty key" % option)
        if isinstance(value, bool):
            errors.append("%s.%s must be a string, got a boolean (quote it, for example %r)" % (option, key, str(value).lower()))
        elif isinstance(value, float):
            errors.append(number_as_text_error("%s.%s" % (option, key), None if option == "secret_env" else value))
        elif isinstance(value, (list, dict)):
            errors.append("%s.%s must be a string, got %s" % (option, key, "a list" if isinstance(value, list) else "a mapping"))
    return errors


def validate_template(params):
    """Messages, each naming its option, for values the API would refuse or the collection cannot use."""
    errors = []
    name = params.get("name")
    if name is None or not name.strip():
        errors.append("name must not be empty")
    if params.get("image_name") is not None and not params["image_name"].strip():
        errors.append("image_name must not be empty")
    ranges = (("container_disk_in_gb", 1), ("volume_in_gb", 0), ("wait_timeout", 0))
    for option, low in ranges:
        value = params.get(option)
        if value is not None and not low <= value <= INT32_MAX:
            errors.append("%s must be between %d and %d, got %d" % (option, low, INT32_MAX, value))
    errors.extend(_env_errors("env", params.get("env")))
    errors.extend(_env_errors("secret_env", params.get("secret_env")))
    endpoints_result = params.get("endpoints_result")
    if endpoints_result is not None and not isinstance(endpoints_result.get("endpoints"), list):
        errors.append("endpoints_result must be the registered result of a tensorone.cloud.tensorone_endpoints task (it has no endpoints list)")
    both = sorted(set(params.get("env") or {}) & set(params.get("secret_env") or {}))
    if both:
        errors.append("env and secret_env both set %s: a variable is either plain or secret" % ", ".join(both))
    if params.get("is_serverless") and (params.get("volume_in_gb") or 0) > 0:
        errors.append("volume_in_gb must be 0 for a serverless template (is_serverless is true), got %d" % params["volume_in_gb"])
    return errors


def white_space_warnings(params):
    """Warnings for a name, image name or variable name with white space around it (the API keeps it as given;
    blank ones are refused)."""
    padded = [("name", params.get("name")), ("image_name", params.get("image_name"))]
    padded.extend(("%s key" % option, key) for option in ("env", "secret_env") for key in params.get(option) or {})
    return [
        "The template's %s %r starts or ends with white space; the API keeps it as given" % (what, value)
        for what, value in padded
        if isinstance(value, str) and value.strip() and value != value.strip()
    ]


def validate_info(params):
    """tensorone_template_info: an empty id or name is refused (it would silently list nothing)."""
    return ["%s must not be empty" % option for option in ("id", "name") if params.get(option) is not None and not params[option].strip()]


# --- reading and carrying out ------------------------------------------------


class TemplateGateway:
    """The API's side of the templates of one module run: the only place that sends their GraphQL
    documents and reads or writes the API's spelling (through ``template_from_api`` and
    ``build_input``). One read costs one request: the templates with every field, and the endpoints
    (id, name, template) that use them. ``wanted`` is what the task asks (None for the info module)."""

    def __init__(self, run, wanted=None):
        self.run = run
        self.client = run.client
        self.wanted = wanted
        self.selection = Selection(FIELDS)
        self.wanted_fields = tuple(FIELD_OF[o] for o in sorted(wanted.options) if o != "name") if wanted else ()
        self.api = {}  # id -> the template as last read (API spelling), for updates
        self.endpoints = []
        self.users_complete = True

    def read(self):
        """[model view] of every template of the account (null items skipped); one request."""
        try:
            data = self.selection.execute(self.client, lambda sel: LIST_QUERY % sel.select(FIELDS), wanted=self.wanted_fields)
        except APIError as exc:
            if TEMPLATES_FIELD in unknown_fields(exc):
                raise ModelError("Templates cannot be managed on this service: %s" % NO_TEMPLATE_READ, "unsupported")
            raise
        myself = myself_of(data)
        endpoints = myself.get("endpoints") or []
        # At the list's cap, endpoints beyond it are not read: a template's users may be more than those seen.
        self.users_complete = len(endpoints) < LIST_CAP
        self.endpoints = [e for e in endpoints if e and e.get("id") is not None]
        templates = [t for t in myself.get(TEMPLATES_FIELD) or [] if t and t.get("id") is not None]
        self.api = dict((t["id"], t) for t in templates)
        plain_env = self.wanted.plain_env if self.wanted else {}
        for api_template in templates:
            # An error that echoes the input must not show values the task does not show itself.
            self.run.secrets.extend(v for k, v in ENV.view(api_template.get("env")).items() if v and plain_env.get(k) != v)
        return [template_from_api(t, self.users(t["id"])) for t in templates]

    def users(self, template_id):
        """The endpoints (as read) whose template is ``template_id``."""
        return [e for e in self.endpoints if e.get("templateId") == template_id]

    def send_create(self, desired):
        reply = self._save(build_input(None, self.wanted, self.selection), self.lookup(self.wanted.name))
        return recovered(reply, lambda data: template_from_api(data["saveTemplate"] or {}, []))

    def send_update(self, template, desired):
        """Save the full template; a lost response is read back and compared, never sent twice (it would roll twice)."""
        current = self.api.get(template["id"])
        if current is None:
            raise self.gone(template)
        reply = self._save(
            build_input(current, self.wanted, self.selection), self.lookup(self.wanted.name, matches=lambda found: not self.wanted.changes(found))
        )
        return recovered(reply, lambda data: template_from_api(data["saveTemplate"] or {}, self.users(template["id"])))

    def _save(self, api_input, applied):
        def variables(selection):
            return {"input": dict((k, v) for k, v in api_input.items() if k == "id" or selection.has(FIELD_BY_API.get(k, ENV)))}

        return self.selection.execute(
            self.client, lambda sel: SAVE_MUTATION % sel.select(FIELDS), variables, wanted=self.wanted_fields, retry_safe=False, applied=applied
        )

    def send_delete(self, name):
        self.client.execute(DELETE_MUTATION, {"name": name})


class Templates(TemplateGateway, Resource):
    """One template's change in one module run: the resource base's flows, the in-use refusal and
    the delete's wait through the service's recently-used window; the reads and saves are its gateway's."""

    kind = "template"

    def __init__(self, run, wanted=None):
        Resource.__init__(self, run)
        TemplateGateway.__init__(self, run, wanted)

    # --- what the resource base asks of a model (``desired``: the task's options; the variables
    # it manages, and which are secret, are the run's one ``wanted``) ---

    def find(self, name):
        return find_one(self.read(), "template", name=name, hint="rename or delete the others in the console")

    def changes(self, template, desired):
        return self.wanted.changes(template)

    def predict(self, template, desired):
        return self.wanted.apply(template)

    def update_action(self, view, desired):
        return "save template %r (%s): %s%s" % (view["name"], view["id"], ", ".join(self.changes(view, desired)), _roll_note(self.users(view["id"])))

    def retire(self, outcome, params):
        """Delete the template of ``outcome``, refused while an endpoint uses it (check mode: counting
        the users an endpoints task before it predicts, ``endpoints_result``)."""
        template = outcome.before
        users = self.users(template["id"])
        if self.check_mode and params.get("endpoints_result") is not None:
            # The endpoints task before this one changed nothing in check mode: count the users it predicts.
            users = planned_users(template, users, params["endpoints_result"])
        in_use(template, users)
        if not self.check_mode:
            self.delete(template, params["wait_timeout"])
        self.actions.append("delete template %r (%s)" % (template["name"], template["id"]))

    def delete(self, template, wait_timeout):
        """Delete by name. Refused while an endpoint uses it (naming them); a refusal in the
        service's "recently used" window is retried within ``wait_timeout``."""
        deadline = Deadline(self.run, wait_timeout)
        name = template["name"]
        while True:
            try:
                self.send_delete(name)
                return
            except APIError as exc:
                if exc.kind != "graphql":
                    raise
                refusal = exc.message.rstrip(".")
            current = self.find(name)
            if current is None or current["id"] != template["id"]:
                return  # gone: deleted by a request whose response was lost, or by someone else
            in_use(current, self.users(current["id"]))
            if not self.users_complete:
                # Decided from what was read: no listed endpoint uses it, but the list stops at its cap.
                raise ModelError(
                    "Could not delete template %r (%s): the service refused it (%s), and the account's "
                    "list of endpoints came back with %d endpoints, the most the API lists, so an endpoint "
                    "beyond them may use the template. Nothing was deleted: point such endpoints at another "
                    "template (by their id), then run again" % (name, template["id"], refusal, LIST_CAP),
                    "list_incomplete",
                )
            if deadline.expired():
                raise ModelError(
                    "Could not delete template %r (%s) within %ss (wait_timeout): %s. The service refuses a "
                    "delete for up to 2 minutes after the template's last use by an endpoint; run again, or "
                    "raise wait_timeout" % (name, template["id"], wait_timeout, refusal),
                    "wait_timeout",
                )
            deadline.wait()


def in_use(template, users):
    """Refuse to delete a template an endpoint uses, naming the endpoints."""
    if users:
        raise ModelError(
            "Template %r (%s) is used by %s: nothing was deleted. Point %s at another template, or delete "
            "%s, first"
            % (
                template["name"],
                template["id"],
                ", ".join("endpoint %r (%s)" % (e.get("name"), e["id"]) for e in users),
                "it" if len(users) == 1 else "them",
                "it" if len(users) == 1 else "them",
            ),
            "in_use",
        )


def planned_users(template, users, endpoints_result):
    """The endpoints that will use ``template`` once the endpoints task whose check-mode result is
    ``endpoints_result`` has run: ``users`` as read, less those it deletes or moves to another template,
    plus those it creates or moves onto this one."""
    deleted = set(e.get("id") for e in endpoints_result.get("deleted") or [] if isinstance(e, dict))
    planned = dict((e.get("id"), e) for e in endpoints_result.get("endpoints") or [] if isinstance(e, dict) and e.get("id"))
    read_ids = set(u["id"] for u in users)
    kept = [u for u in users if u["id"] not in deleted and planned.get(u["id"], {}).get("template_id", template["id"]) == template["id"]]
    added = [
        dict(id=e.get("id"), name=e.get("name"))
        for e in endpoints_result.get("endpoints") or []
        if isinstance(e, dict) and e.get("template_id") == template["id"] and e.get("id") not in read_ids
    ]
    return kept + added


def _roll_note(users):
    if not users:
        return ""
    return "; rolls the workers of %s" % ", ".join("endpoint %r (%s)" % (e.get("name"), e["id"]) for e in users)


def _incomplete_users():
    return "the account's list of endpoints came back with %d endpoints, the most the API lists" % LIST_CAP


def plan_template(template, wanted, params):
    """The Step that brings the template to ``params["state"]`` (template: as read, or None)."""
    if params.get("state", "present") == "absent":
        return Step("delete" if template else "none", template)
    if template is None:
        missing = [option for option in ("image_name", "container_disk_in_gb") if option not in wanted.options]
        if missing:
            raise refused("", "Template %r does not exist; creating it needs %s" % (wanted.name, ", ".join(missing)), "create_needs")
    predicted = wanted.apply(template)
    if predicted.get("is_serverless") and (predicted.get("volume_in_gb") or 0) > 0:
        raise refused(
            "",
            "volume_in_gb must be 0 for a serverless template: template %r would have is_serverless true and "
            "volume_in_gb %d" % (wanted.name, predicted["volume_in_gb"]),
            "invalid_option",
        )
    if template is None:
        return Step("create", None, wanted.options)
    return Step("update" if wanted.changes(template) else "none", template, wanted.options)


def converge_template(run):
    """The work of tensorone_template."""
    params = run.params
    wanted = Wanted(params)
    # Secret values never show in a message, the API's own included (coercion errors echo the input).
    run.secrets.extend(value for value in (normalise_env(params.get("secret_env")) or {}).values() if value)
    run.warnings.extend(white_space_warnings(params))
    templates = Templates(run, wanted)
    outcome = Outcome(plan_template(templates.find(wanted.name), wanted, params))
    if outcome.action == "delete":
        templates.retire(outcome, params)
    elif outcome.action == "create":
        templates.create(outcome, wanted.options)
    elif outcome.action == "update":
        if not templates.users_complete:
            run.warnings.append("Template %r may roll the workers of more endpoints than the action names: %s" % (outcome.before["name"], _incomplete_users()))
        outcome.after = templates.update(outcome.before, wanted.options)
    changed_secrets = [k for k in wanted.env_changes((outcome.before or {}).get("env") or {}) if k in wanted.secret_keys]
    shown = dict(plain_env=wanted.plain_env, secret_keys=wanted.secret_keys)
    result = dict(changed=outcome.changed, template=public_view(outcome.after, **shown))
    if run.diff:
        result["diff"] = dict(
            before=public_view(outcome.before, **shown) or {},
            after=public_view(outcome.after, changed_secrets=changed_secrets if outcome.changed else [], **shown) or {},
        )
    return result


def read_templates(run):
    """The work of tensorone_template_info: every template, or those with this id or name."""
    templates = Templates(run)
    wanted_id, wanted_name = run.params.get("id"), run.params.get("name")
    found = listed(templates.read(), wanted_id, wanted_name)
    if not templates.users_complete:
        run.warnings.append("endpoint_ids may miss endpoints: %s" % _incomplete_users())
    show = bool(run.params.get("include_env_values"))
    items = []
    for template in found:
        view = public_view(template, show_values=show)
        del view["secret_env"]
        items.append(view)
    return dict(changed=False, templates=items)
