# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the tensorone.cloud collection: it may change
# at any time, without notice, and is not meant to be used by anything else.

"""The secret model: a named value that workers read through an environment
value referring to it, built from the shapes of ``_resource``.

What is particular to secrets: the value is write-only (no read returns it),
so it cannot be compared; ``update_value`` says whether it is sent on create
only or on every run, and a run reports no value difference for a secret it
has sent the value to (``sent``). The value and the description change through
two separate mutations. The name is the identity (no rename). A delete is
refused while a template's or an endpoint's environment refers to the secret,
which costs a second read, on a delete only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections import OrderedDict

from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError
from ansible_collections.tensorone.cloud.plugins.module_utils._env import CHANGED_MASK, secret_references
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import (
    LIST_CAP,
    MASK,
    Field,
    ModelError,
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
    recovered,
    short_value_warnings,
    unknown_fields,
    value_errors,
)
from ansible_collections.tensorone.cloud.plugins.module_utils._template import TEMPLATES_FIELD

# Every field of a secret the collection reads; there is no value field.
FIELDS = (
    Field("name", "name"),
    Field("description", "description", "none"),
    Field("created_at", "createdAt"),
    Field("updated_at", "updatedAt"),
)
# The options a task compares (the value cannot be: it is write-only).
OPTION_FIELDS = FIELDS[:2]
COMPARED = tuple(f.option for f in OPTION_FIELDS)
FIELD_OF = dict((f.option, f) for f in FIELDS)
# The keys of every returned secret, in this order.
VIEW_KEYS = ("id",) + tuple(f.option for f in FIELDS)

SECRETS_FIELD = "secrets"
LIST_QUERY = "query TensorOneSecrets { myself { " + SECRETS_FIELD + " { id %s } } }"
CREATE_MUTATION = "mutation TensorOneCreateSecret($input: SecretCreateInput!) { secretCreate(input: $input) { id %s } }"
VALUE_MUTATION = "mutation TensorOneUpdateSecretValue($input: SecretValueUpdateInput!) { secretValueUpdate(input: $input) { id %s } }"
DESCRIPTION_MUTATION = "mutation TensorOneUpdateSecretDescription($input: SecretDescriptionUpdateInput!) { secretDescriptionUpdate(input: $input) { id %s } }"
# The argument is an ID!: a String! variable fails the service's validation.
DELETE_MUTATION = "mutation TensorOneDeleteSecret($id: ID!) { secretDelete(id: $id) }"
# What a delete reads to find the environments that refer to the secret.
REFERENCES_QUERY = (
    "query TensorOneSecretReferences { myself { " + TEMPLATES_FIELD + " { id name env { key value } } endpoints { id name env { key value } } } }"
)
# What the reference read needs, by the name a service lacking it gives in its validation error.
REFERENCE_SOURCES = OrderedDict(
    [
        (TEMPLATES_FIELD, "no template read (myself.%s)" % TEMPLATES_FIELD),
        ("env", "no environment (env) of endpoints or templates"),
        ("endpoints", "no endpoint list (myself.endpoints)"),
    ]
)
NO_SECRETS = "Secrets cannot be managed on this service: the service does not support secrets (its API has no myself.%s field)" % SECRETS_FIELD

# The characters a reference such as {{ TENSORONE_SECRET_<name> }} is known to match.
REFERABLE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def secret_argument_spec():
    return dict(
        name=dict(type="str", required=True),
        value=dict(type="str", no_log=True),
        description=dict(type="str"),
        update_value=dict(type="str", default="on_create", choices=["on_create", "always"], no_log=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )


def secret_from_api(api_secret):
    """The model's view of an API secret: option names, normalised values."""
    secret = {"id": api_secret.get("id")}
    secret.update((field.option, field.view(api_secret.get(field.api))) for field in FIELDS)
    return secret


def desired_of(params):
    """The options a task sets (the value included, to create or rotate with; it is never compared)."""
    desired = desired_from(params, OPTION_FIELDS)
    if params.get("value") is not None:
        desired["value"] = params["value"]
    return desired


def diff_of(secret, value_sent=False):
    """A secret as the diff shows it: its fields and a marker for the value ({} when there is none)."""
    if not secret:
        return {}
    return dict(secret, value=CHANGED_MASK if value_sent else MASK)


# --- validation --------------------------------------------------------------


def validate_secret(params):
    """Messages, each naming its option, for values the API would refuse or the collection cannot use."""
    name, value = params.get("name") or "", params.get("value")
    errors = []
    if not name.strip():
        errors.append("name must not be empty")
    elif name != name.strip():
        errors.append("name %r starts or ends with white space: an environment value could not refer to the secret reliably" % name)
    errors.extend(value_errors(params, not_blank=("value",)))
    if value is None and params.get("state") == "present" and params.get("update_value") == "always":
        errors.append("value is required with update_value=always (it is sent on every run)")
    return errors


def secret_warnings(params):
    """Warnings, before any request, for a name a reference may not match and a value too short to mask."""
    warnings = []
    name = params.get("name") or ""
    if name.strip() and not REFERABLE_NAME.match(name):
        warnings.append(
            "The secret's name %r has characters other than letters, digits, _ and -: a reference "
            "{{ TENSORONE_SECRET_<name> }} in an environment value may not match it" % name
        )
    if params.get("state") == "present":
        warnings.extend(short_value_warnings(params, ("value",)))
    return warnings


def validate_info(params):
    """tensorone_secret_info: an empty id or name is refused (it would silently list nothing)."""
    return value_errors(params, not_blank=("id", "name"))


# --- reading and carrying out ------------------------------------------------


class SecretGateway:
    """The API's side of the secrets of one module run: the only place that sends their GraphQL
    documents and reads or writes the API's spelling. A read costs one request: every secret of the
    account. ``wanted`` are the fields of the options the task sets (the service must have them)."""

    def __init__(self, run, wanted=()):
        self.run = run
        self.client = run.client
        self.selection = Selection(FIELDS)
        self.wanted_fields = wanted

    def read(self):
        """[model view] of every secret of the account; one request."""
        try:
            data = self.selection.execute(self.client, lambda sel: LIST_QUERY % sel.select(FIELDS), wanted=self.wanted_fields)
        except APIError as exc:
            if SECRETS_FIELD in unknown_fields(exc):
                raise ModelError(NO_SECRETS, "unsupported")
            raise
        return [secret_from_api(s) for s in myself_of(data).get(SECRETS_FIELD) or [] if s and s.get("id") is not None]

    def exists(self, secret_id):
        """Whether a fresh read still has the secret with this id."""
        return any(s["id"] == secret_id for s in self.read())

    def _mutate(self, document, field, api_input, **options):
        data = self.selection.execute(self.client, lambda sel: document % sel.select(FIELDS), {"input": api_input}, wanted=self.wanted_fields, **options)
        return recovered(data, lambda reply: secret_from_api(reply[field] or {}))

    def send_create(self, desired):
        """Create; a lost response is looked up by name (``Resource.lookup``), never sent again blindly."""
        api_input = dict(full_input(OPTION_FIELDS, None, desired, self.selection), value=desired["value"])
        return self._mutate(CREATE_MUTATION, "secretCreate", api_input, retry_safe=False, applied=self.lookup(desired["name"]))

    def send_value(self, secret, value):
        """Replace the value (sent again after a lost response: the same value twice leaves the same secret)."""
        return self._updated(secret, VALUE_MUTATION, "secretValueUpdate", {"id": secret["id"], "value": value})

    def send_description(self, secret, description):
        """Set the description; None clears it, sent as "" (the input cannot be null)."""
        return self._updated(secret, DESCRIPTION_MUTATION, "secretDescriptionUpdate", {"id": secret["id"], "description": description or ""})

    def _updated(self, secret, document, field, api_input):
        try:
            return self._mutate(document, field, api_input)
        except APIError as exc:
            if exc.kind == "graphql" and not self.exists(secret["id"]):
                raise self.gone(secret)
            raise

    def send_delete(self, secret):
        """Delete by id; a refusal because it is gone already (a resent delete whose first response was lost,
        someone else's delete) is what the delete wants."""
        try:
            self.client.execute(DELETE_MUTATION, {"id": secret["id"]})
        except APIError as exc:
            if exc.kind != "graphql" or self.exists(secret["id"]):
                raise

    def references(self, secret):
        """(labels of the templates and endpoints whose environment refers to ``secret``, whether the
        endpoints were all listed); one request. Every value read is masked in messages at once."""
        try:
            data = self.client.execute(REFERENCES_QUERY)
        except APIError as exc:
            lacking = unknown_fields(exc)
            if not lacking or not lacking <= set(REFERENCE_SOURCES):
                raise
            raise ModelError(
                "%s was not deleted: the service has %s, so whether an environment refers to the secret cannot be checked"
                % (labelled("Secret", secret), " and ".join(what for name, what in REFERENCE_SOURCES.items() if name in lacking)),
                "unsupported",
            )
        myself = myself_of(data)
        endpoints = myself.get("endpoints") or []
        users = []
        for kind, items in (("template", myself.get(TEMPLATES_FIELD) or []), ("endpoint", endpoints)):
            for item in items:
                values = [v.get("value") for v in (item or {}).get("env") or [] if v]
                self.run.secrets.extend(v for v in values if isinstance(v, str) and v)
                if secret["name"] in secret_references(values):
                    users.append(labelled(kind, item))
        return users, len(endpoints) < LIST_CAP


class Secrets(SecretGateway, Resource):
    """One secret's change in one module run: the resource base's flows, the write-only value, the two
    updates and the in-use refusal; the reads and mutations are its gateway's."""

    kind = "secret"
    create_needs = ("value",)

    def __init__(self, run):
        params = run.params
        Resource.__init__(self, run)
        SecretGateway.__init__(self, run, tuple(FIELD_OF[o] for o in COMPARED if o != "name" and params.get(o) is not None))
        self.always = params.get("update_value") == "always"
        # The secrets this run sent the value to: their value is the task's, nothing to compare.
        self.sent = set()

    def find(self, name):
        return find_one(self.read(), "secret", name=name, hint="delete the others in the console")

    def rotates(self, secret, desired):
        """Whether the value is to be sent to ``secret`` (update_value=always, not sent yet)."""
        return self.always and "value" in desired and secret.get("id") not in self.sent

    def changes(self, secret, desired):
        compared = dict((option, desired[option]) for option in COMPARED if option in desired)
        return sorted(differences(secret, compared)) + (["value"] if self.rotates(secret, desired) else [])

    def predict(self, secret, desired):
        predicted = dict(secret) if secret else dict((key, None) for key in VIEW_KEYS)
        predicted.update((option, desired[option]) for option in COMPARED if option in desired)
        return predicted

    def send_create(self, desired):
        created = SecretGateway.send_create(self, desired)
        self.sent.add(created["id"])
        return created

    def send_update(self, secret, desired):
        """The description, then the value: two mutations when both change."""
        saved = secret
        changes = self.changes(secret, desired)
        if "description" in changes:
            saved = self.send_description(secret, desired["description"])
        if "value" in changes:
            try:
                saved = self.send_value(secret, desired["value"])
            except (APIError, ModelError):
                if "description" in changes:
                    self.actions.append("update %s: description" % self.label(secret))
                raise
            self.sent.add(secret["id"])
        return saved

    def retire(self, outcome):
        """Delete the secret of ``outcome``, refused while an environment refers to it or while the
        endpoints are not all known (check mode reads too, and predicts the same refusal)."""
        secret = outcome.before
        users, complete = self.references(secret)
        label = labelled("Secret", secret)
        if users:
            raise in_use_error(label, users, "Remove the references to it from their environment variables first")
        if not complete:
            raise ModelError(
                "%s was not deleted: the account's list of endpoints came back with %d endpoints, the most the API lists, "
                "so an endpoint beyond them may refer to the secret in its environment. Check those endpoints by hand" % (label, LIST_CAP),
                "list_incomplete",
            )
        if not self.check_mode:
            self.send_delete(secret)
        self.actions.append("delete %s" % self.label(secret))


def converge_secret(run):
    """The work of tensorone_secret."""
    params = run.params
    if params.get("value"):
        run.secrets.append(params["value"])
    run.warnings.extend(secret_warnings(params))
    desired = desired_of(params)
    secrets = Secrets(run)
    outcome = secrets.carry_out(secrets.plan(secrets.find(params["name"]), desired, params["state"]))
    value_sent = outcome.action == "create" or (outcome.action == "update" and secrets.always and "value" in desired)
    if params["state"] == "present" and "value" in desired and not value_sent:
        run.warnings.append(
            "%s exists: value was neither compared (the API never returns a secret's value) nor sent; "
            "set update_value=always to send it on every run" % labelled("Secret", outcome.before)
        )
    result = dict(changed=outcome.changed, secret=outcome.after)
    if run.diff:
        result["diff"] = dict(before=diff_of(outcome.before), after=diff_of(outcome.after, value_sent))
    return result


def read_secrets(run):
    """The work of tensorone_secret_info: every secret, or those with this id or name."""
    return dict(changed=False, secrets=listed(Secrets(run).read(), run.params.get("id"), run.params.get("name")))
