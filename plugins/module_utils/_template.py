# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the tensorone.cloud collection: it may change
# at any time, without notice, and is not meant to be used by anything else.

"""The template model: the image an endpoint's workers run, its disk, start
command and environment, built from the shapes of ``_resource``.

What is particular to templates: the identity is the name (unique in the
account; the API deletes by name), so there is no rename; ``env`` and
``secret_env`` share the API's one ``env`` list (``_env``); every save rolls
the workers of every endpoint using the template, so a no-op sends nothing and
a save whose response was lost is read back and compared, never sent again
blindly; a delete is refused while an endpoint uses the template.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError
from ansible_collections.tensorone.cloud.plugins.module_utils._env import WantedEnv, env_errors, normalise_env, secret_references
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import (
    INT32_MAX,
    LIST_CAP,
    Deadline,
    Field,
    ModelError,
    PendingId,
    Reference,
    Resource,
    Selection,
    desired_from,
    differences,
    find_one,
    full_input,
    in_use_error,
    labelled,
    listed,
    myself_of,
    padded_warnings,
    recovered,
    unknown_fields,
    value_errors,
)

# The account's templates: RunPod's field name (no page documents a template read).
TEMPLATES_FIELD = "podTemplates"
# What the endpoint model selects to resolve template names in its own read.
TEMPLATE_NAMES_SELECTION = "%s { id name }" % TEMPLATES_FIELD

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

LIST_QUERY = "query TensorOneTemplates { myself { " + TEMPLATES_FIELD + " { id %s } endpoints { id name templateId } %s } }"
# Read with the templates only when the task needs them: the credentials it names, the secrets its values refer to.
CREDENTIALS_FIELD, SECRETS_FIELD = "containerRegistryCreds", "secrets"
CREDENTIALS_SELECTION, SECRETS_SELECTION = CREDENTIALS_FIELD + " { id name }", SECRETS_FIELD + " { id name }"
SAVE_MUTATION = "mutation TensorOneSaveTemplate($input: SaveTemplateInput!) { saveTemplate(input: $input) { id %s } }"
DELETE_MUTATION = "mutation TensorOneDeleteTemplate($name: String!) { deleteTemplate(templateName: $name) }"
NO_CREDENTIALS = (
    "The service does not support registry credentials (its API has no myself.%s field), so container_registry_auth "
    "cannot be resolved there: set container_registry_auth_id" % CREDENTIALS_FIELD
)
NO_SECRETS = "The service's API has no myself.%s field: could not check that the secrets the environment refers to exist (%%s)" % SECRETS_FIELD
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
        container_registry_auth=dict(type="str"),
    )
    spec.update((field.option, field.argument_spec()) for field in OPTION_FIELDS)
    spec["name"]["required"] = True
    return spec


# --- normalisation, comparison and validation ------------------------------------


class Wanted:
    """What a task asks of one template: the options it sets and the variables it manages (``env``)."""

    def __init__(self, params):
        self.name = params["name"]
        self.options = desired_from(params, OPTION_FIELDS)
        self.env = WantedEnv(params.get("env"), params.get("secret_env"))
        self.credential = params.get("container_registry_auth") if params.get("state", "present") == "present" else None
        self.secret_names = secret_references(self.env.values.values()) if params.get("state", "present") == "present" else set()

    def changes(self, template):
        """What differs, as option names for messages: option, env (KEYS), secret_env (KEYS)."""
        return sorted(differences(template, self.options)) + self.env.change_names(template.get("env") or {})

    def apply(self, template):
        """The template as it will be once the task is applied (None: a new one, with the create defaults)."""
        predicted = dict((option, None) for option in VIEW_OPTIONS)
        predicted.update({"id": None, "env": {}, "endpoint_ids": []})
        predicted.update(template or dict(CREATE_DEFAULTS, is_public=False))
        predicted.update(self.options)
        predicted["env"] = self.env.applied(predicted["env"])
        return predicted


def template_from_api(api_template, users=None):
    """The model's view of an API template: option names, normalised values (every
    environment value included: mask them with ``public_view`` before showing them)."""
    template = {"id": api_template.get("id")}
    for field in FIELDS:
        if field.api in api_template:
            template[field.option or "env"] = field.view(api_template[field.api])
    template["endpoint_ids"] = [e["id"] for e in users or []]
    return template


def public_view(template, env=None, changed_secrets=(), show_values=False):
    """A template as modules return it: ``env`` and ``secret_env`` as ``env`` (the task's
    ``WantedEnv``; None: no variables of its own) shows them."""
    if not template:
        return None
    view = dict((key, value) for key, value in template.items() if key != "env")
    view["env"], view["secret_env"] = (env or WantedEnv(None, None)).public(template.get("env") or {}, changed_secrets, show_values)
    return view


def build_input(current, wanted, selection=None):
    """The full SaveTemplateInput for a create (``current`` None) or an update (``current`` as the
    API returned it). ``isServerless`` read as null goes back as null, never as false: the documented
    modify omits it, and whether the service keeps it then is unknown."""
    desired = dict(CREATE_DEFAULTS, **wanted.options) if current is None else wanted.options
    label = current and "Template %r (%s)" % (current.get("name"), current["id"])
    api_input = full_input(FIELDS, current, desired, selection, required=("name", "image_name", "container_disk_in_gb"), label=label)
    if selection is None or selection.has(ENV):
        api_input["env"] = wanted.env.merged((current or {}).get("env"))
    for api, fallback in INPUT_FALLBACKS.items():
        if api_input.get(api) is None:
            api_input[api] = fallback
    return api_input


def validate_template(params):
    """Messages, each naming its option, for values the API would refuse or the collection cannot use."""
    errors = ["name must not be empty"] if not (params.get("name") or "").strip() else []
    ranges = (("container_disk_in_gb", 1, INT32_MAX), ("volume_in_gb", 0, INT32_MAX), ("wait_timeout", 0, INT32_MAX))
    errors.extend(value_errors(params, not_blank=("image_name", "container_registry_auth"), ranges=ranges))
    errors.extend(env_errors("env", params.get("env")) + env_errors("secret_env", params.get("secret_env")))
    endpoints_result = params.get("endpoints_result")
    if endpoints_result is not None and not isinstance(endpoints_result.get("endpoints"), list):
        errors.append("endpoints_result must be the registered result of a tensorone.cloud.tensorone_endpoints task (it has no endpoints list)")
    if params.get("container_registry_auth") is not None and params.get("container_registry_auth_id") is not None:
        errors.append("container_registry_auth and container_registry_auth_id are mutually exclusive (one names the credential, the other gives its id)")
    both = sorted(set(params.get("env") or {}) & set(params.get("secret_env") or {}))
    if both:
        errors.append("env and secret_env both set %s: a variable is either plain or secret" % ", ".join(both))
    if params.get("is_serverless") and (params.get("volume_in_gb") or 0) > 0:
        errors.append("volume_in_gb must be 0 for a serverless template (is_serverless is true), got %d" % params["volume_in_gb"])
    return errors


def white_space_warnings(params):
    """Warnings for a name, image name or variable name with white space around it (blank ones are refused)."""
    named = [("name", params.get("name")), ("image_name", params.get("image_name"))]
    return padded_warnings("template", named + [("%s key" % option, key) for option in ("env", "secret_env") for key in params.get(option) or {}])


def validate_info(params):
    """tensorone_template_info: an empty id or name is refused (it would silently list nothing)."""
    return value_errors(params, not_blank=("id", "name"))


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
        options = set(wanted.options) | (set(["container_registry_auth_id"]) if wanted.credential else set()) if wanted else ()
        self.wanted_fields = tuple(FIELD_OF[o] for o in sorted(options) if o != "name")
        self.credentials = self.secrets = None  # [{id, name}] when read (None: not read)
        self.secrets_readable = True
        self.api = {}  # id -> the template as last read (API spelling), for updates
        self.endpoints = []
        self.users_complete = True

    def read(self):
        """[model view] of every template of the account (null items skipped); one request, with the
        credentials the task names and the secrets it refers to."""
        extras = [CREDENTIALS_SELECTION] if self.wanted and self.wanted.credential else []
        extras += [SECRETS_SELECTION] if self.wanted and self.wanted.secret_names and self.secrets_readable else []
        try:
            data = self.selection.execute(self.client, lambda sel: LIST_QUERY % (sel.select(FIELDS), " ".join(extras)), wanted=self.wanted_fields)
        except APIError as exc:
            lacking = unknown_fields(exc)
            if TEMPLATES_FIELD in lacking:
                raise ModelError("Templates cannot be managed on this service: %s" % NO_TEMPLATE_READ, "unsupported")
            if CREDENTIALS_FIELD in lacking:
                raise ModelError(NO_CREDENTIALS, "unsupported")
            if SECRETS_FIELD not in lacking:
                raise
            self.run.warnings.append(NO_SECRETS % ", ".join(sorted(self.wanted.secret_names)))
            self.secrets_readable = False  # read again without them
            return self.read()
        myself = myself_of(data)
        self.credentials = myself.get(CREDENTIALS_FIELD) or [] if self.wanted and self.wanted.credential else None
        self.secrets = [x for x in myself.get(SECRETS_FIELD) or [] if x] if SECRETS_SELECTION in extras else None
        endpoints = myself.get("endpoints") or []
        # At the list's cap, endpoints beyond it are not read: a template's users may be more than those seen.
        self.users_complete = len(endpoints) < LIST_CAP
        self.endpoints = [e for e in endpoints if e and e.get("id") is not None]
        templates = [t for t in myself.get(TEMPLATES_FIELD) or [] if t and t.get("id") is not None]
        self.api = dict((t["id"], t) for t in templates)
        views = [template_from_api(t, self.users(t["id"])) for t in templates]
        # An error that echoes the input must not show values the task does not show itself.
        shown = self.wanted.env if self.wanted else WantedEnv(None, None)
        for view in views:
            self.run.secrets.extend(shown.unshown_values(view.get("env") or {}))
        return views

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
    the delete's wait through the service's recently-used window; the reads and saves are its gateway's.
    ``desired`` is the task's options; the variables it manages are the run's one ``wanted``."""

    kind = "template"
    create_needs = ("image_name", "container_disk_in_gb")

    def __init__(self, run, wanted=None):
        Resource.__init__(self, run)
        TemplateGateway.__init__(self, run, wanted)

    def find(self, name):
        return find_one(self.read(), "template", name=name, hint="rename or delete the others in the console")

    def changes(self, template, desired):
        return self.wanted.changes(template)

    def predict(self, template, desired):
        return self.wanted.apply(template)

    def update_action(self, view, desired):
        return "save template %r (%s): %s%s" % (view["name"], view["id"], ", ".join(self.changes(view, desired)), _roll_note(self.users(view["id"])))

    def plan(self, view, desired, state="present"):
        step = Resource.plan(self, view, desired, state)
        predicted = self.wanted.apply(view)
        if state == "present" and predicted.get("is_serverless") and (predicted.get("volume_in_gb") or 0) > 0:
            raise ModelError(
                "volume_in_gb must be 0 for a serverless template: template %r would have is_serverless true and "
                "volume_in_gb %d" % (self.wanted.name, predicted["volume_in_gb"]),
                "invalid_option",
            )
        return step

    def retire(self, outcome):
        """Delete the template of ``outcome``, refused while an endpoint uses it (check mode: counting
        the users an endpoints task before it predicts, ``endpoints_result``)."""
        template, params = outcome.before, self.run.params
        users = self.users(template["id"])
        if self.check_mode and params.get("endpoints_result") is not None:
            # The endpoints task before this one changed nothing in check mode: count the users it predicts.
            users = planned_users(template, users, params["endpoints_result"])
        in_use(template, users)
        if not self.check_mode:
            self.delete(template, params["wait_timeout"])
        self.actions.append("delete template %r (%s)" % (template["name"], template["id"]))

    def delete(self, template, wait_timeout):
        """Delete by name; a refusal in the service's "recently used" window is retried within ``wait_timeout``."""
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
                    "Could not delete template %r (%s): the service refused it (%s), and %s, so an endpoint "
                    "beyond them may use the template. Nothing was deleted: point such endpoints at another "
                    "template (by their id), then run again" % (name, template["id"], refusal, _incomplete_users()),
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
        them = "it" if len(users) == 1 else "them"
        label = "Template %r (%s)" % (template["name"], template["id"])
        advice = "Point %s at another template, or delete %s, first" % (them, them)
        raise in_use_error(label, [labelled("endpoint", e) for e in users], advice)


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
    return "; rolls the workers of %s" % ", ".join(labelled("endpoint", e) for e in users)


def _incomplete_users():
    return "the account's list of endpoints came back with %d endpoints, the most the API lists" % LIST_CAP


def references(templates, wanted):
    """Resolve the credential the task names, and refuse a value that refers to a secret the account
    does not have (check mode: warns; the same play may create it first), from the template read."""
    run = templates.run
    if wanted.credential is not None:
        resolved = CREDENTIAL_REFERENCE.resolve(run, [dict(container_registry_auth=wanted.credential)], [""], templates.credentials)[0]
        wanted.options["container_registry_auth_id"] = resolved["container_registry_auth_id"]
    missing = sorted(wanted.secret_names - set(x.get("name") for x in templates.secrets or [])) if templates.secrets is not None else []
    if missing:
        keys = sorted(k for k, v in wanted.env.values.items() if secret_references([v]) & set(missing))
        message = "%s refers to %s the account does not have: %s. Create %s first, for example with tensorone.cloud.tensorone_secret" % (
            ", ".join(keys),
            "a secret" if len(missing) == 1 else "secrets",
            ", ".join(repr(n) for n in missing),
            "it" if len(missing) == 1 else "them",
        )
        if not run.check_mode:
            raise ModelError("Template %r: %s" % (wanted.name, message), "not_found")
        run.warnings.append("Template %r: %s; a run fails unless %s by then" % (wanted.name, message, "it exists" if len(missing) == 1 else "they exist"))


def converge_template(run):
    """The work of tensorone_template."""
    params = run.params
    wanted = Wanted(params)
    # Secret values never show in a message, the API's own included (coercion errors echo the input).
    run.secrets.extend(value for value in (normalise_env(params.get("secret_env")) or {}).values() if value)
    run.warnings.extend(white_space_warnings(params))
    templates = Templates(run, wanted)
    template = templates.find(wanted.name)
    references(templates, wanted)
    step = templates.plan(template, wanted.options, params["state"])
    if step.action == "update" and not templates.users_complete:
        run.warnings.append("Template %r may roll the workers of more endpoints than the action names: %s" % (step.before["name"], _incomplete_users()))
    outcome = templates.carry_out(step)
    if outcome.after and isinstance(outcome.after.get("container_registry_auth_id"), PendingId):
        outcome.after["container_registry_auth_id"] = None  # check mode: a credential not created yet
    changed = outcome.changed and wanted.env.changed_keys((outcome.before or {}).get("env") or {})
    result = dict(changed=outcome.changed, template=public_view(outcome.after, wanted.env))
    if run.diff:
        changed_secrets = [k for k in changed or () if k in wanted.env.secret_keys]
        result["diff"] = dict(before=public_view(outcome.before, wanted.env) or {}, after=public_view(outcome.after, wanted.env, changed_secrets) or {})
    return result


def read_templates(run):
    """The work of tensorone_template_info: every template, or those with this id or name."""
    templates = Templates(run)
    found = listed(templates.read(), run.params.get("id"), run.params.get("name"))
    if not templates.users_complete:
        run.warnings.append("endpoint_ids may miss endpoints: %s" % _incomplete_users())
    items = [public_view(template, show_values=bool(run.params.get("include_env_values"))) for template in found]
    for item in items:
        del item["secret_env"]
    return dict(changed=False, templates=items)


# Templates name their registry credential; endpoints their template (read with the endpoints).
CREDENTIAL_REFERENCE = Reference(
    "registry credential", "container_registry_auth", "container_registry_auth_id", "template", "tensorone.cloud.tensorone_registry_auth"
)
TEMPLATE_REFERENCE = Reference("template", "template", "template_id", "endpoint", "tensorone.cloud.tensorone_template")
