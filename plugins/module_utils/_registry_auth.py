# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the tensorone.cloud collection: it may change
# at any time, without notice, and is not meant to be used by anything else.

"""The registry credential model: a username and password for a private image
registry, saved in the account under a unique name, which templates name by id
(their ``container_registry_auth_id``, resolved from ``container_registry_auth``, its name), built from the shapes of ``_resource``.

What is particular to credentials: the username and password are write-only
(no field of the API returns them), so they are never compared. They are sent
on create, and with ``update_password: always`` on every run (a rotation: the
API's update takes both). The update cannot rename. A delete is refused while
a template names the credential: the service would silently drop the
template's reference, and the template's workers would then fail to pull
their image.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import (
    CHANGED_MASK,
    MASK,
    Field,
    ModelError,
    Resource,
    Selection,
    desired_from,
    diff_view,
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
from ansible_collections.tensorone.cloud.plugins.module_utils._template import CREDENTIALS_FIELD, CREDENTIALS_SELECTION, TEMPLATES_FIELD
from ansible_collections.tensorone.cloud.plugins.module_utils._template import FIELD_OF as TEMPLATE_FIELD_OF

# The options, and the input fields they are sent as. The name is the identity (the API's update
# has no name: there is no rename); the username and password are write-only.
FIELDS = (
    Field("name", "name", create_only=True),
    Field("username", "username"),
    Field("password", "password"),
)
WRITE_ONLY = ("username", "password")

# The templates that name a credential, read in the same request. A service may lack them: the
# credentials are still readable then, but a delete cannot be checked.
TEMPLATE_AUTH_ID = TEMPLATE_FIELD_OF["container_registry_auth_id"].api
TEMPLATE_USES = Field(None, TEMPLATES_FIELD, read="%s { id name %s }" % (TEMPLATES_FIELD, TEMPLATE_AUTH_ID))
TEMPLATE_AUTH_FIELD = Field(None, TEMPLATE_AUTH_ID)

# The account's credentials, id and name only, as templates read them to resolve a credential's name.
# Never select registryAuth: its content is undocumented and may encode the credential.
READ_QUERY = "query TensorOneRegistryAuths { myself { " + CREDENTIALS_SELECTION + " %s } }"
CREATE_MUTATION = "mutation TensorOneSaveRegistryAuth($input: SaveRegistryAuthInput!) { saveRegistryAuth(input: $input) { id name } }"
UPDATE_MUTATION = "mutation TensorOneUpdateRegistryAuth($input: UpdateRegistryAuthInput!) { updateRegistryAuth(input: $input) { id name } }"
# deleteRegistryAuth returns a scalar: no selection set.
DELETE_MUTATION = "mutation TensorOneDeleteRegistryAuth($id: String!) { deleteRegistryAuth(registryAuthId: $id) }"

UNSUPPORTED = "The service does not support registry credentials (its API has no myself.%s field)" % CREDENTIALS_FIELD
NO_TEMPLATE_READ = "the service has no template read (its API has no myself.%s { %s } field)" % (TEMPLATES_FIELD, TEMPLATE_AUTH_ID)


def registry_auth_argument_spec():
    """The options of tensorone_registry_auth."""
    spec = dict((field.option, field.argument_spec()) for field in FIELDS)
    spec["name"]["required"] = True
    for option in WRITE_ONLY:
        spec[option]["no_log"] = True
    spec.update(
        # no_log=False: not a secret, whatever Ansible guesses from "password" in its name.
        update_password=dict(type="str", default="on_create", choices=["on_create", "always"], no_log=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    return spec


def validate_registry_auth(params):
    """Messages, each naming its option, for values the collection refuses before any request."""
    name = params.get("name")
    if not (name or "").strip():
        errors = ["name must not be empty"]
    elif name != name.strip():
        errors = ["name must not start or end with white space (a padded name cannot be referenced reliably): %r" % name]
    else:
        errors = []
    errors.extend(value_errors(params, not_blank=WRITE_ONLY))
    if params.get("state") == "present" and params.get("update_password") == "always":
        missing = [option for option in WRITE_ONLY if params.get(option) is None]
        if missing:
            errors.append("update_password=always sends the username and password on every run (the API's update takes both): set %s" % " and ".join(missing))
    return errors


def validate_info(params):
    """tensorone_registry_auth_info: an empty id or name is refused (it would silently list nothing)."""
    return value_errors(params, not_blank=("id", "name"))


def public_view(view, sent=False):
    """A credential as a diff shows it: its id, name and templates, the write-only values masked
    (``sent``: as changed, this run sent them). {} for none."""
    if not view:
        return {}
    shown = diff_view(view, ("name", "template_ids"))
    shown.update((option, CHANGED_MASK if sent else MASK) for option in WRITE_ONLY)
    return shown


class RegistryAuthGateway:
    """The API's side of the registry credentials of one module run: the only place that sends their
    GraphQL documents and reads or writes the API's spelling. One read costs one request: the
    credentials (id, name), and the templates (id, name, credential) that name them. ``sent`` holds
    the ids this run sent a username and password to (create or update)."""

    def __init__(self, run):
        self.run = run
        self.client = run.client
        self.selection = Selection((TEMPLATE_USES, TEMPLATE_AUTH_FIELD))
        self.templates = []
        self.sent = set()

    @property
    def templates_known(self):
        return self.selection.has(TEMPLATE_USES) and self.selection.has(TEMPLATE_AUTH_FIELD)

    def read(self):
        """[{id, name, template_ids}] of every credential of the account (null items skipped); one request
        (two on a service without the templates' read, the first time: it learns that)."""

        def document(selection):
            return READ_QUERY % (TEMPLATE_USES.selection if selection.has(TEMPLATE_USES) and selection.has(TEMPLATE_AUTH_FIELD) else "")

        try:
            data = self.selection.execute(self.client, document)
        except APIError as exc:
            if CREDENTIALS_FIELD in unknown_fields(exc):
                raise ModelError(UNSUPPORTED, "unsupported") from None
            raise
        myself = myself_of(data)
        if self.templates_known:
            self.templates = [t for t in myself.get(TEMPLATES_FIELD) or [] if t and t.get("id") is not None]
        credentials = [c for c in myself.get(CREDENTIALS_FIELD) or [] if c and c.get("id") is not None]
        return [self.view_of(c) for c in credentials]

    def view_of(self, api_credential):
        users = self.users(api_credential.get("id"))
        return dict(id=api_credential.get("id"), name=api_credential.get("name"), template_ids=None if users is None else [t["id"] for t in users])

    def users(self, auth_id):
        """The templates (as read) that name the credential ``auth_id``; None when the service has no template read."""
        if not self.templates_known:
            return None
        return [t for t in self.templates if t.get(TEMPLATE_AUTH_ID) == auth_id]

    def send_create(self, desired):
        """saveRegistryAuth; a lost response is looked up by name, never sent twice."""
        reply = self.client.execute(CREATE_MUTATION, {"input": full_input(FIELDS, None, desired)}, retry_safe=False, applied=self.lookup(desired["name"]))
        created = recovered(reply, lambda data: self.view_of(data.get("saveRegistryAuth") or {}))
        self.sent.add(created["id"])
        return created

    def send_update(self, view, desired):
        """updateRegistryAuth: the username and password again, under the same id (a rotation). Sending the
        same credentials twice is harmless, so a lost response is retried like a read."""
        try:
            data = self.client.execute(UPDATE_MUTATION, {"input": full_input(FIELDS, {"id": view["id"]}, desired)})
        except APIError as exc:
            if exc.kind == "graphql" and not self.exists(view["id"]):
                raise self.gone(view) from None
            raise
        self.sent.add(view["id"])
        saved = data.get("updateRegistryAuth") or {}
        return dict(view, id=saved.get("id") or view["id"], name=saved.get("name") or view["name"])

    def send_delete(self, view):
        """deleteRegistryAuth; a lost response, or a refusal because the credential is gone meanwhile, is looked up."""

        def applied():
            return None if self.exists(view["id"]) else True

        try:
            self.client.execute(DELETE_MUTATION, {"id": view["id"]}, retry_safe=False, applied=applied)
        except APIError as exc:
            if exc.kind != "graphql" or not applied():
                raise

    def exists(self, auth_id):
        return any(c["id"] == auth_id for c in self.read())


class RegistryAuths(RegistryAuthGateway, Resource):
    """One credential's change in one module run: the resource base's flows, with write-only values
    that are never compared (``rotate``: sent on every run, update_password=always) and the in-use
    refusal of a delete; the reads and saves are its gateway's."""

    kind = "registry credential"
    create_needs = WRITE_ONLY

    def __init__(self, run, rotate=False):
        Resource.__init__(self, run)
        RegistryAuthGateway.__init__(self, run)
        self.rotate = rotate

    def find(self, name):
        return find_one(self.read(), self.kind, name=name, hint="rename or delete the others in the console")

    def changes(self, view, desired):
        """Nothing can be compared: with ``rotate``, the username and password are sent once per run, to a
        credential this run has not sent them to yet (so no save reports them as not applied)."""
        return list(WRITE_ONLY) if self.rotate and view.get("id") not in self.sent else []

    def predict(self, view, desired):
        return dict(view) if view else dict(id=None, name=desired["name"], template_ids=[] if self.templates_known else None)

    def update_action(self, view, desired):
        return "rotate %s: send username and password" % self.label(view)

    def retire(self, outcome):
        """Delete the credential of ``outcome``, refused while a template names it (the service would silently
        drop the reference), and refused when the templates cannot be read (never deleted blind)."""
        view = outcome.before
        users = self.users(view["id"])
        if users is None:
            raise ModelError(
                "%s was not deleted: %s, so this run cannot check that no template names it, and the service would "
                "silently drop such a template's reference (its workers would then fail to pull their image). Check its "
                "templates and delete it in the console" % (labelled(self.kind.capitalize(), view), NO_TEMPLATE_READ),
                "unsupported",
            )
        if users:
            them, their = ("the template", "its") if len(users) == 1 else ("the templates", "their")
            raise in_use_error(
                labelled(self.kind.capitalize(), view),
                [labelled("template", t) for t in users],
                "Point %s at another credential (container_registry_auth) or delete %s first: the service would delete "
                "the credential, silently drop the reference, and %s workers would then fail to pull the image" % (them, them, their),
            )
        if not self.check_mode:
            self.send_delete(view)
        self.actions.append("delete %s" % self.label(view))


def converge_registry_auth(run):
    """The work of tensorone_registry_auth."""
    params = run.params
    # The values never show in a message, the API's own included (some errors echo the input).
    run.secrets.extend(params[option] for option in WRITE_ONLY if params.get(option))
    run.warnings.extend(short_value_warnings(params, WRITE_ONLY))
    auths = RegistryAuths(run, rotate=params["update_password"] == "always")
    step = auths.plan(auths.find(params["name"]), desired_from(params, FIELDS), params["state"])
    if params["state"] == "present" and not auths.templates_known:
        run.warnings.append("template_ids is unknown (null): %s" % NO_TEMPLATE_READ)
    outcome = auths.carry_out(step)
    given = [option for option in WRITE_ONLY if params.get(option) is not None]
    if params["state"] == "present" and outcome.before and given and not auths.rotate:
        run.warnings.append(
            "%s exists: its %s %s not compared (the API never returns them) and not sent; set update_password: always "
            "to send them on every run" % (labelled(auths.kind.capitalize(), outcome.before), " and ".join(given), "were" if len(given) > 1 else "was")
        )
    result = dict(changed=outcome.changed, registry_auth=outcome.after)
    if run.diff:
        result["diff"] = dict(before=public_view(outcome.before), after=public_view(outcome.after, sent=outcome.action in ("create", "update")))
    return result


def read_registry_auths(run):
    """The work of tensorone_registry_auth_info: every credential, or those with this id or name."""
    auths = RegistryAuths(run)
    found = listed(auths.read(), run.params.get("id"), run.params.get("name"))
    if not auths.templates_known:
        run.warnings.append("template_ids is unknown (null): %s" % NO_TEMPLATE_READ)
    return dict(changed=False, registry_auths=found)
