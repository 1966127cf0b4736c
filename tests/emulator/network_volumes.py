# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The account's network volumes (CONTRACT.md, "Network volumes"): names that
# need not be unique, a size that only grows, a data centre fixed at
# creation, and the endpoints that attach them.

from collections import OrderedDict

from .tables import MSG_REQUIRED, ApiError, Mutation, Table, check_object, require_text

# What a volume stores (NetworkVolume, real schema), the order of the state dump; dataCenter is
# resolved from the catalogue. storageClusterId stays null unless seeded.
VOLUME_FIELDS = ("id", "name", "size", "dataCenterId", "storageClusterId")
# Ids: 10 characters [a-z0-9], like the service's volume ids.
VOLUME_ID_LENGTH = 10
# GB; the sources differ (0..4000, 10..4096): the stricter bound of each.
SIZE_MIN, SIZE_MAX = 10, 4000

MSG_VOLUME_NOT_FOUND = "Network volume not found"
MSG_SIZE_RANGE = "size must be between %d and %d GB." % (SIZE_MIN, SIZE_MAX)
MSG_SIZE_SHRINK = "size cannot be decreased: the volume has {size} GB."
MSG_DATA_CENTER_UNKNOWN = 'dataCenterId "{id}" is not a data centre.'
MSG_DATA_CENTER_NO_STORAGE = 'Data centre "{id}" does not support network volumes.'
MSG_USER_ID = "userId cannot be set: a volume belongs to the account of the key."
MSG_VOLUME_IN_USE = 'Network volume "{id}" is in use by {count} endpoint(s) and cannot be deleted.'

SEED_KINDS = {"id": "str", "name": "str", "size": "int", "dataCenterId": "str", "storageClusterId": "str"}


class NetworkVolumes(Table):
    """The network volumes of the account; an endpoint attaches them by networkVolumeId or networkVolumeIds."""

    KEY = "networkVolumes"
    NOUN = "network volume"
    ID_LENGTH = VOLUME_ID_LENGTH
    SEED_RANK = -1  # before the endpoints that attach them
    FIELDS = VOLUME_FIELDS
    MSG_NOT_FOUND = MSG_VOLUME_NOT_FOUND
    MUTATIONS = (
        Mutation("createNetworkVolume", "network_volume_create", None, lambda table, arguments: table.create(arguments["input"])),
        Mutation("updateNetworkVolume", "network_volume_update", None, lambda table, arguments: table.update(arguments["input"])),
        # A Void: null on success.
        Mutation("deleteNetworkVolume", "network_volume_delete", None, lambda table, arguments: table.delete(arguments["input"]["id"])),
    )

    def read_fields(self):
        return {"networkVolumes": lambda _info: self.list()}

    def view(self, key):
        record = self.records[key]
        if record is None:
            return None
        view = dict(record)
        view["dataCenter"] = lambda _info, **_args: self.store.tables["dataCenters"].get(record.get("dataCenterId"))
        return view

    def stored(self, volume_id):
        """The stored volume with this id, or None."""
        return self.records.get(volume_id) if isinstance(volume_id, str) else None

    # -- rules -------------------------------------------------------------

    def create(self, fields):
        """Every input field is optional in the schema; name, size and dataCenterId are required here
        (the service's REST API requires them), and userId is refused."""
        require_text(fields, ("name",))
        _check_size(fields.get("size"))
        require_text(fields, ("dataCenterId",))
        data_center = self.store.tables["dataCenters"].stored(fields["dataCenterId"])
        if data_center is None:
            raise ApiError(MSG_DATA_CENTER_UNKNOWN.format(id=fields["dataCenterId"]))
        if not data_center.get("storageSupport"):
            raise ApiError(MSG_DATA_CENTER_NO_STORAGE.format(id=fields["dataCenterId"]))
        if fields.get("userId") is not None:
            raise ApiError(MSG_USER_ID)
        volume_id = self.new_id()
        self.records[volume_id] = OrderedDict(
            [("id", volume_id), ("name", fields["name"]), ("size", fields["size"]), ("dataCenterId", fields["dataCenterId"]), ("storageClusterId", None)]
        )
        return self.view(volume_id)

    def update(self, fields):
        """A rename and a new size, both required (whether the service keeps an omitted one is unknown);
        the size only grows; the data centre stays (the input has none)."""
        current = self.current(fields["id"])
        require_text(fields, ("name",))
        size = fields.get("size")
        if size is not None and current.get("size") is not None and size < current["size"]:
            raise ApiError(MSG_SIZE_SHRINK.format(size=current["size"]))
        _check_size(size)
        current.update(name=fields["name"], size=size)
        return self.view(fields["id"])

    def delete(self, volume_id):
        """Refused while an endpoint refers to the volume (by networkVolumeId or in networkVolumeIds)."""
        self.current(volume_id)
        users = self.store.tables["endpoints"].using_volume(volume_id)
        if users:
            raise ApiError(MSG_VOLUME_IN_USE.format(id=volume_id, count=len(users)))
        del self.records[volume_id]

    # -- seed ----------------------------------------------------------------

    def check_seed_entry(self, entry):
        Table.check_seed_entry(self, entry)
        check_object(entry, SEED_KINDS, self.NOUN)


def _check_size(size):
    if size is None:
        raise ApiError(MSG_REQUIRED.format(field="size"))
    if not SIZE_MIN <= size <= SIZE_MAX:
        raise ApiError(MSG_SIZE_RANGE)
