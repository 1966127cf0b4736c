# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The service's catalogue (CONTRACT.md, "GPU types, pools and data centres"):
# GPU types, serverless GPU pools and data centres. Read-only for clients,
# the same for every account; each table starts with realistic defaults,
# which a seed extends or patches and a reset restores. Endpoints check
# their gpuIds and locations against it, network volumes their data centre.

import copy
from collections import OrderedDict

from .tables import ApiError, SeedError, Table, check_object

# Stock as the service labels it (mixed case), best first; anything else ("None", null) is no stock.
STOCKED = ("High", "Medium", "Low")
REGIONS = ("NORTH_AMERICA", "SOUTH_AMERICA", "EUROPE", "ASIA", "MIDDLE_EAST", "AFRICA", "OCEANIA", "ANTARCTICA", "UNKNOWN")
COMPLIANCE = ("GDPR", "ISO_IEC_27001", "ISO_14001", "PCI_DSS", "HITRUST", "SOC_1_TYPE_2", "SOC_2_TYPE_2", "SOC_3_TYPE_2", "ITAR", "FISMA_HIGH")

MSG_GPU_COUNT_REQUIRED = "gpuCount is required."

# -- GPU types ----------------------------------------------------------------------------

PRICES = ("securePrice", "communityPrice", "secureSpotPrice", "communitySpotPrice", "clusterPrice")
TERM_PRICES = ("oneWeekPrice", "oneMonthPrice", "threeMonthPrice", "sixMonthPrice", "oneYearPrice")
GPU_COUNTS = ("maxGpuCount", "maxGpuCountSecureCloud", "maxGpuCountCommunityCloud", "minPodGpuCount")
# Every stored field of a GPU type (GpuType, real schema), the order of the state dump;
# nodeGroupDatacenters and lowestPrice are derived from the data centres.
GPU_TYPE_FIELDS = (
    ("id", "displayName", "manufacturer", "memoryInGb", "cudaCores", "secureCloud", "communityCloud")
    + PRICES
    + TERM_PRICES
    + GPU_COUNTS
    + ("nodeGroupGpuSizes", "throughput")
)
GPU_TYPE_KINDS = dict(
    [(field, "str") for field in ("id", "displayName", "manufacturer")]
    + [(field, "int") for field in ("memoryInGb", "cudaCores", "throughput") + GPU_COUNTS]
    + [(field, "bool") for field in ("secureCloud", "communityCloud")]
    + [(field, "number") for field in PRICES + TERM_PRICES]
    + [("nodeGroupGpuSizes", "int_list")]
)
LOWEST_PRICE_FIELDS = (
    "gpuName",
    "gpuTypeId",
    "minimumBidPrice",
    "uninterruptablePrice",
    "stockStatus",
    "maxGpuCount",
    "maxUnreservedGpuCount",
    "availableGpuCounts",
    "minMemory",
    "minVcpu",
    "minDisk",
    "minDownload",
    "minUpload",
    "rentalPercentage",
    "rentedCount",
    "totalCount",
    "countryCode",
    "supportPublicIp",
    "compliance",
)
MAX_GPU_COUNT = 8


def _gpu_type(type_id, display_name, memory, cuda_cores, secure_price, community_price, cluster_sizes=()):
    """A default GPU type: prices per GPU and hour (None: not offered on that cloud), spot at half price."""
    record = OrderedDict((field, None) for field in GPU_TYPE_FIELDS)
    record.update(
        id=type_id,
        displayName=display_name,
        manufacturer="Nvidia",
        memoryInGb=memory,
        cudaCores=cuda_cores,
        secureCloud=secure_price is not None,
        communityCloud=community_price is not None,
        securePrice=secure_price,
        communityPrice=community_price,
        secureSpotPrice=None if secure_price is None else round(secure_price / 2, 2),
        communitySpotPrice=None if community_price is None else round(community_price / 2, 2),
        maxGpuCount=MAX_GPU_COUNT,
        maxGpuCountSecureCloud=MAX_GPU_COUNT if secure_price is not None else 0,
        maxGpuCountCommunityCloud=MAX_GPU_COUNT if community_price is not None else 0,
        minPodGpuCount=1,
        nodeGroupGpuSizes=list(cluster_sizes),
    )
    if cluster_sizes:
        record["clusterPrice"] = secure_price
    return record


# Ids are the full names the service uses (GpuTypeFilter.id, pool gpuTypeIds, gpuIds "-<id>" exclusions).
RTX_2000_ADA = "NVIDIA RTX 2000 Ada Generation"
RTX_A4000 = "NVIDIA RTX A4000"
RTX_A4500 = "NVIDIA RTX A4500"
RTX_4000_ADA = "NVIDIA RTX 4000 Ada Generation"
L4 = "NVIDIA L4"
RTX_A5000 = "NVIDIA RTX A5000"
RTX_3090 = "NVIDIA GeForce RTX 3090"
RTX_4090 = "NVIDIA GeForce RTX 4090"
RTX_5090 = "NVIDIA GeForce RTX 5090"
RTX_A6000 = "NVIDIA RTX A6000"
A40 = "NVIDIA A40"
L40 = "NVIDIA L40"
L40S = "NVIDIA L40S"
RTX_6000_ADA = "NVIDIA RTX 6000 Ada Generation"
A100_PCIE = "NVIDIA A100 80GB PCIe"
A100_SXM = "NVIDIA A100-SXM4-80GB"
H100_PCIE = "NVIDIA H100 PCIe"
H100_SXM = "NVIDIA H100 80GB HBM3"
H100_NVL = "NVIDIA H100 NVL"
H200 = "NVIDIA H200"
RTX_PRO_6000 = "NVIDIA RTX PRO 6000 Blackwell Server Edition"
B200 = "NVIDIA B200"

DEFAULT_GPU_TYPES = (
    _gpu_type(RTX_2000_ADA, "RTX 2000 Ada", 16, 2816, 0.24, 0.23),
    _gpu_type(RTX_A4000, "RTX A4000", 16, 6144, 0.32, 0.17),
    _gpu_type(RTX_A4500, "RTX A4500", 20, 7168, 0.34, 0.19),
    _gpu_type(RTX_4000_ADA, "RTX 4000 Ada", 20, 6144, 0.38, 0.2),
    _gpu_type(L4, "L4", 24, 7424, 0.43, None),
    _gpu_type(RTX_A5000, "RTX A5000", 24, 8192, 0.27, 0.16),
    _gpu_type(RTX_3090, "RTX 3090", 24, 10496, 0.43, 0.22),
    _gpu_type(RTX_4090, "RTX 4090", 24, 16384, 0.69, 0.34),
    _gpu_type(RTX_5090, "RTX 5090", 32, 21760, 0.94, 0.69),
    _gpu_type(RTX_A6000, "RTX A6000", 48, 10752, 0.49, 0.33),
    _gpu_type(A40, "A40", 48, 10752, 0.4, None),
    _gpu_type(L40, "L40", 48, 18176, 0.99, None),
    _gpu_type(L40S, "L40S", 48, 18176, 0.86, 0.79),
    _gpu_type(RTX_6000_ADA, "RTX 6000 Ada", 48, 18176, 0.77, 0.74),
    _gpu_type(A100_PCIE, "A100 PCIe", 80, 6912, 1.64, 1.19),
    _gpu_type(A100_SXM, "A100 SXM", 80, 6912, 1.74, 1.39, cluster_sizes=(8,)),
    _gpu_type(H100_PCIE, "H100 PCIe", 80, 14592, 2.39, 1.99),
    _gpu_type(H100_SXM, "H100 SXM", 80, 16896, 2.69, 2.69, cluster_sizes=(8,)),
    _gpu_type(H100_NVL, "H100 NVL", 94, 16896, 2.79, 2.59),
    _gpu_type(H200, "H200", 141, 16896, 3.59, None, cluster_sizes=(8,)),
    _gpu_type(RTX_PRO_6000, "RTX PRO 6000", 96, 24064, 1.79, None),
    _gpu_type(B200, "B200", 180, None, 5.99, None, cluster_sizes=(8,)),
)

# -- serverless GPU pools -------------------------------------------------------------------

# The pools gpuIds takes, each with its GPU types (the pool table of RunPod's documentation).
DEFAULT_POOLS = OrderedDict(
    [
        ("AMPERE_16", [RTX_A4000, RTX_A4500, RTX_4000_ADA, RTX_2000_ADA]),
        ("AMPERE_24", [L4, RTX_A5000, RTX_3090]),
        ("ADA_24", [RTX_4090]),
        ("ADA_32_PRO", [RTX_5090]),
        ("AMPERE_48", [RTX_A6000, A40]),
        ("ADA_48_PRO", [L40, L40S, RTX_6000_ADA]),
        ("AMPERE_80", [A100_PCIE, A100_SXM]),
        ("ADA_80_PRO", [H100_PCIE, H100_SXM, H100_NVL]),
        ("HOPPER_141", [H200]),
        ("BLACKWELL_96", [RTX_PRO_6000]),
        ("BLACKWELL_180", [B200]),
    ]
)
# The default pool ids: what gpuIds takes unless a seed adds pools.
GPU_POOLS = frozenset(DEFAULT_POOLS)
POOL_FIELDS = ("id", "gpuTypeIds")
POOL_KINDS = {"id": "str", "gpuTypeIds": "str_list"}

# -- data centres ---------------------------------------------------------------------------

# countryCode is the emulator's own (DataCenter has no such field): the region code that
# `locations` may give instead of the data centre's id ("US" for US-TX-3).
DATA_CENTER_FIELDS = (
    "id",
    "name",
    "location",
    "countryCode",
    "region",
    "storageSupport",
    "s3apiEnabled",
    "globalNetwork",
    "listed",
    "compliance",
    "gpuAvailability",
)
DATA_CENTER_KINDS = dict(
    [(field, "str") for field in ("id", "name", "location", "countryCode")]
    + [(field, "bool") for field in ("storageSupport", "s3apiEnabled", "globalNetwork", "listed")]
    + [("region", ("enum", REGIONS)), ("compliance", ("enums", COMPLIANCE)), ("gpuAvailability", ("objects", ("gpuTypeId", "stockStatus")))]
)
EU_COMPLIANCE = ["GDPR", "ISO_IEC_27001"]
US_COMPLIANCE = ["SOC_2_TYPE_2", "ISO_IEC_27001"]


def _data_center(dc_id, location, country, region, stock, storage=True, s3=False, global_network=False, compliance=()):
    """A default data centre; stock: (GPU type id, stock status) of each GPU type it holds."""
    return OrderedDict(
        [
            ("id", dc_id),
            ("name", dc_id),
            ("location", location),
            ("countryCode", country),
            ("region", region),
            ("storageSupport", storage),
            ("s3apiEnabled", s3),
            ("globalNetwork", global_network),
            ("listed", True),
            ("compliance", list(compliance)),
            ("gpuAvailability", [{"gpuTypeId": type_id, "stockStatus": status} for type_id, status in stock]),
        ]
    )


DEFAULT_DATA_CENTERS = (
    _data_center(
        "EU-RO-1",
        "Romania",
        "RO",
        "EUROPE",
        [
            (RTX_4090, "High"),
            (RTX_A5000, "Medium"),
            (RTX_5090, "Medium"),
            (L40S, "High"),
            (RTX_6000_ADA, "Medium"),
            (A100_PCIE, "Low"),
            (H100_SXM, "Medium"),
            (H200, "Low"),
        ],
        s3=True,
        global_network=True,
        compliance=EU_COMPLIANCE,
    ),
    _data_center(
        "EU-CZ-1",
        "Czech Republic",
        "CZ",
        "EUROPE",
        [(RTX_A4000, "High"), (RTX_A4500, "Medium"), (RTX_3090, "High"), (RTX_A6000, "High"), (A40, "Medium"), (L40, "Low")],
        compliance=EU_COMPLIANCE,
    ),
    _data_center(
        "EU-FR-1",
        "France",
        "FR",
        "EUROPE",
        [(RTX_2000_ADA, "High"), (RTX_4000_ADA, "High"), (L4, "Medium"), (A100_SXM, "Medium"), (H100_PCIE, "Low")],
        compliance=EU_COMPLIANCE + ["ISO_14001"],
    ),
    _data_center("EU-SE-1", "Sweden", "SE", "EUROPE", [(RTX_A5000, "High"), (RTX_A6000, "Medium"), (A40, "High")], compliance=EU_COMPLIANCE),
    _data_center(
        "EUR-IS-1",
        "Iceland",
        "IS",
        "EUROPE",
        [(RTX_3090, "Low"), (RTX_4090, "Medium"), (A100_SXM, "High"), (H100_NVL, "Medium")],
        s3=True,
        compliance=EU_COMPLIANCE,
    ),
    _data_center("EUR-NO-1", "Norway", "NO", "EUROPE", [(L40S, "Medium"), (RTX_6000_ADA, "High"), (RTX_PRO_6000, "Medium")], compliance=EU_COMPLIANCE),
    _data_center("EU-GB-1", "United Kingdom", "GB", "EUROPE", [(RTX_A4000, "Medium"), (L4, "High"), (RTX_4090, "Low")], compliance=["ISO_IEC_27001"]),
    _data_center(
        "US-TX-3",
        "Texas, United States",
        "US",
        "NORTH_AMERICA",
        [
            (L4, "High"),
            (RTX_3090, "Medium"),
            (RTX_4090, "High"),
            (RTX_A6000, "Medium"),
            (A40, "Low"),
            (A100_PCIE, "Medium"),
            (H100_PCIE, "Medium"),
            (H100_SXM, "High"),
        ],
        global_network=True,
        compliance=US_COMPLIANCE,
    ),
    _data_center(
        "US-KS-2",
        "Kansas, United States",
        "US",
        "NORTH_AMERICA",
        [(RTX_A4000, "High"), (RTX_A4500, "High"), (RTX_4000_ADA, "Medium"), (RTX_A5000, "Medium"), (RTX_5090, "High"), (L40S, "Low")],
        s3=True,
        compliance=US_COMPLIANCE,
    ),
    _data_center(
        "US-GA-1",
        "Georgia, United States",
        "US",
        "NORTH_AMERICA",
        # B200 is listed without stock: its lowestPrice is the object with null members.
        [(A100_SXM, "Low"), (H100_SXM, "Medium"), (H200, "Medium"), (RTX_PRO_6000, "Low"), (B200, None)],
        compliance=US_COMPLIANCE,
    ),
    _data_center(
        "US-CA-2", "California, United States", "US", "NORTH_AMERICA", [(RTX_4090, "Medium"), (L40, "Medium"), (RTX_6000_ADA, "Low"), (H100_NVL, "Low")]
    ),
    _data_center("CA-MTL-1", "Montreal, Canada", "CA", "NORTH_AMERICA", [(RTX_A5000, "Medium"), (RTX_3090, "High"), (A40, "Medium")]),
    _data_center("AP-JP-1", "Japan", "JP", "ASIA", [(RTX_4090, "Low"), (L40S, "Medium"), (H100_SXM, "Low")]),
    _data_center("OC-AU-1", "Australia", "AU", "OCEANIA", [(RTX_A4000, "Medium"), (RTX_4090, "Medium")]),
    # No network storage here: a volume cannot be created in it.
    _data_center("AP-IN-1", "India", "IN", "ASIA", [(H100_SXM, "High")], storage=False),
)
# The default data centre ids (what `locations` and a volume's dataCenterId take unless a seed adds some).
DATA_CENTERS = tuple(dc["id"] for dc in DEFAULT_DATA_CENTERS)


class Catalogue(Table):
    """A read-only list of the service: DEFAULTS at start and after a reset; a seed adds or patches
    entries by id (every entry has one: what the rest of the catalogue and the endpoints refer to)."""

    DEFAULTS = ()
    SEED_RANK = -3  # before what refers to it
    SEED_KINDS = {}

    def __init__(self, store):
        Table.__init__(self, store)
        self.clear()

    def clear(self):
        Table.clear(self)
        for record in self.DEFAULTS:
            self.records[record["id"]] = copy.deepcopy(record)

    def stored(self, record_id):
        """The stored record with this id, or None."""
        return self.records.get(record_id) if isinstance(record_id, str) else None

    def known(self, record_id):
        return self.stored(record_id) is not None

    def view(self, key):
        record = self.records[key]
        return None if record is None else dict(record)

    def new_seed_key(self, entry):
        return entry["id"]

    def check_seed_entry(self, entry):
        Table.check_seed_entry(self, entry)
        check_object(entry, self.SEED_KINDS, self.NOUN)
        if not isinstance(entry.get("id"), str):
            raise SeedError("each %s needs an id (a string)" % self.NOUN)


class GpuTypes(Catalogue):
    """The GPU types: what pools group and gpuIds exclusions name."""

    KEY = "gpuTypes"
    NOUN = "GPU type"
    FIELDS = GPU_TYPE_FIELDS
    DEFAULTS = DEFAULT_GPU_TYPES
    SEED_DEFAULTS = OrderedDict([("nodeGroupGpuSizes", [])])
    SEED_KINDS = GPU_TYPE_KINDS
    DERIVED = {
        "nodeGroupDatacenters": "nodeGroupDatacenters is derived: the data centres whose gpuAvailability lists the type (for a type with nodeGroupGpuSizes)",
        "lowestPrice": "lowestPrice is derived from the data centres' gpuAvailability and the type's prices",
    }

    def query_fields(self):
        return {"gpuTypes": lambda _info, **arguments: self.filtered(arguments.get("input") or {})}

    def filtered(self, gpu_filter):
        """gpuTypes(input: GpuTypeFilter), in catalogue order: `id` and `ids` keep the types they name
        (both given: both apply; `ids: []` keeps none); `cluster: true` keeps the types that make
        clusters (non-empty nodeGroupGpuSizes). Without a filter, every item, null ones included."""
        type_id, type_ids, cluster = gpu_filter.get("id"), gpu_filter.get("ids"), gpu_filter.get("cluster")
        kept = []
        for key, record in self.records.items():
            if record is None:
                if type_id is None and type_ids is None and not cluster:
                    kept.append(None)
                continue
            if type_id is not None and record["id"] != type_id:
                continue
            if type_ids is not None and record["id"] not in type_ids:
                continue
            if cluster and not record.get("nodeGroupGpuSizes"):
                continue
            kept.append(self.view(key))
        return kept

    def view(self, key):
        view = Catalogue.view(self, key)
        if view is not None:
            view["nodeGroupDatacenters"] = lambda _info, **_args: self._node_group_data_centers(view)
            view["lowestPrice"] = lambda _info, **arguments: self._lowest_price(view, arguments.get("input"))
        return view

    def _node_group_data_centers(self, gpu_type):
        if not gpu_type.get("nodeGroupGpuSizes"):
            return []
        data_centers = self.store.tables["dataCenters"]
        return [data_centers.view(key) for key, _stock in data_centers.holding(gpu_type["id"])]

    def _lowest_price(self, gpu_type, wanted):
        """LowestPrice for `gpuCount` GPUs: the best-stocked data centre that matches the input; without one
        (no stock, a filter that excludes all, more GPUs than the type has, no price on that cloud) an object
        whose members are all null, as the service answers (observed), not null."""
        if not wanted or wanted.get("gpuCount") is None:
            raise ApiError(MSG_GPU_COUNT_REQUIRED)
        empty = dict.fromkeys(LOWEST_PRICE_FIELDS)
        gpu_count, max_count = wanted["gpuCount"], gpu_type.get("maxGpuCount") or 0
        secure = wanted.get("secureCloud")
        cloud = "secure" if secure or (secure is None and gpu_type.get("securePrice") is not None) else "community"
        price = gpu_type.get(cloud + "Price")
        if not 1 <= gpu_count <= max_count or price is None:
            return empty
        data_centers = self.store.tables["dataCenters"]
        offers = [
            (STOCKED.index(stock), data_centers.records[key])
            for key, stock in data_centers.holding(gpu_type["id"])
            if stock in STOCKED and _matches(data_centers.records[key], wanted)
        ]
        if not offers:
            return empty
        rank, best = min(offers, key=lambda offer: offer[0])
        empty.update(
            gpuName=gpu_type.get("displayName"),
            gpuTypeId=gpu_type["id"],
            minimumBidPrice=gpu_type.get(cloud + "SpotPrice"),
            uninterruptablePrice=price,
            stockStatus=STOCKED[rank],
            maxGpuCount=max_count,
            availableGpuCounts=list(range(1, max_count + 1)),
            countryCode=best.get("countryCode"),
            compliance=best.get("compliance"),
        )
        return empty


def _matches(dc, wanted):
    """Whether a data centre meets the GpuLowestPriceInput filters the emulator applies (the others are ignored)."""
    if wanted.get("dataCenterId") is not None and dc["id"] != wanted["dataCenterId"]:
        return False
    if wanted.get("countryCode") is not None and dc.get("countryCode") != wanted["countryCode"]:
        return False
    if wanted.get("globalNetwork") and not dc.get("globalNetwork"):
        return False
    return all(item in (dc.get("compliance") or ()) for item in wanted.get("compliance") or ())


class ServerlessGpuPools(Catalogue):
    """The pools gpuIds takes, each with its GPU types."""

    KEY = "serverlessGpuPools"
    NOUN = "serverless GPU pool"
    FIELDS = POOL_FIELDS
    DEFAULTS = tuple(OrderedDict([("id", pool_id), ("gpuTypeIds", type_ids)]) for pool_id, type_ids in DEFAULT_POOLS.items())
    SEED_DEFAULTS = OrderedDict([("gpuTypeIds", [])])
    SEED_KINDS = POOL_KINDS

    def query_fields(self):
        return {"serverlessGpuPools": lambda _info: self.list()}


class DataCenters(Catalogue):
    """The data centres: what `locations` names, where a network volume lives, which GPU types each holds."""

    KEY = "dataCenters"
    NOUN = "data centre"
    FIELDS = DATA_CENTER_FIELDS
    DEFAULTS = DEFAULT_DATA_CENTERS
    SEED_DEFAULTS = OrderedDict([("compliance", []), ("gpuAvailability", [])])
    SEED_KINDS = DATA_CENTER_KINDS

    def read_fields(self):
        # myself.datacenters (lower-case c): every data centre, as the root list.
        return {"datacenters": lambda _info: self.list()}

    def query_fields(self):
        return {"dataCenters": lambda _info: self.list()}

    def view(self, key):
        view = Catalogue.view(self, key)
        if view is not None:
            rows = view["gpuAvailability"]
            # The input (gpuCount, minimum memory...) is accepted and not applied: the emulator has no machines to match.
            view["gpuAvailability"] = lambda _info, **_args: None if rows is None else [self._availability(row) for row in rows]
        return view

    def _availability(self, row):
        """GpuAvailability of one stored {gpuTypeId, stockStatus}: available when in stock; id is the GPU type's."""
        if row is None:
            return None
        gpu_types = self.store.tables["gpuTypes"]
        type_id = row.get("gpuTypeId")
        name = (gpu_types.stored(type_id) or {}).get("displayName")
        return {
            "id": type_id,
            "available": row.get("stockStatus") in STOCKED,
            "stockStatus": row.get("stockStatus"),
            "gpuTypeId": type_id,
            "gpuType": lambda _info, **_args: gpu_types.get(type_id),
            "gpuTypeDisplayName": name,
            "displayName": name,
        }

    def holding(self, type_id):
        """(key, stock status) of each data centre that lists the GPU type, in catalogue order."""
        return [(key, row.get("stockStatus")) for key, dc in self.items() for row in dc.get("gpuAvailability") or () if row and row.get("gpuTypeId") == type_id]

    def known_location(self, token):
        """A `locations` token: a data centre's id, or the region (country) code of one."""
        return any(token in (dc.get("id"), dc.get("countryCode")) for _key, dc in self.items())

    def allows(self, locations, dc_id):
        """Whether `locations` (comma-separated; empty or null: anywhere) lets workers run in that data centre."""
        if not locations:
            return True
        dc = self.stored(dc_id) or {}
        return any(token in (dc_id, dc.get("countryCode")) for token in locations.split(","))
