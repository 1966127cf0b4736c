# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the tensorone.cloud collection: it may change
# at any time, without notice, and is not meant to be used by anything else.

"""The Serverless Endpoint model: field mapping, normalisation, comparison,
GraphQL documents, and the steps that converge one endpoint."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError

# (module option, GraphQL field, kind). kind says how values normalise:
#   str  - compared as given
#   int  - integers
#   csv  - a comma-separated string in the API, a list in the module; order kept
#   none - an optional string where "" and null both mean "none"
FIELDS = (
    ("name", "name", "str"),
    ("template_id", "templateId", "str"),
    ("gpu_ids", "gpuIds", "csv"),
    ("idle_timeout", "idleTimeout", "int"),
    ("locations", "locations", "csv"),
    ("network_volume_id", "networkVolumeId", "none"),
    ("scaler_type", "scalerType", "str"),
    ("scaler_value", "scalerValue", "int"),
    ("workers_min", "workersMin", "int"),
    ("workers_max", "workersMax", "int"),
)
OPTIONS = tuple(option for option, _field, _kind in FIELDS)
KINDS = dict((option, kind) for option, _field, kind in FIELDS)
REQUIRED_ON_CREATE = ("name", "template_id", "gpu_ids")
SCALER_TYPES = ("QUEUE_DELAY", "REQUEST_COUNT")
# Worker states that no longer hold the endpoint back from deletion.
STOPPED_WORKER_STATES = ("EXITED", "TERMINATED")

ENDPOINT_SELECTION = ("id name templateId gpuIds idleTimeout locations networkVolumeId "
                      "scalerType scalerValue workersMin workersMax clusters { id desiredStatus }")
LIST_QUERY = "query TensorOneEndpoints { myself { endpoints { %s } } }" % ENDPOINT_SELECTION
LIST_WITH_DISCOUNT_QUERY = ("query TensorOneEndpointsInfo { myself { endpoints { %s } "
                            "serverlessDiscount { discountFactor type expirationDate } } }" % ENDPOINT_SELECTION)
SAVE_MUTATION = "mutation TensorOneSaveEndpoint($input: EndpointInput!) { saveEndpoint(input: $input) { %s } }" % ENDPOINT_SELECTION
DELETE_MUTATION = "mutation TensorOneDeleteEndpoint($id: String!) { deleteEndpoint(id: $id) }"


def endpoint_argument_spec():
    """Module options that describe one endpoint (shared by the single and fleet modules)."""
    return dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        id=dict(type="str"),
        name=dict(type="str"),
        template_id=dict(type="str"),
        gpu_ids=dict(type="list", elements="str"),
        idle_timeout=dict(type="int"),
        locations=dict(type="list", elements="str"),
        network_volume_id=dict(type="str"),
        scaler_type=dict(type="str", choices=list(SCALER_TYPES)),
        scaler_value=dict(type="int"),
        workers_min=dict(type="int"),
        workers_max=dict(type="int"),
    )


# --- normalisation and comparison -------------------------------------------

def split_csv(value):
    """A list of stripped, non-empty tokens, order kept, from a list or a comma string."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    tokens = []
    for item in items:
        tokens.extend(token.strip() for token in str(item).split(","))
    return [token for token in tokens if token]


def normalise(option, value):
    """The canonical form of a value of ``option``; equal forms mean equal settings."""
    kind = KINDS[option]
    if kind == "csv":
        return split_csv(value)
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if kind == "none":
        return value or None
    return value


def endpoint_from_api(api_endpoint):
    """The module's view of an API endpoint: option names, normalised values, and its workers."""
    endpoint = {"id": api_endpoint.get("id")}
    for option, field, _kind in FIELDS:
        endpoint[option] = normalise(option, api_endpoint.get(field))
    endpoint["workers"] = [
        {"id": cluster.get("id"), "desired_status": cluster.get("desiredStatus")}
        for cluster in (api_endpoint.get("clusters") or [])
    ]
    return endpoint


def desired_from_params(params):
    """The options the user set, normalised. Unset options are absent, never defaulted."""
    return dict((option, normalise(option, params.get(option)))
                for option in OPTIONS if params.get(option) is not None)


def differences(endpoint, desired):
    """``{option: (current, desired)}`` for every desired option that differs."""
    return dict((option, (endpoint.get(option), value))
                for option, value in desired.items() if endpoint.get(option) != value)


def apply_desired(endpoint, desired):
    """The endpoint as it will be once ``desired`` is applied (None: a new one)."""
    predicted = dict((option, None) for option in OPTIONS)
    predicted.update({"id": None, "workers": []})
    if endpoint:
        predicted.update(endpoint)
    predicted.update(desired)
    if predicted["locations"] is None:
        predicted["locations"] = []
    return predicted


def build_input(endpoint, desired):
    """The full EndpointInput for a create (endpoint None) or an update.

    An update REPLACES the endpoint: the API resets any omitted field to its
    default, so every field is sent, the current value where the user set none.
    """
    values = apply_desired(endpoint, desired)
    api_input = {}
    if endpoint:
        api_input["id"] = endpoint["id"]
    for option, field, kind in FIELDS:
        value = values.get(option)
        if kind == "csv":
            value = ",".join(value) if value else None
        if value is None and not endpoint:
            continue  # a create leaves unset fields to the service's defaults
        api_input[field] = value
    return api_input


def diff_view(endpoint):
    """The managed fields of an endpoint, for diff output ({} when there is none)."""
    if not endpoint:
        return {}
    view = dict((option, endpoint.get(option)) for option in OPTIONS)
    view["id"] = endpoint.get("id")
    return view


def running_workers(endpoint):
    return [w for w in endpoint.get("workers") or [] if w.get("desired_status") not in STOPPED_WORKER_STATES]


# --- validation before any API call ----------------------------------------

def validate_params(params):
    """Messages, each naming its option, for values the API would refuse."""
    errors = []
    name = params.get("name")
    if name is not None and not 3 <= len(name) <= 191:
        errors.append("name must be 3 to 191 characters long, got %d" % len(name))
    for option in ("gpu_ids", "locations"):
        items = params.get(option)
        if items is None:
            continue
        if option == "gpu_ids" and not items:
            errors.append("gpu_ids must list at least one GPU pool id")
        if any(not token.strip() for item in items for token in str(item).split(",")):
            errors.append("%s must not contain empty items, got %r" % (option, items))
    ranges = (("idle_timeout", 1, 3600), ("scaler_value", 1, None), ("workers_min", 0, None),
              ("workers_max", 0, None), ("wait_timeout", 0, None))
    for option, low, high in ranges:
        value = params.get(option)
        if value is None:
            continue
        if value < low or (high is not None and value > high):
            limit = "between %d and %d" % (low, high) if high is not None else "at least %d" % low
            errors.append("%s must be %s, got %d" % (option, limit, value))
    if params.get("template_id") is not None and not params["template_id"].strip():
        errors.append("template_id must not be empty")
    errors.extend(validate_workers(params.get("workers_min"), params.get("workers_max")))
    return errors


def validate_workers(workers_min, workers_max, current=None):
    """workers_min may not exceed workers_max; an unset one is taken from ``current``."""
    if current:
        workers_min = current.get("workers_min") if workers_min is None else workers_min
        workers_max = current.get("workers_max") if workers_max is None else workers_max
    if workers_min is None or workers_max is None or workers_min <= workers_max:
        return []
    source = " (with the endpoint's current values)" if current else ""
    return ["workers_min (%d) must not exceed workers_max (%d)%s" % (workers_min, workers_max, source)]


# --- talking to the API --------------------------------------------------------

class ModelError(Exception):
    """A request that cannot be carried out as asked (not an API failure)."""


class Step:
    """One endpoint's planned change: action is create, update, delete or none."""

    def __init__(self, action, before, desired=None):
        self.action = action
        self.before = before
        self.desired = desired or {}
        self.after = before if action == "none" else None

    @property
    def changed(self):
        return self.action != "none"


def plan_endpoint(api_endpoints, params):
    """The Step that brings the endpoint ``params`` describe to ``params["state"]``.

    ``params`` are one endpoint's options; ``api_endpoints`` the account's endpoints as read.
    """
    desired = desired_from_params(params)
    current = find_endpoint(api_endpoints, params.get("id"), params.get("name"))
    if params.get("state", "present") == "absent":
        return Step("delete" if current else "none", current)
    if current is None:
        if params.get("id") is not None:
            raise ModelError("No endpoint with id %r exists; id only selects an existing endpoint "
                             "(leave it out to create one by name)" % params["id"])
        missing = [option for option in REQUIRED_ON_CREATE if option not in desired]
        if missing:
            raise ModelError("Endpoint %r does not exist; creating it needs %s" % (params.get("name"), ", ".join(missing)))
        return Step("create", None, desired)
    errors = validate_workers(desired.get("workers_min"), desired.get("workers_max"), current)
    if errors:
        raise ModelError("%s: %s" % (current["name"], "; ".join(errors)))
    return Step("update" if differences(current, desired) else "none", current, desired)


def validate_fleet(params):
    """validate_params for every item of a fleet, each message naming its item; names must be unique."""
    errors = []
    seen = set()
    for index, item in enumerate(params["endpoints"]):
        where = "endpoints[%d] (%s)" % (index, item["name"])
        errors.extend("%s: %s" % (where, error) for error in validate_params(item))
        if item["name"] in seen:
            errors.append("%s: the name appears more than once in endpoints" % where)
        seen.add(item["name"])
    if params.get("wait_timeout") is not None and params["wait_timeout"] < 0:
        errors.append("wait_timeout must be at least 0, got %d" % params["wait_timeout"])
    return errors


def plan_fleet(api_endpoints, params):
    """A Step per declared endpoint, in order, then a delete per pruned one."""
    steps = [plan_endpoint(api_endpoints, item) for item in params["endpoints"]]
    if params.get("prune"):
        declared_ids = set(step.before["id"] for step in steps if step.before)
        declared_names = set(item["name"] for item in params["endpoints"])
        prefix = params.get("prune_prefix") or ""
        steps.extend(Step("delete", endpoint_from_api(e)) for e in api_endpoints
                     if e.get("id") not in declared_ids and e.get("name") not in declared_names
                     and (e.get("name") or "").startswith(prefix))
    return steps


class Endpoints:
    """Reads endpoints and applies planned Steps through a transport client, honouring check mode."""

    def __init__(self, client, check_mode=False, sleep=time.sleep, clock=time.monotonic):
        self.client = client
        self.check_mode = check_mode
        self.sleep = sleep
        self.clock = clock
        self.actions = []
        self.warnings = []

    def list(self, with_discount=False):
        """All endpoints of the account (API dicts), and the discount when asked: one request."""
        data = self.client.execute(LIST_WITH_DISCOUNT_QUERY if with_discount else LIST_QUERY)
        myself = _myself(data)
        return myself.get("endpoints") or [], myself.get("serverlessDiscount")

    def apply(self, steps, wait_timeout):
        """Carry out the steps: creates and updates in order, then all deletes together."""
        for step in steps:
            if step.action == "create":
                self._create(step)
            elif step.action == "update":
                step.after = self.update(step.before, step.desired)
        self.delete([step.before for step in steps if step.action == "delete"], wait_timeout)

    def _create(self, step):
        try:
            step.after = self.create(step.desired)
            if differences(step.after, step.desired) and not self.check_mode:
                # After a lost response the name lookup may find another run's endpoint: converge it too.
                step.after = self.update(step.after, step.desired)
        except APIError as exc:
            # A refused create may mean another run created the name since our read
            # (names are unique): then converge that endpoint instead of failing.
            taken = exc.kind == "graphql" and find_endpoint(self.list()[0], name=step.desired["name"])
            if not taken:
                raise
            step.before = taken
            step.action = "update" if differences(taken, step.desired) else "none"
            step.after = self.update(taken, step.desired) if step.action == "update" else taken

    def create(self, desired):
        if self.check_mode:
            self.actions.append("create endpoint %r" % desired["name"])
            return apply_desired(None, desired)

        def created_meanwhile():
            # The create may have been applied before its response was lost.
            matches = [e for e in self.list()[0] if e.get("name") == desired["name"]]
            return {"saveEndpoint": matches[0]} if len(matches) == 1 else None

        data = self.client.execute(SAVE_MUTATION, {"input": build_input(None, desired)},
                                   retry_safe=False, recover=created_meanwhile)
        self.actions.append("create endpoint %r" % desired["name"])
        return endpoint_from_api(data["saveEndpoint"])

    def update(self, endpoint, desired, action=None):
        action = action or "update endpoint %r (%s): %s" % (
            endpoint["name"], endpoint["id"], ", ".join(sorted(differences(endpoint, desired))))
        if self.check_mode:
            self.actions.append(action)
            return apply_desired(endpoint, desired)
        data = self.client.execute(SAVE_MUTATION, {"input": build_input(endpoint, desired)})
        self.actions.append(action)
        updated = endpoint_from_api(data["saveEndpoint"])
        not_applied = differences(updated, desired)
        if not_applied:
            self.warnings.append("The API did not apply %s to endpoint %r; the next run will try again"
                                 % (", ".join(sorted(not_applied)), updated["name"]))
        return updated

    def delete(self, endpoints, wait_timeout):
        """Delete endpoints as the API requires: scale all to 0, wait for every drain
        together within ``wait_timeout``, delete each as soon as it is idle.
        One already gone counts as deleted."""
        deadline = self.clock() + wait_timeout
        pending = {}
        for endpoint in endpoints:
            if endpoint["workers_min"] != 0 or endpoint["workers_max"] != 0:
                try:
                    endpoint = self.update(endpoint, {"workers_min": 0, "workers_max": 0},
                                           action="scale endpoint %r (%s) to 0 workers" % (endpoint["name"], endpoint["id"]))
                except APIError as exc:
                    # Refused because someone else deleted it since our read? Gone is what absent wants.
                    if exc.kind != "graphql" or any(e.get("id") == endpoint["id"] for e in self.list()[0]):
                        raise
                    continue
            pending[endpoint["id"]] = endpoint
        if self.check_mode:
            self.actions.extend("delete endpoint %r (%s)" % (e["name"], e["id"]) for e in pending.values())
            return
        poll = 0.5
        while pending:
            refusals = {}
            for endpoint_id, endpoint in list(pending.items()):
                if running_workers(endpoint):
                    continue
                try:
                    self.client.execute(DELETE_MUTATION, {"id": endpoint_id})
                except APIError as exc:
                    if exc.kind != "graphql":
                        raise
                    refusals[endpoint_id] = exc.message  # not drained yet, or already gone: read again
                    continue
                self.actions.append("delete endpoint %r (%s)" % (endpoint["name"], endpoint_id))
                del pending[endpoint_id]
            if not pending:
                return
            if self.clock() >= deadline:
                raise ModelError(" ".join(_drain_timeout_message(e, wait_timeout, refusals.get(i)) for i, e in pending.items()))
            self.sleep(min(poll, max(0.1, deadline - self.clock())))
            poll = min(poll * 1.5, 5.0)
            current = dict((e["id"], e) for e in self.list()[0])
            for endpoint_id, endpoint in list(pending.items()):
                if endpoint_id in current:
                    pending[endpoint_id] = endpoint_from_api(current[endpoint_id])
                else:
                    # gone: deleted by a request whose response was lost, or by someone else
                    self.actions.append("delete endpoint %r (%s)" % (endpoint["name"], endpoint_id))
                    del pending[endpoint_id]


def _drain_timeout_message(endpoint, wait_timeout, refusal):
    what = "endpoint %r (%s)" % (endpoint["name"], endpoint["id"])
    workers = running_workers(endpoint)
    if workers:
        return ("Timed out after %ss (wait_timeout) waiting for %s to drain: %d worker(s) still running (%s). "
                "Run again to continue." % (wait_timeout, what, len(workers), ", ".join(str(w["id"]) for w in workers)))
    return "Could not delete %s within %ss (wait_timeout): %s. Run again to continue." % (what, wait_timeout, refusal)


def _myself(data):
    myself = data.get("myself")
    if myself is None:
        raise APIError("The API returned no account for this key (myself is null): check api_key "
                       "(or the TENSORONE_API_KEY environment variable)", "auth")
    return myself


def find_endpoint(api_endpoints, endpoint_id=None, name=None):
    """The one endpoint with this id (preferred) or name, as the module sees it; None if none.

    More than one with the name is an error that lists their ids.
    """
    if endpoint_id is not None:
        matches = [e for e in api_endpoints if e.get("id") == endpoint_id]
    else:
        matches = [e for e in api_endpoints if e.get("name") == name]
    if len(matches) > 1:
        raise ModelError("Found %d endpoints named %r (ids: %s): set id to choose one"
                         % (len(matches), name, ", ".join(str(e.get("id")) for e in matches)))
    return endpoint_from_api(matches[0]) if matches else None
