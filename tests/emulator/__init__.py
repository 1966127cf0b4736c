# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Local Tensor One API emulator: see README.md beside this file; the API
# contract it follows is CONTRACT.md.
# Importable as ansible_collections.tensorone.cloud.tests.emulator (unit
# tests) and as `emulator` with PYTHONPATH=tests (the command line), hence
# the relative imports throughout.

from .faults import DEFAULT_FAULTS, MUTATION_KINDS
from .server import EmulatorServer, loopback_host
from .service import DEFAULT_PROFILE, GENERIC_ERROR, PROFILES, TOO_MANY_REQUESTS, UNAUTHORIZED, Emulator
from .state import CLUSTER_STATUSES, GPU_POOLS, LIVE_STATUSES, OPTIONAL_DEFAULTS

__all__ = [
    "CLUSTER_STATUSES",
    "DEFAULT_FAULTS",
    "DEFAULT_PROFILE",
    "GENERIC_ERROR",
    "GPU_POOLS",
    "LIVE_STATUSES",
    "MUTATION_KINDS",
    "OPTIONAL_DEFAULTS",
    "PROFILES",
    "TOO_MANY_REQUESTS",
    "UNAUTHORIZED",
    "Emulator",
    "EmulatorServer",
    "loopback_host",
]
