# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils is PRIVATE to the tensorone.cloud collection: it may change
# at any time, without notice, and is not meant to be used by anything else.

"""The network volume model: persistent storage in one data centre that an
endpoint's workers mount, built from the shapes of ``_resource``.

What is particular to volumes: names are not unique, so a volume is found by
id, or by name within its data centre (by name alone only when one volume of
the account has it); the size only grows; the data centre is fixed at
creation (a volume elsewhere is a new, empty one); the update takes the name
and the size, both, every time. A delete is refused while an endpoint names
the volume: the endpoints come with the volumes' one read.

Endpoints name their volumes too (``network_volume``, ``network_volumes``):
the two ``VolumeReference``s resolve those names from the volumes the
endpoints' own read selects, within the data centres each endpoint may use.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import (
    INT32_MAX,
    LIST_CAP,
    Field,
    ModelError,
    PendingId,
    Reference,
    Resource,
    Selection,
    desired_from,
    diff_view,
    differences,
    find_one,
    full_input,
    in_use_error,
    labelled,
    listed,
    myself_of,
    padded_warnings,
    recovered,
    refused,
    unknown_fields,
    value_errors,
)

# The options, and the input fields they are sent as. The data centre is sent on create only: the
# update's input has none (it is fixed).
FIELDS = (
    Field("name", "name"),
    Field("size", "size", "int"),
    Field("data_center", "dataCenterId", create_only=True),
)
COMPARED = ("name", "size")
# The keys of every returned volume, in this order.
VIEW_KEYS = ("id", "name", "size", "data_center", "endpoint_ids")
# GB: the smallest size the sources agree on (the largest differs by source: the service judges it).
SIZE_MIN = 10

VOLUMES_FIELD = "networkVolumes"
# What the endpoints' read selects to resolve volume names (only when an item names one).
VOLUMES_SELECTION = VOLUMES_FIELD + " { id name dataCenterId }"
# The data centres' ids (a root field, as an official client reads it), to tell which location tokens are
# data centres: the others are region codes, and no field of the API says which data centres those cover.
DATA_CENTERS_FIELD = "dataCenters"
DATA_CENTERS_SELECTION = DATA_CENTERS_FIELD + " { id }"
# The endpoints that name a volume, read with the volumes. A service without networkVolumeIds has only
# networkVolumeId to name one with: the read then leaves it out.
ENDPOINT_VOLUME_IDS = Field(None, "networkVolumeIds", read="networkVolumeIds { networkVolumeId }")
READ_QUERY = "query TensorOneNetworkVolumes { myself { " + VOLUMES_FIELD + " { id name size dataCenterId } endpoints { id name networkVolumeId %s } } }"
VOLUME_SELECTION = "{ id name size dataCenterId }"
CREATE_MUTATION = "mutation TensorOneCreateNetworkVolume($input: CreateNetworkVolumeInput!) { createNetworkVolume(input: $input) %s }" % VOLUME_SELECTION
UPDATE_MUTATION = "mutation TensorOneUpdateNetworkVolume($input: UpdateNetworkVolumeInput!) { updateNetworkVolume(input: $input) %s }" % VOLUME_SELECTION
# deleteNetworkVolume returns a scalar: no selection set.
DELETE_MUTATION = "mutation TensorOneDeleteNetworkVolume($input: DeleteNetworkVolumeInput!) { deleteNetworkVolume(input: $input) }"

UNSUPPORTED = "The service does not support network volumes (its API has no myself.%s field)" % VOLUMES_FIELD
NO_VOLUME_NAMES = (
    "network_volume and network_volumes (volumes' names) cannot be used on this service: the service does not support network volumes "
    "(its API has no myself.%s field). Set network_volume_id or network_volume_ids instead" % VOLUMES_FIELD
)
NEW_AND_EMPTY = "a volume in another data centre is a new, empty volume (data is not copied between data centres)"


def network_volume_argument_spec():
    """The options of tensorone_network_volume (also the items of the role's endpoints_network_volumes)."""
    return dict(
        id=dict(type="str"),
        name=dict(type="str"),
        size=dict(type="int"),
        data_center=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )


def volume_from_api(api_volume, users=None):
    """The model's view of an API volume; ``users``: the endpoints (as read) that name it."""
    return dict(
        id=api_volume.get("id"),
        name=api_volume.get("name"),
        size=api_volume.get("size"),
        data_center=api_volume.get("dataCenterId"),
        endpoint_ids=[e["id"] for e in users or []],
    )


def described(volume):
    """``id in DATA-CENTRE``: how a refusal lists the volumes a name matches."""
    return "%s in %s" % (volume.get("id"), volume.get("data_center"))


# --- validation --------------------------------------------------------------


def validate_network_volume(params):
    """Messages, each naming its option, for values the collection refuses before any request."""
    errors = [] if params.get("id") or params.get("name") else ["one of id or name is required"]
    errors.extend(value_errors(params, not_blank=("id", "name", "data_center"), ranges=(("size", SIZE_MIN, INT32_MAX),)))
    return errors


def validate_info(params):
    """tensorone_network_volume_info: an empty id, name or data_center is refused (it would silently list nothing)."""
    return value_errors(params, not_blank=("id", "name", "data_center"))


# --- reading and carrying out ------------------------------------------------


class NetworkVolumeGateway:
    """The API's side of the network volumes of one module run: the only place that sends their GraphQL
    documents and reads or writes the API's spelling. One read costs one request: the volumes, and the
    endpoints (id, name, the volumes they name)."""

    def __init__(self, run):
        self.run = run
        self.client = run.client
        self.selection = Selection((ENDPOINT_VOLUME_IDS,))
        self.api = {}  # id -> the volume as last read (API spelling), for updates
        self.endpoints = []
        self.users_complete = True

    def read(self):
        """[model view] of every volume of the account (null items skipped); one request (two on a service
        without networkVolumeIds, the first time: it learns that)."""
        try:
            data = self.selection.execute(self.client, lambda sel: READ_QUERY % sel.select((ENDPOINT_VOLUME_IDS,)))
        except APIError as exc:
            if VOLUMES_FIELD in unknown_fields(exc):
                raise ModelError(UNSUPPORTED, "unsupported") from None
            raise
        myself = myself_of(data)
        endpoints = myself.get("endpoints") or []
        # At the list's cap, endpoints beyond it are not read: a volume's users may be more than those seen.
        self.users_complete = len(endpoints) < LIST_CAP
        self.endpoints = [e for e in endpoints if e and e.get("id") is not None]
        volumes = [v for v in myself.get(VOLUMES_FIELD) or [] if v and v.get("id") is not None]
        self.api = dict((v["id"], v) for v in volumes)
        return [volume_from_api(v, self.users(v["id"])) for v in volumes]

    def users(self, volume_id):
        """The endpoints (as read) that name the volume, by networkVolumeId or in networkVolumeIds."""
        return [
            e
            for e in self.endpoints
            if e.get("networkVolumeId") == volume_id or any(i and i.get("networkVolumeId") == volume_id for i in e.get("networkVolumeIds") or ())
        ]

    def exists(self, volume_id):
        return any(v["id"] == volume_id for v in self.read())

    def send_create(self, desired):
        """createNetworkVolume with name, size and data centre; a lost response is looked up, never sent twice."""
        reply = self.client.execute(CREATE_MUTATION, {"input": full_input(FIELDS, None, desired)}, retry_safe=False, applied=self.lookup(desired["name"]))
        return recovered(reply, lambda data: volume_from_api(data.get("createNetworkVolume") or {}))

    def send_update(self, view, desired):
        """updateNetworkVolume with the name and the size, both (whether the service keeps one left out is
        unknown). The same input twice leaves the same volume, so a lost response is retried like a read."""
        current = self.api.get(view["id"]) or {}
        api_input = full_input(FIELDS, dict(current, id=view["id"]), desired, required=COMPARED, label=labelled("Network volume", view))
        try:
            data = self.client.execute(UPDATE_MUTATION, {"input": api_input})
        except APIError as exc:
            if exc.kind == "graphql" and not self.exists(view["id"]):
                raise self.gone(view) from None
            raise
        return volume_from_api(data.get("updateNetworkVolume") or {}, self.users(view["id"]))

    def send_delete(self, view):
        """deleteNetworkVolume; a refusal because the volume is gone already (a resent delete whose first
        response was lost, someone else's delete) is what the delete wants."""
        try:
            self.client.execute(DELETE_MUTATION, {"input": {"id": view["id"]}})
        except APIError as exc:
            if exc.kind != "graphql" or self.exists(view["id"]):
                raise


class NetworkVolumes(NetworkVolumeGateway, Resource):
    """One volume's change in one module run: the resource base's flows, found by id or by name within
    the task's data centre, the size that only grows, the fixed data centre and the in-use refusal of
    a delete; the reads and mutations are its gateway's."""

    kind = "network volume"
    create_needs = ("size", "data_center")

    def __init__(self, run):
        Resource.__init__(self, run)
        NetworkVolumeGateway.__init__(self, run)
        self.data_center = run.params.get("data_center")

    def find(self, name):
        return self.select(self.read(), name=name)

    def select(self, volumes, volume_id=None, name=None):
        """The one volume with this id, or with this name in the task's data centre (anywhere without one)."""
        if volume_id is None and self.data_center is not None:
            volumes = [v for v in volumes if v["data_center"] == self.data_center]
            hint = "set id to choose one"
        else:
            hint = "set data_center or id to choose one"
        return find_one(volumes, self.kind, volume_id, name, hint=hint, describe=described)

    def changes(self, view, desired):
        return sorted(differences(view, dict((o, desired[o]) for o in COMPARED if o in desired)))

    def predict(self, view, desired):
        predicted = dict(view) if view else dict(id=None, name=desired.get("name"), size=None, data_center=desired.get("data_center"), endpoint_ids=[])
        predicted.update((o, desired[o]) for o in COMPARED if o in desired)
        return predicted

    def plan(self, view, desired, state="present"):
        """The base's plan, after the refusals that keep a volume's data: another data centre, a smaller size,
        and (to delete) a name or data centre that is not the volume's."""
        if view is not None:
            label = labelled("Network volume", view)
            if desired.get("data_center") not in (None, view["data_center"]):
                raise ModelError(
                    "%s is in %s: the data centre is fixed at creation, so data_center %s is refused; %s. Leave id out to "
                    "create one by name, size and data_center%s"
                    % (label, view["data_center"], desired["data_center"], NEW_AND_EMPTY, "" if state == "present" else " (nothing was deleted)"),
                    "invalid_option",
                )
            if state == "absent" and desired.get("name") not in (None, view["name"]):
                raise ModelError(
                    "%s is not named %r: nothing was deleted (correct the name, or leave it out to delete by id)" % (label, desired["name"]), "invalid_option"
                )
            if state == "present" and None not in (desired.get("size"), view.get("size")) and desired["size"] < view["size"]:
                raise ModelError(
                    "%s has %d GB: a network volume's size can grow, never shrink, so size %d is refused" % (label, view["size"], desired["size"]),
                    "invalid_option",
                )
        return Resource.plan(self, view, desired, state)

    def retire(self, outcome):
        """Delete the volume of ``outcome``, refused while an endpoint names it, and while the endpoints are
        not all known (check mode predicts the same refusals)."""
        view = outcome.before
        label = labelled("Network volume", view)
        users = self.users(view["id"])
        if users:
            them = "it" if len(users) == 1 else "them"
            raise in_use_error(
                label, [labelled("endpoint", e) for e in users], "Detach it from %s (network_volume_id, network_volume_ids) or delete %s first" % (them, them)
            )
        if not self.users_complete:
            raise ModelError(
                "%s was not deleted: the account's list of endpoints came back with %d endpoints, the most the API lists, "
                "so an endpoint beyond them may use the volume. Check those endpoints by hand" % (label, LIST_CAP),
                "list_incomplete",
            )
        if not self.check_mode:
            self.send_delete(view)
        self.actions.append("delete %s" % self.label(view))


def _incomplete_users():
    return "endpoint_ids may miss endpoints: the account's list of endpoints came back with %d endpoints, the most the API lists" % LIST_CAP


def converge_network_volume(run):
    """The work of tensorone_network_volume."""
    params = run.params
    run.warnings.extend(padded_warnings("network volume", [("name", params.get("name"))]))
    volumes = NetworkVolumes(run)
    account = volumes.read()
    volume = volumes.select(account, params.get("id"), params.get("name"))
    if params["state"] == "present" and volume is None:
        if params.get("id") is not None:
            raise ModelError(
                "No network volume with id %r exists; id only selects an existing volume (leave it out to create one by name, size and data_center)"
                % params["id"],
                "not_found",
            )
        elsewhere = [v for v in account if v["name"] == params["name"] and v["data_center"] != params.get("data_center")]
        if elsewhere and params.get("data_center") is not None:
            run.warnings.append(
                "Network volume %r is not in %s but in %s: this run creates a new, empty volume in %s (data is not copied between data centres)"
                % (params["name"], params["data_center"], ", ".join("%s (%s)" % (v["data_center"], v["id"]) for v in elsewhere), params["data_center"])
            )
    step = volumes.plan(volume, desired_from(params, FIELDS), params["state"])
    if params["state"] == "present" and not volumes.users_complete:
        run.warnings.append(_incomplete_users())
    outcome = volumes.carry_out(step)
    result = dict(changed=outcome.changed, network_volume=outcome.after)
    if run.diff:
        result["diff"] = dict(before=diff_view(outcome.before, VIEW_KEYS[1:]), after=diff_view(outcome.after, VIEW_KEYS[1:]))
    return result


def read_network_volumes(run):
    """The work of tensorone_network_volume_info: every volume, or those with this id, name and data centre."""
    params = run.params
    volumes = NetworkVolumes(run)
    found = [v for v in listed(volumes.read(), params.get("id"), params.get("name")) if params.get("data_center") in (None, v["data_center"])]
    if not volumes.users_complete:
        run.warnings.append(_incomplete_users())
    return dict(changed=False, network_volumes=found)


# --- endpoints that name their volumes -----------------------------------------


class VolumeReference(Reference):
    """An endpoint's option that names network volumes (``network_volume``, one name; ``network_volumes``,
    names or ``{name, data_center}``), resolved to the ids of its id option from the volumes read with
    the endpoints. Names are not unique: one is looked for in its data centre when the task gives it,
    else within the data centres the endpoint may use (its locations; anywhere without)."""

    hint = "name its data centre ({name, data_center} in network_volumes) or give its id"

    def describe(self, candidate):
        return described(candidate)

    def listing(self, candidate):
        return "%r (%s)" % (candidate.get("name"), described(candidate))

    def resolve_within(self, run, item, where, volumes, locations, data_centers):
        """``item`` with the names of this option resolved to ids, each within ``locations`` (the endpoint's,
        as the task sets them or as read); ``data_centers`` are the catalogue's ids (None: not read). Two
        volumes of one data centre are refused before any change (an endpoint takes one per data centre)."""
        given = item.get(self.option)
        if given is None or item.get("state", "present") != "present":
            return item
        single = not isinstance(given, list)
        chosen = []
        for wanted in [given] if single else given:
            name, data_center = (wanted.get("name"), wanted.get("data_center")) if isinstance(wanted, dict) else (wanted, None)
            if data_center is not None:
                among, within, hint = [v for v in volumes if v["data_center"] == data_center], " in %s" % data_center, "give its id"
            else:
                among, within, hint = self.within(volumes, locations, data_centers)
            volume_id = self.match(run, name, volumes, where, among=among, within=within, hint=hint)
            known = [v for v in volumes if v["id"] == volume_id]
            chosen.append(known[0] if known else dict(id=volume_id, name=name, data_center=data_center))
        one_per_data_center(chosen, self.option, where)
        ids = [v["id"] for v in chosen]
        return dict(item, **{self.id_option: ids[0] if single else ids})

    def within(self, volumes, locations, data_centers):
        """(the volumes an endpoint with these ``locations`` may attach, how messages say where they were looked
        for, the advice for a name several of them have). A location is the id of a data centre (one of
        ``data_centers``, or of a volume) or else a region code: no field of the API says which data centres
        a region covers, so a volume outside those named by id stays a candidate while a region is named."""
        if not locations:
            return volumes, "", self.hint
        known = set(data_centers or ()) | set(v["data_center"] for v in volumes)
        regions = [token for token in locations if token not in known]
        among = [v for v in volumes if regions or v["data_center"] in locations]
        within = " in the data centres of locations %s" % ",".join(locations)
        if not regions:
            return among, within, self.hint
        return (
            among,
            within,
            "locations name %s, whose data centres the API does not list, so any of them may be meant: %s"
            % (
                " and ".join(regions),
                self.hint,
            ),
        )


def one_per_data_center(volumes, option, where):
    """Refuse two of ``volumes`` ({id, name, data_center}; a data centre None is unknown) in one data centre."""
    seen = {}
    for volume in volumes:
        data_center = volume["data_center"]
        if data_center is None:
            continue
        if data_center not in seen:
            seen[data_center] = volume
            continue
        first = seen[data_center]
        if first["id"] == volume["id"] and not isinstance(volume["id"], PendingId):
            message = "%s names network volume %r (%s) twice" % (option, volume["name"], volume["id"])
        else:
            message = "%s names two network volumes in %s, %s and %s: an endpoint takes at most one network volume per data centre" % (
                option,
                data_center,
                _named(first),
                _named(volume),
            )
        raise refused(where, message, "invalid_option")


def _named(volume):
    return "%r (%s)" % (volume["name"], "not created yet" if isinstance(volume["id"], PendingId) else volume["id"])


NETWORK_VOLUME_REFERENCE = VolumeReference("network volume", "network_volume", "network_volume_id", "endpoint", "tensorone.cloud.tensorone_network_volume")
NETWORK_VOLUMES_REFERENCE = VolumeReference("network volume", "network_volumes", "network_volume_ids", "endpoint", "tensorone.cloud.tensorone_network_volume")
VOLUME_REFERENCES = (NETWORK_VOLUME_REFERENCE, NETWORK_VOLUMES_REFERENCE)
