# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.tensorone.cloud.plugins.module_utils._env import secret_references


@pytest.mark.parametrize(
    "values, names",
    [
        (["{{ TENSORONE_SECRET_hf_token }}"], {"hf_token"}),
        (["postgres://app:{{RUNPOD_SECRET_db_password}}@db/app"], {"db_password"}),  # both spellings, inside a value
        (["{{ TENSORONE_SECRET_a }} and {{ TENSORONE_SECRET_b }}"], {"a", "b"}),
        (["{{ OTHER_hf_token }}", "TENSORONE_SECRET_x", "{{ TENSORONE_SECRET_ }}", None, 3], set()),
    ],
)
def test_secret_references_finds_both_spellings_and_nothing_else(values, names):
    assert secret_references(values) == names
