# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the tensorone.cloud collection: it may change
# at any time, without notice, and is not meant to be used by anything else.

"""The Serverless Endpoint model: field mapping, normalisation, comparison,
GraphQL documents, validation, the planner and the steps that carry a plan out.

Everything here speaks the model's view of an endpoint (option names, normal
forms, converted once when read): ``endpoint_from_api()`` is the only place
that reads the API's spelling, ``build_input()`` the only place that writes it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError
from ansible_collections.tensorone.cloud.plugins.module_utils._network_volume import (
    DATA_CENTERS_FIELD,
    DATA_CENTERS_SELECTION,
    NO_VOLUME_NAMES,
    VOLUME_REFERENCES,
    VOLUMES_FIELD,
    VOLUMES_SELECTION,
    volume_from_api,
)
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import (
    INT32_MAX,
    LIST_CAP,
    Deadline,
    Field,
    ModelError,
    Outcome,
    PendingId,
    Resource,
    Selection,
    desired_from,
    differences,
    find_one,
    full_input,
    listed,
    myself_of,
    naming,
    recovered,
    refused,
    split_csv,
    unknown_fields,
    value_errors,
)
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import (
    Step as ResourceStep,
)
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import (
    diff_view as resource_diff_view,
)
from ansible_collections.tensorone.cloud.plugins.module_utils._template import (
    NO_TEMPLATE_READ,
    TEMPLATE_NAMES_SELECTION,
    TEMPLATE_REFERENCE,
    TEMPLATES_FIELD,
)

# Every field of an endpoint the collection reads or writes. An update
# REPLACES the endpoint (the service resets every optional field it is not
# sent), so each writable field the endpoint has is sent again on every
# update: the task's value where it sets one, the value as read otherwise.
# Never sent: the inline template, bindEndpoint, hubReleaseId and modelName
# (actions, not settings) and the read-only fields. The module options follow
# from this table (endpoint_argument_spec).
SCALER_TYPES = ("QUEUE_DELAY", "REQUEST_COUNT")
ENDPOINT_TYPES = ("QB", "LB")
# An endpoint's own environment overrides: they may hold values set in the console.
ENV = Field(None, "env", "env", read="env { key value }")
FIELDS = (
    Field("name", "name", documented=True),
    Field("template_id", "templateId", documented=True),
    Field("gpu_ids", "gpuIds", "csv", documented=True),
    Field("idle_timeout", "idleTimeout", "int", documented=True),
    Field("locations", "locations", "csv", documented=True),
    Field("network_volume_id", "networkVolumeId", "none", documented=True),
    Field("scaler_type", "scalerType", documented=True, choices=SCALER_TYPES),
    Field("scaler_value", "scalerValue", "int", documented=True),
    Field("workers_min", "workersMin", "int", documented=True),
    Field("workers_max", "workersMax", "int", documented=True),
    Field("gpu_count", "gpuCount", "int"),
    Field("execution_timeout_ms", "executionTimeoutMs", "int"),
    Field("flashboot", "flashBootType", "bool", true_value="FLASHBOOT", false_value="OFF"),
    Field("allowed_cuda_versions", "allowedCudaVersions", "csvset"),
    Field("min_cuda_version", "minCudaVersion", "none"),
    Field("endpoint_type", "type", create_only=True, choices=ENDPOINT_TYPES),
    Field("network_volume_ids", "networkVolumeIds", "idlist", key="networkVolumeId", read="networkVolumeIds { networkVolumeId dataCenterId }"),
    Field("instance_ids", "instanceIds", "list"),
    # Kept as they are: set in the console or by other tools, not managed here.
    ENV,
    Field(None, "modelReferences", "list"),
    Field(None, "workersPFBTarget", "int"),
)
OPTION_FIELDS = tuple(f for f in FIELDS if f.option)
OPTIONS = tuple(f.option for f in OPTION_FIELDS)
FIELD_OF = dict((f.option, f) for f in OPTION_FIELDS)
DOCUMENTED_FIELDS = tuple(f for f in FIELDS if f.documented)
# What a create without the option stores (the service's create defaults; the
# other fields stay empty); check mode predicts a create with them.
CREATE_DEFAULTS = dict(
    idle_timeout=5,
    scaler_type="QUEUE_DELAY",
    scaler_value=4,
    workers_min=0,
    workers_max=3,
    locations=[],
    network_volume_id=None,
    gpu_count=1,
    execution_timeout_ms=600000,
    flashboot=False,
    endpoint_type="QB",
)
# Workers that hold an endpoint back from deletion (other states do not).
LIVE_WORKER_STATES = ("CREATED", "RUNNING", "RESTARTING")
CUDA_VERSION = re.compile(r"^\d+\.\d+$")

WORKERS_SELECTION = "clusters { id desiredStatus }"
LIST_QUERY = "query TensorOneEndpoints { myself { endpoints { id %s %s } } }"
# What the same read selects when items name other resources (only then): the templates' names, the
# network volumes, and the data centres' ids (a root field), which tell a location's data centre from a
# region code. Fields, so that a service without the data centres is learned (the read goes on without).
TEMPLATE_NAMES = Field(None, TEMPLATES_FIELD, read=TEMPLATE_NAMES_SELECTION)
VOLUMES = Field(None, VOLUMES_FIELD, read=VOLUMES_SELECTION)
DATA_CENTERS = Field(None, DATA_CENTERS_FIELD, read=DATA_CENTERS_SELECTION)
REFERENCED = ((TEMPLATE_NAMES, "Templates"), (VOLUMES, "Volumes"), (DATA_CENTERS, "DataCenters"))
# The options that name what another option gives by id, by that option.
NAMED_BY = dict((reference.id_option, reference.option) for reference in (TEMPLATE_REFERENCE,) + VOLUME_REFERENCES)
LIST_WITH_DISCOUNT_QUERY = "query TensorOneEndpointsInfo { myself { endpoints { id %s %s } serverlessDiscount { discountFactor type expirationDate } } }"
SAVE_MUTATION = "mutation TensorOneSaveEndpoint($input: EndpointInput!) { saveEndpoint(input: $input) { id %s %s } }"
DELETE_MUTATION = "mutation TensorOneDeleteEndpoint($id: String!) { deleteEndpoint(id: $id) }"


def list_query(selection, extras):
    """The read of every endpoint, with ``extras`` (of REFERENCED) in the same request, those the service lacks left out."""
    parts = [(field, name) for field, name in REFERENCED if field in extras and selection.has(field)]
    if not parts:
        return LIST_QUERY
    mine = " ".join(field.selection for field, _name in parts if field is not DATA_CENTERS)
    root = " ".join(field.selection for field, _name in parts if field is DATA_CENTERS)
    operation = "TensorOneEndpointsAnd" + "".join(name for _field, name in parts)
    return "query " + operation + " { myself { endpoints { id %s %s } " + mine + " } " + root + " }"


def by_id_query(count, selection):
    """One query that reads ``count`` endpoints by id (variables id0, id1, ...)."""
    variables = ", ".join("$id%d: String!" % i for i in range(count))
    reads = " ".join("e%d: endpoint(id: $id%d) { id %s %s }" % (i, i, selection, WORKERS_SELECTION) for i in range(count))
    return "query TensorOneEndpointsById(%s) { myself { %s } }" % (variables, reads)


def endpoint_argument_spec():
    """Module options that describe one endpoint (shared by the single and fleet modules): one per field, and
    template, network_volume and network_volumes, names resolved to template_id, network_volume_id and
    network_volume_ids (network_volumes: names, or {name, data_center})."""
    spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        id=dict(type="str"),
        template=dict(type="str"),
        network_volume=dict(type="str"),
        network_volumes=dict(type="list", elements="raw"),
    )
    spec.update((field.option, field.argument_spec()) for field in OPTION_FIELDS)
    return spec


# --- normalisation and comparison -------------------------------------------


def normalise(option, value):
    """The canonical form of a value of ``option``; equal forms mean equal settings."""
    return FIELD_OF[option].normalise(value)


def discount_from_api(api_discount):
    """The account's serverless discount with option-style names, or None."""
    if not api_discount:
        return None
    return dict(discount_factor=api_discount.get("discountFactor"), type=api_discount.get("type"), expiration_date=api_discount.get("expirationDate"))


def endpoint_from_api(api_endpoint):
    """The module's view of an API endpoint: option names, normalised values (of the fields
    read), and its workers."""
    endpoint = {"id": api_endpoint.get("id")}
    for field in OPTION_FIELDS:
        if field.api in api_endpoint:
            endpoint[field.option] = field.view(api_endpoint[field.api])
    endpoint["workers"] = [
        {"id": cluster.get("id"), "desired_status": cluster.get("desiredStatus")} for cluster in (api_endpoint.get("clusters") or []) if cluster
    ]
    return endpoint


def desired_from_params(params):
    """The options the user set, normalised. Unset options are absent, never defaulted."""
    return desired_from(params, OPTION_FIELDS)


def apply_desired(endpoint, desired, fields=DOCUMENTED_FIELDS):
    """The endpoint as it will be once ``desired`` is applied (None: a new one, with the create defaults
    of ``fields``, those the run reads back). A field without a value looks as a read shows it (no GPU
    pools: [], not null)."""
    predicted = dict((f.option, f.view(None)) for f in DOCUMENTED_FIELDS)
    predicted.update({"id": None, "workers": []})
    if endpoint is None:
        predicted.update((f.option, CREATE_DEFAULTS.get(f.option, f.view(None))) for f in fields)
    else:
        predicted.update(endpoint)
    predicted.update(desired)
    return predicted


def build_input(current, desired, selection=None):
    """The full EndpointInput for a create (``current`` None) or an update (``current``: the
    round-trip read, every writable field of which is sent again, ``_resource.full_input``)."""
    label = current and "Endpoint %s" % current["id"]
    return full_input(FIELDS, current, desired, selection, required=("name",), label=label)


def diff_view(endpoint):
    """The managed fields of an endpoint as read, for diff output ({} when there is none)."""
    return resource_diff_view(endpoint, OPTIONS)


def running_workers(endpoint):
    """The workers that still hold a delete back (a status the API did not give counts as live)."""
    return [w for w in endpoint.get("workers") or [] if w.get("desired_status") in LIVE_WORKER_STATES + (None,)]


# --- validation before any API call ----------------------------------------


def validate_params(params):
    """Messages, each naming its option, for values of one endpoint's options the API would refuse."""
    errors = []
    name = params.get("name")
    if name is not None and not name.strip():
        errors.append("name must not be blank")
    elif name is not None and not 3 <= len(name) <= 191:
        errors.append("name must be 3 to 191 characters long, got %d" % len(name))
    endpoint_id = params.get("id")
    if endpoint_id is not None and not endpoint_id.strip():
        errors.append("id must not be empty (an empty id is usually a lookup that found nothing)")
    for option in ("gpu_ids", "locations", "instance_ids", "network_volume_ids", "allowed_cuda_versions"):
        items = params.get(option)
        if items is None:
            continue
        if option == "gpu_ids" and not items:
            errors.append("gpu_ids must list at least one GPU pool id")
        if option == "allowed_cuda_versions":
            bad = [v for v in split_csv(items) if not CUDA_VERSION.match(v)]
            if bad:
                errors.append("allowed_cuda_versions must list major.minor versions such as 12.4, got %r" % bad)
        if any(not token.strip() for item in items for token in str(item).split(",")):
            errors.append("%s must not contain empty items, got %r" % (option, items))
    ranges = (
        ("idle_timeout", 1, 3600),
        ("scaler_value", 1, INT32_MAX),
        ("workers_min", 0, INT32_MAX),
        ("workers_max", 0, INT32_MAX),
        ("wait_timeout", 0, INT32_MAX),
        ("gpu_count", 1, INT32_MAX),
        ("execution_timeout_ms", 0, INT32_MAX),
    )
    errors.extend(value_errors(params, not_blank=("template_id", "template", "network_volume"), ranges=ranges))
    errors.extend(volume_list_errors(params.get("network_volumes")))
    if params.get("min_cuda_version") and not CUDA_VERSION.match(params["min_cuda_version"]):
        errors.append("min_cuda_version must be a major.minor version such as 12.4, or \"\" for none, got %r" % params["min_cuda_version"])
    for one, other, why in (
        ("template", "template_id", " (template names the template, template_id gives its id)"),
        ("network_volume_id", "network_volume_ids", ""),
        ("network_volume", "network_volume_ids", ""),
        ("network_volume_id", "network_volumes", ""),
        ("network_volume", "network_volumes", ""),
        ("gpu_ids", "instance_ids", " (instance_ids makes a CPU endpoint, gpu_ids a GPU endpoint)"),
    ):
        if params.get(one) is not None and params.get(other):
            errors.append("%s and %s are mutually exclusive%s" % (one, other, why))
    for one, other, what in (("network_volume", "network_volume_id", "volume"), ("network_volumes", "network_volume_ids", "volumes")):
        if params.get(one) is not None and params.get(other) is not None:
            errors.append("%s and %s are mutually exclusive (one names the %s, the other gives the IDs)" % (one, other, what))
    errors.extend(validate_workers(params.get("workers_min"), params.get("workers_max")))
    return errors


def volume_list_errors(volumes):
    """Messages for items of network_volumes that are neither a volume's name nor {name, data_center}."""
    errors = []
    for index, wanted in enumerate(volumes or []):
        where = "network_volumes[%d]" % index
        if isinstance(wanted, dict):
            unknown = sorted(str(key) for key in wanted if key not in ("name", "data_center"))
            if unknown:
                errors.append("%s has keys other than name and data_center: %s" % (where, ", ".join(unknown)))
            for key in ("name", "data_center"):
                value = wanted.get(key)
                if (value is not None or key == "name") and not (isinstance(value, str) and value.strip()):
                    errors.append("%s.%s must be a non-empty string, got %r" % (where, key, value))
        elif not (isinstance(wanted, str) and wanted.strip()):
            errors.append("%s must be a volume's name or a mapping with name and data_center, got %r" % (where, wanted))
    return errors


def validate_endpoint(params):
    """validate_params for tensorone_endpoint: also one of id or name, not null."""
    errors = validate_params(params)
    if not params.get("id") and not params.get("name"):
        # null, or "" (what ansible-core 2.16 templates an undefined-ish null into)
        errors.insert(0, "one of id or name is required")
    return errors


def validate_info(params):
    """tensorone_endpoint_info: an empty id is refused (it would silently list nothing)."""
    return validate_params(dict(id=params.get("id")))


def validate_workers(workers_min, workers_max, current=None):
    """workers_min may not exceed workers_max; an unset one is taken from ``current``."""
    if current:
        workers_min = current.get("workers_min") if workers_min is None else workers_min
        workers_max = current.get("workers_max") if workers_max is None else workers_max
    if workers_min is None or workers_max is None or workers_min <= workers_max:
        return []
    source = " (with the endpoint's current values)" if current else ""
    return ["workers_min (%d) must not exceed workers_max (%d)%s" % (workers_min, workers_max, source)]


def item_label(index, item):
    return "endpoints[%d] (%s)" % (index, item.get("name"))


def validate_fleet(params):
    """validate_params for every item of a fleet, each message naming its item; names and ids must be unique."""
    errors = []
    names, ids = {}, {}
    for index, item in enumerate(params["endpoints"]):
        where = item_label(index, item)
        if item.get("name") is None:
            errors.append("endpoints[%d]: name is required" % index)
            continue
        errors.extend("%s: %s" % (where, error) for error in validate_params(item))
        if item["name"] in names:
            errors.append("%s: the name appears more than once in endpoints (also %s)" % (where, names[item["name"]]))
        names.setdefault(item["name"], where)
        if item.get("id") is not None:
            if item["id"] in ids:
                errors.append("%s and %s: both select the endpoint with id %r" % (ids[item["id"]], where, item["id"]))
            ids.setdefault(item["id"], where)
    for option, value in (("wait_timeout", params.get("wait_timeout")), ("prune_max", params.get("prune_max"))):
        if value is not None and not 0 <= value <= INT32_MAX:
            errors.append("%s must be between 0 and %d, got %d" % (option, INT32_MAX, value))
    return errors


def name_warnings(items):
    warnings = [
        "The endpoint name %r starts or ends with white space; the API keeps it as given" % item["name"]
        for item in items
        if item.get("name") and item["name"] != item["name"].strip()
    ]
    warnings.extend(
        "The template name %r (template) starts or ends with white space; it must be the template's name exactly" % item["template"]
        for item in items
        if item.get("template") and item["template"] != item["template"].strip()
    )
    return warnings


# --- planning ------------------------------------------------------------------


class Step(ResourceStep):
    """One endpoint's planned change (``_resource.Step``), and whether it needs worker quota."""

    @property
    def raises_workers(self):
        """True for a create, and for an update that raises workers_max (it needs worker quota)."""
        if self.action == "create":
            return True
        wanted = self.desired.get("workers_max")
        return self.action == "update" and wanted is not None and wanted > (self.before.get("workers_max") or 0)


def plan_endpoint(account, params, where=""):
    """The Step that brings the endpoint ``params`` describe to ``params["state"]``.

    ``params`` are one endpoint's options; ``account`` the account's endpoints as read.
    """
    desired = desired_from_params(params)
    endpoint_id, name = params.get("id"), params.get("name")
    current = find_endpoint(account, endpoint_id, name, where)
    if params.get("state", "present") == "absent":
        if current and endpoint_id is not None and name is not None and current["name"] != name:
            raise refused(
                where,
                "The endpoint with id %r is named %r, not %r: nothing was deleted (correct the name, "
                "or leave it out to delete by id)" % (endpoint_id, current["name"], name),
                "invalid_option",
            )
        if current is None and endpoint_id is None and not getattr(account, "complete", True):
            raise refused(
                where,
                "Endpoint %r is not in the account's list, which came back with %d endpoints, the most "
                "the API lists: it may exist beyond them. Give its id to delete it" % (name, LIST_CAP),
                "list_incomplete",
            )
        return Step("delete" if current else "none", current, where=where)
    if current is None:
        if endpoint_id is not None:
            raise refused(
                where, "No endpoint with id %r exists; id only selects an existing endpoint (leave it out to create one by name)" % endpoint_id, "not_found"
            )
        if not getattr(account, "complete", True):
            raise refused(
                where,
                "Endpoint %r is not in the account's list, which came back with %d endpoints, the most "
                "the API lists: it may exist beyond them. Give its id to update it" % (name, LIST_CAP),
                "list_incomplete",
            )
        # A CPU endpoint (instance_ids not empty) needs no GPU pools; instance_ids: [] is a GPU endpoint.
        required = ("template_id",) if desired.get("instance_ids") else ("template_id", "gpu_ids")
        missing = [option for option in required if option not in desired]
        if missing:
            hint = " (or template, the template's name)" if "template_id" in missing else ""
            raise refused(where, "Endpoint %r does not exist; creating it needs %s%s" % (name, ", ".join(missing), hint), "create_needs")
        errors = validate_workers(desired.get("workers_min"), desired.get("workers_max", CREATE_DEFAULTS["workers_max"]))
        if errors:
            raise refused(where, "%s (workers_max defaults to %d on create: set it)" % (errors[0], CREATE_DEFAULTS["workers_max"]), "invalid_option")
        return Step("create", None, desired, where)
    if current["id"] is None:
        raise refused(where, "The API lists endpoint %r without an id: it cannot be changed" % current["name"], "invalid_option")
    if "endpoint_type" in desired and current.get("endpoint_type") not in (None, desired["endpoint_type"]):
        raise refused(
            where,
            "endpoint_type of endpoint %r (%s) is %s: the type is fixed at creation, so %s needs a "
            "new endpoint" % (current["name"], current["id"], current["endpoint_type"], desired["endpoint_type"]),
            "invalid_option",
        )
    if name is not None and name != current["name"]:
        holders = [e for e in account if e.get("name") == name and e.get("id") != current["id"]]
        if holders:
            raise refused(
                where,
                "Cannot rename endpoint %r (%s) to %r: endpoint %s already has that name" % (current["name"], current["id"], name, holders[0]["id"]),
                "name_taken",
            )
    errors = validate_workers(desired.get("workers_min"), desired.get("workers_max"), current)
    if errors:
        raise refused(where, "%s: %s" % (current["name"], "; ".join(errors)), "invalid_option")
    return Step("update" if differences(current, desired) else "none", current, desired, where)


# Options that exclude each other: setting the first while the endpoint has the second is refused
# unless the task also clears the second (the service keeps the second and ignores the first).
# Checked on the round-trip read before the first save (Endpoints.apply): the comparison read
# does not select the second, which would cost a no-op a request on a service that lacks it.
EXCLUSIONS = (
    (
        "gpu_ids",
        "instance_ids",
        "it is a CPU endpoint (instance_ids %s), and the service ignores gpu_ids while it has "
        "instance_ids: set instance_ids: [] as well to make it a GPU endpoint",
    ),
    (
        "network_volume_id",
        "network_volume_ids",
        "it has network_volume_ids %s, which the service uses instead of network_volume_id: set network_volume_ids: [] as well to attach one volume",
    ),
)


def exclusion_errors(current, desired):
    """Messages for options the task sets that the endpoint's current values would override."""
    errors = []
    for option, other, why in EXCLUSIONS:
        if desired.get(option) and current.get(other) and other not in desired:
            errors.append("%s cannot be set: %s" % (option, why % (current[other],)))
    return errors


def plan_fleet(account, params, warnings=None):
    """A Step per declared endpoint, in order, then a delete per pruned one.

    Refuses (before any mutation) two items that select one endpoint, and a
    prune that could empty the account by a slip (see prune_candidates).
    """
    warnings = [] if warnings is None else warnings
    steps = [plan_endpoint(account, item, item_label(index, item)) for index, item in enumerate(params["endpoints"])]
    claimed = {}
    for step in steps:
        if step.before:
            if step.before["id"] in claimed:
                raise ModelError(
                    "%s and %s select the same endpoint %r (%s): declare each endpoint once"
                    % (claimed[step.before["id"]], step.where, step.before["name"], step.before["id"]),
                    "ambiguous",
                )
            claimed[step.before["id"]] = step.where
    if params.get("prune"):
        steps.extend(Step("delete", endpoint, where="prune") for endpoint in prune_candidates(account, params, steps, warnings))
    return steps


def prune_candidates(account, params, steps, warnings):
    """The endpoints a prune deletes: every one the list does not declare (by id or
    name), limited to names starting with ``prune_prefix`` when it is set.

    A prune that keeps no declared endpoint present and has no prefix would
    delete the whole account (an empty list is usually a variable that came out
    empty): it runs only with ``prune_all``. ``prune_max`` caps the count.
    """
    if not getattr(account, "complete", True):
        raise ModelError(
            "prune refused: the account's list came back with %d endpoints, the most the API lists, so the account is not fully known" % LIST_CAP,
            "list_incomplete",
        )
    declared_ids = set(step.before["id"] for step in steps if step.before)
    declared_names = set(item["name"] for item in params["endpoints"])
    prefix = params.get("prune_prefix") or ""
    candidates = []
    for endpoint in account:
        if endpoint["id"] in declared_ids or endpoint["name"] in declared_names:
            continue
        if endpoint["id"] is None or endpoint["name"] is None:
            warnings.append(
                "prune skipped an endpoint the API lists without %s (%s)"
                % ("an id" if endpoint["id"] is None else "a name", endpoint["id"] or endpoint["name"])
            )
        elif endpoint["name"].startswith(prefix):
            candidates.append(endpoint)
    listing = ", ".join("%r (%s)" % (e["name"], e["id"]) for e in candidates) or "none"
    if not prefix and not params.get("prune_all") and candidates:
        if not any(item.get("state", "present") == "present" for item in params["endpoints"]):
            why = "endpoints declares no endpoint to keep"
        elif not declared_ids:
            # A list of which nothing exists is as likely a slip (a typo, another environment's list) as an empty one.
            why = "none of the endpoints the list declares exists in the account (a typo, or another environment's list?)"
        else:
            why = None
        if why:
            raise ModelError(
                "prune refused: %s and prune_prefix is not set, so prune would delete every endpoint of the "
                "account (%d: %s). If that is meant, set prune_all: true; otherwise check the list (an empty "
                "variable?) or set prune_prefix" % (why, len(candidates), listing),
                "prune_guard",
            )
    if params.get("prune_max") is not None and len(candidates) > params["prune_max"]:
        raise ModelError(
            "prune refused: it would delete %d endpoints, more than prune_max (%d): %s" % (len(candidates), params["prune_max"], listing), "prune_guard"
        )
    return candidates


def find_endpoint(account, endpoint_id=None, name=None, where=""):
    """The one endpoint with this id (preferred) or name; None if none (several by name: an error listing their ids)."""
    return find_one(account, "endpoint", endpoint_id, name, where)


# --- carrying a plan out -------------------------------------------------------


class Account(list):
    """The account's endpoints as read (the model's view). ``complete`` is False when the
    list came back at the service's cap (LIST_CAP): endpoints beyond it are not listed.
    ``templates`` are the account's templates ({id, name}), ``volumes`` its network volumes
    ({id, name, data_center}) and ``data_centers`` the ids of the service's data centres, when
    the read asked for them (None otherwise)."""

    def __init__(self, endpoints, complete=True, templates=None, volumes=None, data_centers=None):
        super(Account, self).__init__(endpoints)
        self.complete = complete
        self.templates = templates
        self.volumes = volumes
        self.data_centers = data_centers


class EndpointGateway:
    """The API's side of the endpoints of one module run: the only place that sends their GraphQL
    documents and reads or writes the API's spelling (through ``endpoint_from_api`` and
    ``build_input``). Another transport would replace this class, not the planner or the executor.

    The comparison read selects the documented fields and those of the options
    the task sets (``options``), so a converged run costs one request on any
    service. Before it saves, it reads every field of the endpoints it changes
    (one request), so that an update sends them all back.
    """

    def __init__(self, run, options=()):
        self.run = run
        self.client = run.client
        self.selection = Selection(FIELDS + (DATA_CENTERS,))
        self.wanted = tuple(FIELD_OF[o] for o in sorted(set(options)) if not FIELD_OF[o].documented)
        self.compared = DOCUMENTED_FIELDS + self.wanted
        self.discount = None
        self.current = {}  # id -> the endpoint as last read in full (API spelling), for updates

    def _execute(self, document, variables=None, fields=None):
        """``document`` (text, or a function of the selection) with the selection of ``fields`` and the workers."""
        fields = self.compared if fields is None else fields

        def text(sel):
            return (document(sel) if callable(document) else document) % (sel.select(fields), WORKERS_SELECTION)

        return self.selection.execute(self.client, text, variables, wanted=self.wanted)

    def read(self, with_discount=False, every_field=False, extras=()):
        """All endpoints of the account (an Account of model views), and the discount or the
        ``extras`` (of REFERENCED: what items name) when asked: one request."""
        fields = OPTION_FIELDS if every_field else None
        try:
            data = self._execute(LIST_WITH_DISCOUNT_QUERY if with_discount else lambda sel: list_query(sel, extras), fields=fields)
        except APIError as exc:
            lacking = unknown_fields(exc)
            if TEMPLATE_NAMES in extras and TEMPLATES_FIELD in lacking:
                raise ModelError("template (a template's name) cannot be used on this service: %s. Set template_id instead" % NO_TEMPLATE_READ, "unsupported")
            if VOLUMES in extras and VOLUMES_FIELD in lacking:
                raise ModelError(NO_VOLUME_NAMES, "unsupported")
            raise
        myself = myself_of(data)
        if with_discount:
            self.discount = discount_from_api(myself.get("serverlessDiscount"))
        endpoints = myself.get("endpoints") or []
        account = Account([endpoint_from_api(e) for e in endpoints if e], complete=len(endpoints) < LIST_CAP)
        if TEMPLATE_NAMES in extras:
            account.templates = [t for t in myself.get(TEMPLATES_FIELD) or [] if t and t.get("id") is not None]
        if VOLUMES in extras:
            account.volumes = [volume_from_api(v) for v in myself.get(VOLUMES_FIELD) or [] if v and v.get("id") is not None]
        if DATA_CENTERS in extras and self.selection.has(DATA_CENTERS):
            account.data_centers = [d.get("id") for d in data.get(DATA_CENTERS_FIELD) or [] if d and d.get("id") is not None]
        return account

    def read_by_id(self, endpoint_ids, fields=None):
        """{id: API endpoint or None} for these ids, in one request (``fields``: the comparison selection)."""
        endpoint_ids = list(endpoint_ids)
        if not endpoint_ids:
            return {}
        fields = self.compared if fields is None else fields
        variables = dict(("id%d" % i, endpoint_id) for i, endpoint_id in enumerate(endpoint_ids))
        data = self.selection.execute(self.client, lambda sel: by_id_query(len(endpoint_ids), sel.select(fields)), variables, wanted=self.wanted)
        myself = myself_of(data)
        return dict((endpoint_id, myself.get("e%d" % i)) for i, endpoint_id in enumerate(endpoint_ids))

    def still_there(self, endpoint_ids):
        """{id: model view} of those of these endpoints that exist, read by id in one request: the
        list may stop at its cap before them, so their absence from it proves nothing."""
        return dict((endpoint_id, endpoint_from_api(api_endpoint)) for endpoint_id, api_endpoint in self.read_by_id(endpoint_ids).items() if api_endpoint)

    def read_for_update(self, endpoint_ids):
        """Read every field of these endpoints, fresh, right before they are saved."""
        wanted = [i for i in endpoint_ids if i is not None]
        if not wanted:
            return
        for endpoint_id, api_endpoint in self.read_by_id(wanted, FIELDS).items():
            if api_endpoint:
                self.current[endpoint_id] = api_endpoint
                # An error that echoes the input must not show the endpoint's environment values.
                self.run.secrets.extend(value for value in ENV.view(api_endpoint.get("env")).values() if value)
            else:
                self.current.pop(endpoint_id, None)

    def send_create(self, desired):
        """Create; a lost response is looked up by name (``Resource.lookup``), never sent again blindly."""
        reply = self.client.execute(
            self._save_document(self.selection), {"input": build_input(None, desired, self.selection)}, retry_safe=False, applied=self.lookup(desired["name"])
        )
        return recovered(reply, lambda data: endpoint_from_api(data["saveEndpoint"]))

    def send_update(self, endpoint, desired):
        """Save ``desired`` over every field of ``endpoint`` as read in full (read now if it was not)."""
        if endpoint["id"] not in self.current:
            self.read_for_update([endpoint["id"]])
        current = self.current.get(endpoint["id"])
        if current is None:
            raise self.gone(endpoint)
        data = self.selection.execute(self.client, self._save_document, {"input": build_input(current, desired, self.selection)})
        self.current.pop(endpoint["id"], None)  # read again before another save
        return endpoint_from_api(data["saveEndpoint"])

    def _save_document(self, selection):
        return SAVE_MUTATION % (selection.select(self.compared), WORKERS_SELECTION)

    def send_delete(self, endpoint_id):
        self.client.execute(DELETE_MUTATION, {"id": endpoint_id})


class Endpoints(EndpointGateway, Resource):
    """The executor of the planned Steps of one module run's endpoints, in the order that frees worker
    quota before using it, draining before deleting; the reads and saves are its gateway's."""

    kind = "endpoint"

    def __init__(self, run, options=()):
        Resource.__init__(self, run)
        EndpointGateway.__init__(self, run, options)

    def apply(self, steps, wait_timeout):
        """Carry the steps out in the order that frees worker quota before using it, and return an
        Outcome per step (also the run's ``outcomes``, for a failure's result):
        1. updates that do not raise workers_max, and the scale to 0 before each delete;
        2. creates, and updates that raise workers_max;
        3. the drain waits and the deletes (creates never wait for a drain).
        """
        deadline = Deadline(self.run, wait_timeout)
        outcomes = self.run.outcomes = [Outcome(step) for step in steps]
        # Every endpoint this run saves (an update, the scale to 0 before a delete), read in full at once.
        saved = [step.before["id"] for step in steps if step.action == "update" or (step.action == "delete" and _has_workers_set(step.before))]
        if self.check_mode:
            # Check mode saves nothing, but refuses what the run would refuse.
            saved = [step.before["id"] for step in steps if step.action == "update" and _may_be_overridden(step.desired)]
        self.read_for_update(saved)
        for step in steps:
            current = self.current.get(step.before["id"]) if step.action == "update" else None
            errors = exclusion_errors(endpoint_from_api(current), step.desired) if current else []
            if errors:
                raise refused(step.where, "%s: %s" % (step.before["name"], "; ".join(errors)), "invalid_option")
        for outcome in outcomes:
            if outcome.action == "update" and not outcome.step.raises_workers:
                self._carry_out(outcome, self._update)
        draining = [o for o in outcomes if o.action == "delete" and self._carry_out(o, self._scale_down)]
        for outcome in outcomes:
            if outcome.step.raises_workers:
                self._carry_out(outcome, self._create if outcome.action == "create" else self._update)
        self._delete_drained(draining, deadline)
        return outcomes

    def _carry_out(self, outcome, how):
        """how(outcome), with the failure's message naming the step's task item."""
        try:
            return how(outcome)
        except (APIError, ModelError) as exc:
            raise naming(outcome, exc)

    def _update(self, outcome):
        outcome.after = self.update(outcome.before, outcome.step.desired)

    def _create(self, outcome):
        self.create(outcome, outcome.step.desired)

    # --- what the resource base asks of a model ---

    def find(self, name):
        return find_endpoint(self.read(), name=name)

    def changes(self, endpoint, desired):
        return sorted(differences(endpoint, desired))

    def predict(self, endpoint, desired):
        # A new one with every field the run would read back (another item's options may widen the read).
        return apply_desired(endpoint, desired, [f for f in self.compared if self.selection.has(f)])

    def _scale_down(self, outcome):
        """Scale the endpoint of a delete to 0 workers; False if it turned out to be gone already."""
        endpoint = outcome.before
        if _has_workers_set(endpoint):
            try:
                outcome.before = self.update(
                    endpoint, {"workers_min": 0, "workers_max": 0}, action="scale endpoint %r (%s) to 0 workers" % (endpoint["name"], endpoint["id"])
                )
            except APIError as exc:
                # Refused because someone else deleted it since our read? Gone is what absent wants.
                if exc.kind != "graphql" or self.still_there([endpoint["id"]]):
                    raise
                return _deleted_elsewhere(outcome)
            except ModelError:
                if endpoint["id"] in self.current:
                    raise
                return _deleted_elsewhere(outcome)  # gone before the round-trip read
        return True

    def _delete_drained(self, outcomes, deadline):
        """Delete each endpoint as soon as its workers are gone, all drains waited for
        together until ``deadline`` (a Deadline). One already gone counts as deleted."""
        pending = dict((outcome.before["id"], outcome) for outcome in outcomes)
        if self.check_mode:
            self.actions.extend("delete endpoint %r (%s)" % (s.before["name"], s.before["id"]) for s in pending.values())
            return
        while pending:
            refusals = {}
            for endpoint_id, step in list(pending.items()):
                if running_workers(step.before):
                    continue
                try:
                    self.send_delete(endpoint_id)
                except APIError as exc:
                    if exc.kind != "graphql":
                        raise naming(step, exc)
                    refusals[endpoint_id] = exc.message  # not drained yet, or already gone: read again
                    continue
                self.actions.append("delete endpoint %r (%s)" % (step.before["name"], endpoint_id))
                del pending[endpoint_id]
            if not pending:
                return
            if deadline.expired():
                raise ModelError(" ".join(_drain_timeout_message(s, deadline.seconds, refusals.get(i)) for i, s in pending.items()), "wait_timeout")
            deadline.wait()
            current = self.still_there(pending)
            for endpoint_id, step in list(pending.items()):
                if endpoint_id in current:
                    step.before = current[endpoint_id]
                else:
                    # gone: deleted by a request whose response was lost, or by someone else
                    self.actions.append("delete endpoint %r (%s)" % (step.before["name"], endpoint_id))
                    del pending[endpoint_id]


def _deleted_elsewhere(outcome):
    """A delete whose endpoint was deleted elsewhere before this run sent anything that could
    delete it: nothing to do, and nothing done (False: no delete to wait for)."""
    outcome.action = "none"
    outcome.after = None
    return False


def _may_be_overridden(desired):
    return any(desired.get(option) for option, _other, _why in EXCLUSIONS)


def _has_workers_set(endpoint):
    return endpoint.get("workers_min") != 0 or endpoint.get("workers_max") != 0


def _drain_timeout_message(step, wait_timeout, refusal):
    endpoint = step.before
    what = "endpoint %r (%s)" % (endpoint["name"], endpoint["id"])
    if step.where:
        what = "%s: %s" % (step.where, what)
    workers = running_workers(endpoint)
    if workers:
        return "Timed out after %ss (wait_timeout) waiting for %s to drain: %d worker(s) still running (%s). Run again to continue." % (
            wait_timeout,
            what,
            len(workers),
            ", ".join(str(w["id"]) for w in workers),
        )
    return "Could not delete %s within %ss (wait_timeout): %s. Run again to continue." % (what, wait_timeout, refusal)


# --- what the modules run --------------------------------------------------------


def converge(run, params, plan=None):
    """Read, plan and apply: the one path of both endpoint modules and of the unit tests.

    ``params`` are the fleet module's (``endpoints``, ``prune``...); returns an Outcome per Step.
    """
    items = params["endpoints"]
    # An option given by name is compared by its id option: the read selects that one.
    endpoints = Endpoints(run, options=[o for item in items for o in OPTIONS if item.get(o) is not None or item.get(NAMED_BY.get(o)) is not None])
    run.warnings.extend(name_warnings(items))
    labels = [""] if plan is not None else [item_label(index, item) for index, item in enumerate(items)]
    account = endpoints.read(extras=referenced(items))
    if account.templates is not None:
        # The template model resolves names, from the templates read with the endpoints.
        items = TEMPLATE_REFERENCE.resolve(run, items, labels, account.templates)
    if not account.complete:
        # Endpoints beyond the list's cap: those the task names by id are read by id.
        unlisted = [item["id"] for item in items if item.get("id") and not any(e["id"] == item["id"] for e in account)]
        account.extend(endpoint_from_api(e) for e in endpoints.read_by_id(unlisted).values() if e)
    if account.volumes is not None:
        # The volume model resolves names, from the volumes read with the endpoints.
        items = [volumes_resolved(run, item, where, account) for where, item in zip(labels, items)]
    params = dict(params, endpoints=items)
    if plan is None:
        steps = plan_fleet(account, params, run.warnings)
    else:
        steps = plan(account, params)
    outcomes = endpoints.apply(steps, params["wait_timeout"])
    for outcome in outcomes:
        # Check mode: what the same play creates first is predicted as null.
        after = outcome.after or {}
        for option in ("template_id", "network_volume_id"):
            if isinstance(after.get(option), PendingId):
                after[option] = None
        if after.get("network_volume_ids"):
            after["network_volume_ids"] = [None if isinstance(i, PendingId) else i for i in after["network_volume_ids"]]
    return outcomes


def referenced(items):
    """What the endpoints' read selects besides (of REFERENCED) for the names these items give. A delete
    resolves no name: an absent item that still gives one (even of something gone) reads nothing more."""
    present = [item for item in items if item.get("state", "present") == "present"]
    extras = [TEMPLATE_NAMES] if any(item.get("template") is not None for item in present) else []
    if any(item.get("network_volume") is not None or item.get("network_volumes") for item in present):
        extras.append(VOLUMES)
    # A volume's name without its data centre is looked for within the item's locations (as read when the
    # task does not set them), whose data centres the catalogue tells from region codes.
    if any(_bare_volume_names(item) and (item.get("locations") is None or split_csv(item["locations"])) for item in present):
        extras.append(DATA_CENTERS)
    return extras


def _bare_volume_names(item):
    volumes = item.get("network_volumes") or []
    return item.get("network_volume") is not None or any(not isinstance(v, dict) or v.get("data_center") is None for v in volumes)


def volumes_resolved(run, item, where, account):
    """``item`` with the volume names it gives resolved to ids, within the data centres the endpoint may
    use: its locations as the task sets them, else as read (a new endpoint's: anywhere)."""
    locations = item.get("locations")
    if locations is None:
        current = find_endpoint(account, item.get("id"), item.get("name"), where)
        locations = (current or {}).get("locations")
    for reference in VOLUME_REFERENCES:
        item = reference.resolve_within(run, item, where, account.volumes, split_csv(locations), account.data_centers)
    return item


def _plan_single(account, params):
    return [plan_endpoint(account, params["endpoints"][0])]


def converge_endpoint(run):
    """The work of tensorone_endpoint."""
    outcome = converge(run, dict(endpoints=[run.params], wait_timeout=run.params["wait_timeout"]), plan=_plan_single)[0]
    result = dict(changed=outcome.changed, endpoint=outcome.after)
    if run.diff:
        result["diff"] = dict(before=diff_view(outcome.before), after=diff_view(outcome.after))
    return result


def converge_fleet(run):
    """The work of tensorone_endpoints; a failure returns the endpoints as far as known."""
    run.partial_result = lambda: dict(endpoints=[o.after or o.before for o in run.outcomes if o.where != "prune" and (o.after or o.before)])
    outcomes = converge(run, run.params)
    changed = [o for o in outcomes if o.changed]
    result = dict(
        changed=bool(changed),
        endpoints=[o.after for o in outcomes if o.after],
        deleted=[dict(id=o.before["id"], name=o.before["name"]) for o in changed if o.action == "delete"],
    )
    if run.diff:
        result["diff"] = [
            dict(before_header=(o.before or o.after)["name"], after_header=(o.after or o.before)["name"], before=diff_view(o.before), after=diff_view(o.after))
            for o in changed
        ]
    return result


def read_endpoints(run):
    """The work of tensorone_endpoint_info: every field the service has."""
    endpoints = Endpoints(run)
    wanted_id, wanted_name = run.params.get("id"), run.params.get("name")
    account = endpoints.read(with_discount=True, every_field=True)
    found = listed(account, wanted_id, wanted_name)
    if wanted_id is not None and not found and not account.complete:
        # Beyond the list's cap: an id can still be read directly.
        by_id = endpoints.read_by_id([wanted_id], OPTION_FIELDS).get(wanted_id)
        found = [endpoint_from_api(by_id)] if by_id and wanted_name in (None, by_id.get("name")) else []
    complete = account.complete or wanted_id is not None
    if not complete:
        run.warnings.append(incomplete_list_warning("this result"))
    return dict(changed=False, endpoints=found, serverless_discount=endpoints.discount, complete=complete)


def incomplete_list_warning(what):
    return "The account's list of endpoints came back with %d endpoints, the most the API lists: endpoints beyond them are missing from %s" % (LIST_CAP, what)
