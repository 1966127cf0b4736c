# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The collection's version lives in one constant (the User-Agent sends it);
# galaxy.yml must say the same.

import os

import yaml

from ansible_collections.tensorone.cloud.plugins.module_utils import _api

GALAXY_YML = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "galaxy.yml")


def test_collection_version_is_the_one_in_galaxy_yml():
    with open(GALAXY_YML) as galaxy:
        assert _api.COLLECTION_VERSION == yaml.safe_load(galaxy)["version"]


def test_user_agent_names_the_collection_and_its_version():
    assert _api.USER_AGENT.startswith("tensorone.cloud/%s " % _api.COLLECTION_VERSION)
