# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# One table per resource (README.md, "Adding a resource"): every table in
# state.TABLES is in the state dump, the seed, the state file and the
# request log's counters, and seed() seeds several tables at once.

import json

import pytest
import requests

from ansible_collections.tensorone.cloud.tests.emulator import MUTATION_KINDS
from ansible_collections.tensorone.cloud.tests.emulator.state import TABLES
from ansible_collections.tensorone.cloud.tests.unit.emulator.accounts import EMPTY_STATE

KEYS = [table.KEY for table in TABLES]


def test_every_table_is_dumped_saved_and_counted(emulator_factory, tmp_path):
    state_file = str(tmp_path / "state.json")
    emulator = emulator_factory(state_file=state_file)
    before = emulator.state()
    # (a new record names itself where the table has names; the catalogue's records need ids)
    emulator.seed(**dict((table.KEY, [dict({"id": "seeded-" + table.KEY}, **({"name": "seeded"} if "name" in table.FIELDS else {}))]) for table in TABLES))
    assert list(emulator.state()) == KEYS
    # each table holds what it held (nothing, or the catalogue's defaults), then the seeded record
    assert all([item["id"] for item in emulator.state()[key]] == [item["id"] for item in before[key]] + ["seeded-" + key] for key in KEYS)
    with open(state_file) as handle:
        assert list(json.load(handle)) == ["format"] + KEYS
    kinds = [kind for table in TABLES for mutation in table.MUTATIONS for kind in (mutation.kind, mutation.update_kind) if kind]
    assert list(MUTATION_KINDS) == kinds
    counters = emulator.log()["counters"]
    assert all(counters[kind] == 0 and counters["applied_" + kind] == 0 for kind in kinds)


def test_seed_in_python_answers_as_the_control_path(emulator_factory):
    payload = {
        "endpoints": [{"id": "seededendpoint", "name": "uses-it", "templateId": "seededtpl1", "gpuIds": "AMPERE_16"}],
        "templates": [{"id": "seededtpl1", "name": "seeded", "imageName": "img:1", "containerDiskInGb": 5}],
    }
    by_python, by_http = emulator_factory(), emulator_factory()
    answer = by_python.seed(**payload)
    response = requests.post(by_http.url + "/_emulator/seed", data=json.dumps(payload), timeout=10)
    assert response.status_code == 200 and response.json() == answer
    assert list(answer) == ["templates", "endpoints"]  # what endpoints refer to is seeded first
    assert by_python.state() == by_http.state() and answer["templates"][0]["id"] == "seededtpl1"


def test_seed_in_python_checks_every_list_first(emulator):
    with pytest.raises(ValueError, match="unknown endpoint field"):
        emulator.seed(templates=[{"name": "fine"}], endpoints=[{"name": "bad", "bogus": 1}])
    with pytest.raises(ValueError) as refused:
        emulator.seed(volumes=[])
    assert all('{"%s": [...]}' % key in str(refused.value) for key in KEYS)
    with pytest.raises(ValueError, match="expected"):
        emulator.seed()
    assert emulator.state() == EMPTY_STATE
