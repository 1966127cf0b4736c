# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Random playbooks under faults: a hypothesis state machine whose steps are what
# users and other tools do to an account (fleet and single endpoint tasks,
# templates, check mode, renames, prunes; edits, deletes and dying workers
# behind the collection's back), each task checked by the module's own argument
# spec and checks and run through its own work function, against the in-process
# emulator on a virtual clock (inprocess.py), with faults drawn per request.
# After every step the invariants (stateful_machine.py) are checked against the
# emulator's state and request log.
#
# Budgets, counted in examples and steps:
# - quick (the default, in `make test`): derandomised, a fixed number of
#   examples per emulator profile;
# - long (`make soak`, TENSORONE_STATEFUL=long): random seeds (or
#   TENSORONE_STATEFUL_SEEDS=1,2,...), TENSORONE_STATEFUL_EXAMPLES examples of
#   TENSORONE_STATEFUL_STEPS steps per seed and profile.
# Both print their figures (pytest -s shows them).

import os
import random
import time

import pytest
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.stateful import run_state_machine_as_test

from ansible_collections.tensorone.cloud.tests.unit.plugins.module_utils.stateful_machine import (
    FIGURES,
    DocumentedAccount,
    FullAccount,
    collection_modules_reading,
)

LONG = os.environ.get("TENSORONE_STATEFUL") == "long"
EXAMPLES = int(os.environ.get("TENSORONE_STATEFUL_EXAMPLES", 60 if LONG else 100))
STEPS = int(os.environ.get("TENSORONE_STATEFUL_STEPS", 60 if LONG else 40))


def budget(derandomize):
    return settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        derandomize=derandomize,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        # no explain phase: it traces every line, and makes shrinking a failure take minutes
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    )


def seeds():
    given = os.environ.get("TENSORONE_STATEFUL_SEEDS")
    if given:
        return [int(s) for s in given.split(",") if s.strip()]
    return [random.SystemRandom().randrange(2**32) for _seed in range(int(os.environ.get("TENSORONE_STATEFUL_SEED_COUNT", 2)))]


@pytest.mark.parametrize("machine", [FullAccount, DocumentedAccount], ids=["full", "documented"])
def test_random_playbooks_under_faults_converge_and_touch_nothing_undeclared(machine):
    FIGURES.reset()
    started = time.monotonic()
    caps = [(module.__name__, module.LIST_CAP) for module in collection_modules_reading("LIST_CAP")]
    assert len(caps) >= 3  # _resource, and the _endpoint and _template that import it
    if LONG:
        for number in seeds():
            FIGURES.seeds.append(number)
            seeded = seed(number)(type(machine.__name__, (machine,), {}))
            run_state_machine_as_test(seeded, settings=budget(derandomize=False))
    else:
        run_state_machine_as_test(machine, settings=budget(derandomize=True))
    print("\n" + FIGURES.report(machine.PROFILE, time.monotonic() - started))
    # the lowered list cap of the capped accounts was undone at each one's teardown
    assert [(module.__name__, module.LIST_CAP) for module in collection_modules_reading("LIST_CAP")] == caps
    assert FIGURES.steps >= EXAMPLES  # every example ran steps
    assert FIGURES.violations == 0
