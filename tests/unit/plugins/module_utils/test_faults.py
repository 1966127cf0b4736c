# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The transport (_api.Client) and the endpoint steps (_endpoint.Endpoints)
# against the in-process emulator with its faults switched on : many seeds of transient 5xx/429/resets, lost responses, persistent
# failures, timeouts and two clients racing. Each "run" below is what one
# module run does: a fresh Client, one read, a plan, the mutations.
# Backoff sleeps are recorded, not slept, except in the timing tests.

import re
import threading
import time

import pytest

from ansible_collections.tensorone.cloud.plugins.module_utils._api import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    RETRY_AFTER_MAX,
    APIError,
    Client,
)
from ansible_collections.tensorone.cloud.plugins.module_utils._endpoint import (
    Endpoints,
    converge_endpoint,
    plan_endpoint,
)
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import Run
from ansible_collections.tensorone.cloud.tests.emulator.pytest_plugin import emulator  # noqa: F401 pylint: disable=unused-import

SEEDS = range(20)
TRANSIENT = dict(rate_5xx=0.25, rate_429=0.10, retry_after=0)
NAMES = ["fault-%d" % i for i in range(5)]


def create_params(name, index):
    return dict(
        state="present",
        name=name,
        template_id="tpl-faults",
        gpu_ids=["AMPERE_48", "ADA_48_PRO"],
        locations=["US", "CZ"],
        idle_timeout=10 + index,
        scaler_type="REQUEST_COUNT",
        scaler_value=2,
        workers_min=1,
        workers_max=2,
    )


def update_params(name, index):
    return dict(state="present", name=name, gpu_ids=["ADA_48_PRO", "AMPERE_48"], idle_timeout=100 + index, scaler_value=3, workers_max=3)


def expected_record(name, index, updated):
    """The stored API record (without id and clusters) create_params, then update_params, must leave."""
    return dict(
        name=name,
        templateId="tpl-faults",
        gpuIds="ADA_48_PRO,AMPERE_48" if updated else "AMPERE_48,ADA_48_PRO",
        idleTimeout=(100 if updated else 10) + index,
        locations="US,CZ",
        networkVolumeId=None,
        scalerType="REQUEST_COUNT",
        scalerValue=3 if updated else 2,
        workersMin=1,
        workersMax=3 if updated else 2,
    )


class Runs:
    """Module runs against one emulator, with totals of what the clients did."""

    def __init__(self, server, retries=5, timeout=5):
        self.server = server
        self.retries = retries
        self.timeout = timeout
        self.slept = []
        self.requests_sent = 0
        self.retries_done = 0

    def run(self, params, wait_timeout=30):
        """One module run: returns its Step; APIError/ModelError propagate, as the module reports them."""
        client = Client(self.server.graphql_url, self.server.api_key, timeout=self.timeout, retries=self.retries, sleep=self.slept.append)
        run = Run(client, dict(params, wait_timeout=wait_timeout), sleep=lambda seconds: None)
        try:
            converge_endpoint(run)
            return run.outcomes[0]
        finally:
            self.requests_sent += client.requests_sent
            self.retries_done += client.retries_done
            client.session.close()


def records(server):
    """{name: stored record without id and clusters} (asserts the names are unique)."""
    endpoints = server.state()["endpoints"]
    names = [e["name"] for e in endpoints]
    assert len(names) == len(set(names)), "duplicate endpoints: %s" % names
    return dict((e["name"], dict((k, v) for k, v in e.items() if k not in ("id", "clusters"))) for e in endpoints)


def log_entries(server, **match):
    return [e for e in server.log()["requests"] if all(e.get(k) == v for k, v in match.items())]


def assert_no_create_sent_twice(server):
    """Every create that reached the service (no fault before it) was applied: none was refused
    as a duplicate name, which is what a blind re-send of an applied create gets."""
    reached = [e for e in log_entries(server, mutation_kind="create") if e["fault"] in (None, "drop_after_apply")]
    assert all(e["applied"] for e in reached), reached


# --- item 1: transient faults --------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_transient_faults_converge_exactly_without_duplicates(emulator, seed):  # pylint: disable=redefined-outer-name
    """25% 5xx + 10% 429: create, update, delete 5 endpoints; no run fails (api_retries 10),
    the state is exact after each phase, no create is sent twice, every fault was retried once."""
    emulator.configure(worker_quota=100)
    emulator.set_faults(seed=seed, **TRANSIENT)
    runs = Runs(emulator, retries=10)
    ids = {}
    for index, name in enumerate(NAMES):
        step = runs.run(create_params(name, index))
        assert step.action == "create"
        ids[name] = step.after["id"]
    assert records(emulator) == dict((n, expected_record(n, i, False)) for i, n in enumerate(NAMES))
    assert_no_create_sent_twice(emulator)
    assert emulator.log()["counters"]["applied_create"] == len(NAMES)

    for index, name in enumerate(NAMES):
        step = runs.run(update_params(name, index))
        assert step.action == "update" and step.after["id"] == ids[name]
    assert records(emulator) == dict((n, expected_record(n, i, True)) for i, n in enumerate(NAMES))

    for name in NAMES:
        assert runs.run(dict(state="absent", name=name)).action == "delete"
    assert emulator.state()["endpoints"] == []

    counters = emulator.log()["counters"]
    assert counters["create"] - len(log_entries(emulator, mutation_kind="create", fault="5xx")) - len(
        log_entries(emulator, mutation_kind="create", fault="429")
    ) == len(NAMES)
    assert counters["applied_delete"] == len(NAMES)
    # each injected fault cost exactly one retry, and nothing else was sent
    assert counters["faults"] > 0
    assert runs.retries_done == counters["faults"]
    assert runs.requests_sent == counters["requests"]
    assert len(runs.slept) == runs.retries_done


@pytest.mark.parametrize("seed", SEEDS)
def test_with_default_retries_a_run_converges_or_fails_cleanly_and_a_rerun_converges(emulator, seed):  # pylint: disable=redefined-outer-name
    """Heavier faults (45% 5xx, 15% 429, 5% resets) and the default api_retries 5: a run may give up,
    saying so; whatever happened, re-running the same task converges, with no duplicate."""
    emulator.configure(worker_quota=100)
    emulator.set_faults(seed=seed, rate_5xx=0.45, rate_429=0.15, rate_reset=0.05, retry_after=0)
    runs = Runs(emulator, retries=5)
    give_ups = 0
    for phase in ("create", "update", "absent"):
        for index, name in enumerate(NAMES):
            params = {"create": create_params, "update": update_params}.get(phase, lambda n, i: dict(state="absent", name=n))(name, index)
            for _attempt in range(30):
                try:
                    runs.run(params)
                    break
                except APIError as exc:
                    give_ups += 1
                    assert exc.attempts == 6 and exc.message.endswith("gave up after 6 attempts (api_retries=5)"), exc.message
                    assert exc.kind in ("http", "rate_limit", "connection")
                    records(emulator)  # no duplicate, even after a failed run
            else:
                pytest.fail("30 runs did not converge %s %s" % (phase, name))
        if phase == "create":
            assert records(emulator) == dict((n, expected_record(n, i, False)) for i, n in enumerate(NAMES))
        elif phase == "update":
            assert records(emulator) == dict((n, expected_record(n, i, True)) for i, n in enumerate(NAMES))
    assert emulator.state()["endpoints"] == []
    assert_no_create_sent_twice(emulator)
    assert emulator.log()["counters"]["applied_create"] == len(NAMES)
    assert runs.retries_done > 0


# --- item 2: lost responses --------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("kind", ["create", "update", "delete"])
def test_a_lost_response_is_recovered_in_the_same_run(emulator, kind, seed):  # pylint: disable=redefined-outer-name
    """The service applies the mutation and the connection dies; transient faults around it."""
    emulator.configure(worker_quota=100)
    runs = Runs(emulator, retries=10)
    if kind != "create":
        runs.run(create_params("lost", 0))
    emulator.clear_log()
    emulator.set_faults(seed=seed, rate_reset=0.1, drop_after_apply=[kind, "update"] if kind == "delete" else [kind], **TRANSIENT)
    params = {"create": create_params("lost", 0), "update": update_params("lost", 0), "delete": dict(state="absent", name="lost")}[kind]
    step = runs.run(params)  # no exception: recovered in the same run
    assert step.changed
    drops = log_entries(emulator, fault="drop_after_apply")
    assert [e["mutation_kind"] for e in drops] == (["update", "delete"] if kind == "delete" else [kind])
    assert all(e["applied"] for e in drops)
    if kind == "delete":
        assert emulator.state()["endpoints"] == []
        assert emulator.log()["counters"]["applied_delete"] == 1
    else:
        assert records(emulator) == {"lost": expected_record("lost", 0, kind == "update")}
        assert step.after["id"] == emulator.state()["endpoints"][0]["id"]
    assert_no_create_sent_twice(emulator)
    assert emulator.log()["counters"]["applied_create"] == (1 if kind == "create" else 0)


def test_a_lost_create_without_retries_is_recovered_by_the_name_lookup(emulator):  # pylint: disable=redefined-outer-name
    """The lookup after an ambiguous failure is not a retry: api_retries=0 still finds the endpoint."""
    emulator.set_faults(drop_after_apply=["create"])
    step = Runs(emulator, retries=0).run(create_params("lost", 0))
    assert step.action == "create" and step.after["name"] == "lost"
    assert records(emulator) == {"lost": expected_record("lost", 0, False)}
    assert emulator.log()["counters"]["create"] == 1
    emulator.clear_log()
    step = Runs(emulator).run(create_params("lost", 0))
    assert step.action == "none"
    assert emulator.log()["counters"]["mutations"] == 0


# --- item 3: every request fails ---------------------------------------------------

PERSISTENT = {
    "5xx": (dict(rate_5xx=1.0), "http", r"^The API answered HTTP 50[234]: Something went wrong"),
    "429": (dict(rate_429=1.0, retry_after=0), "rate_limit", r"^Rate limited by the API \(HTTP 429\)"),
    "reset": (dict(rate_reset=1.0), "connection", r"^Could not get a response from 127\.0\.0\.1:\d+"),
}


@pytest.mark.parametrize("retries", [0, 1, 3])
@pytest.mark.parametrize("failure", sorted(PERSISTENT))
def test_persistent_failure_gives_up_after_api_retries_and_changes_nothing(emulator, failure, retries):  # pylint: disable=redefined-outer-name
    faults, kind, message = PERSISTENT[failure]
    Runs(emulator).run(create_params("steady", 0))
    before = emulator.state()
    emulator.clear_log()
    emulator.set_faults(**faults)
    runs = Runs(emulator, retries=retries)
    for params in (update_params("steady", 0), create_params("new", 1), dict(state="absent", name="steady")):
        with pytest.raises(APIError) as info:
            runs.run(params)
        assert info.value.kind == kind and info.value.attempts == retries + 1
        assert info.value.message.endswith("; gave up after %d attempts (api_retries=%d)" % (retries + 1, retries))
        assert re.search(message, info.value.message), info.value.message
    counters = emulator.log()["counters"]
    assert counters["requests"] == counters["faults"] == 3 * (retries + 1)
    assert counters["mutations"] == 0
    assert emulator.state() == before
    # the waits between attempts follow the backoff: exponential for 5xx and resets, Retry-After for 429
    assert len(runs.slept) == 3 * retries
    for number, seconds in zip(list(range(1, retries + 1)) * 3, runs.slept):
        if failure == "429":
            assert 0 <= seconds <= 0.5
        else:
            delay = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (number - 1))
            assert delay / 2 <= seconds <= delay

    emulator.set_faults()
    assert Runs(emulator).run(update_params("steady", 0)).action == "update"
    assert records(emulator) == {"steady": expected_record("steady", 0, True)}


def test_a_retry_after_beyond_the_limit_fails_at_once_without_waiting(emulator):  # pylint: disable=redefined-outer-name
    emulator.set_faults(rate_429=1.0, retry_after=int(RETRY_AFTER_MAX) + 1)
    runs = Runs(emulator)
    with pytest.raises(APIError, match=r"asks to wait %d seconds before retrying$" % (RETRY_AFTER_MAX + 1)) as info:
        runs.run(create_params("patient", 0))
    assert info.value.attempts == 1 and runs.slept == []
    assert emulator.log()["counters"]["requests"] == 1


def test_a_retry_after_is_waited_for(emulator):  # pylint: disable=redefined-outer-name
    emulator.set_faults(rate_429=0.5, retry_after=7, seed=3)
    runs = Runs(emulator, retries=10)
    runs.run(create_params("patient", 0))
    assert runs.slept and all(7 <= seconds <= 7.5 for seconds in runs.slept)
    assert len(runs.slept) == emulator.log()["counters"]["faults"]


# --- item 4: a slow API ----------------------------------------------------------------


def test_responses_slower_than_api_timeout_fail_clearly_within_the_budget(emulator):  # pylint: disable=redefined-outer-name
    """api_timeout 0.2 s, responses 0.5 s late, api_retries 2, real backoff sleeps: 3 attempts,
    a timeout message, and total time within attempts x api_timeout + the backoff + slack."""
    emulator.set_faults(latency_ms=500)
    client = Client(emulator.graphql_url, emulator.api_key, timeout=0.2, retries=2)
    started = time.monotonic()
    with pytest.raises(APIError) as info:
        Endpoints(Run(client)).read()
    elapsed = time.monotonic() - started
    client.session.close()
    assert info.value.kind == "timeout" and info.value.attempts == 3
    assert info.value.message == ("No response from 127.0.0.1:%d within api_timeout (0.2s); gave up after 3 attempts (api_retries=2)" % emulator.port)
    # three full timeouts, two backoffs of 0.25-0.5 s then 0.5-1 s
    assert 3 * 0.2 + 0.25 + 0.5 <= elapsed <= 3 * 0.2 + 0.5 + 1.0 + 0.5


def test_a_create_that_times_out_is_applied_late_and_found_by_the_rerun(emulator):  # pylint: disable=redefined-outer-name
    """The timeout hits after the service has the create: the create may still be applied.
    The run must not send it again blindly; the re-run finds it."""
    client = Client(emulator.graphql_url, emulator.api_key, timeout=0.3, retries=0, sleep=lambda s: None)
    endpoints = Endpoints(Run(client))
    step = plan_endpoint(endpoints.read(), create_params("late", 0))
    emulator.set_faults(latency_ms=600)
    with pytest.raises(APIError, match=r"^No response from .* within api_timeout \(0\.3s\); gave up after 1 attempts"):
        endpoints.apply([step], 30)
    client.session.close()
    emulator.set_faults()
    deadline = time.monotonic() + 5
    while not emulator.state()["endpoints"] and time.monotonic() < deadline:
        time.sleep(0.05)  # the service is still working on the request
    assert len(emulator.state()["endpoints"]) == 1
    emulator.clear_log()
    assert Runs(emulator).run(create_params("late", 0)).action == "none"
    assert emulator.log()["counters"]["mutations"] == 0


def test_responses_slower_than_usual_but_within_api_timeout_are_not_retried(emulator):  # pylint: disable=redefined-outer-name
    emulator.set_faults(latency_ms=150)
    runs = Runs(emulator, timeout=1)
    assert runs.run(create_params("slow", 0)).action == "create"
    assert runs.retries_done == 0 and runs.requests_sent == 2


# --- item 5: two runs at once ------------------------------------------------------------


def run_together(server, params_list, retries=10):
    """Two module runs per params in params_list, the two runs of each started together in two threads;
    returns their errors."""
    errors = []
    barrier = threading.Barrier(2, timeout=60)

    def worker():
        runs = Runs(server, retries=retries)
        for params in params_list:
            barrier.wait()
            try:
                runs.run(params)
            except Exception as exc:  # pylint: disable=broad-except
                errors.append(exc)

    threads = [threading.Thread(target=worker), threading.Thread(target=worker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@pytest.mark.parametrize("seed", range(5))
def test_two_runs_creating_the_same_names_end_with_one_endpoint_each(emulator, seed):  # pylint: disable=redefined-outer-name
    """The service refuses the second create of a name; the loser must converge on the winner's endpoint.
    A 150 ms latency makes both runs read the account before either creates, even when a loaded
    machine starts one thread well after the other."""
    emulator.configure(worker_quota=100)
    emulator.set_faults(seed=seed, latency_ms=150, **TRANSIENT)
    errors = run_together(emulator, [create_params(name, i) for i, name in enumerate(NAMES)])
    assert errors == []
    assert records(emulator) == dict((n, expected_record(n, i, False)) for i, n in enumerate(NAMES))
    refused = [e for e in log_entries(emulator, mutation_kind="create", fault=None) if not e["applied"]]
    assert refused, "the two runs never raced (no create refused as a duplicate)"
    assert emulator.log()["counters"]["applied_create"] == len(NAMES)


def test_absent_of_an_endpoint_another_run_deletes_meanwhile_succeeds(emulator):  # pylint: disable=redefined-outer-name
    """api-notes: a delete of an endpoint that is already gone counts as success for absent.
    The run reads the endpoint (workers_max 2), another run deletes it, then this run scales it to 0."""
    Runs(emulator).run(create_params("shared", 0))
    client = Client(emulator.graphql_url, emulator.api_key, sleep=lambda s: None)
    endpoints = Endpoints(Run(client, sleep=lambda s: None))
    step = plan_endpoint(endpoints.read(), dict(state="absent", name="shared"))
    Runs(emulator).run(dict(state="absent", name="shared"))  # the other run
    try:
        endpoints.apply([step], 30)
    except APIError as exc:
        pytest.fail("absent failed on an endpoint deleted meanwhile: %s" % exc)
    finally:
        client.session.close()
    assert emulator.state()["endpoints"] == []


def test_absent_of_an_endpoint_deleted_elsewhere_before_the_scale_down_reports_no_change(emulator):  # pylint: disable=redefined-outer-name
    """The other run deletes the endpoint after this run read it: this run sends no mutation, so it
    reports nothing done (not changed with no action), whether its scale-down is refused or its
    read of every field finds nothing."""
    for refused in (True, False):
        Runs(emulator).run(create_params("shared", 0))
        client = Client(emulator.graphql_url, emulator.api_key, sleep=lambda s: None)
        run = Run(client, sleep=lambda s: None)
        endpoints = Endpoints(run)
        step = plan_endpoint(endpoints.read(), dict(state="absent", name="shared"))
        if refused:
            endpoints.read_for_update([step.before["id"]])  # read in full before the other run: the scale-down is refused
        Runs(emulator).run(dict(state="absent", name="shared"))  # the other run
        outcome = endpoints.apply([step], 30)[0]
        client.session.close()
        assert (outcome.action, outcome.changed, outcome.after, run.actions) == ("none", False, None, []), refused
        assert step.action == "delete"  # the plan stays as planned; the outcome says what happened
        assert emulator.state()["endpoints"] == []


def test_a_lost_create_recovered_as_another_runs_endpoint_gets_the_requested_settings(emulator):  # pylint: disable=redefined-outer-name
    """Our create fails with a 5xx before the service sees it; meanwhile another run creates the
    name with other settings. The lookup after the ambiguous failure finds that endpoint: the run
    must then converge it to its own settings (as it does after a refused duplicate), not adopt it as is."""
    client = Client(emulator.graphql_url, emulator.api_key, retries=3, sleep=lambda s: None)
    endpoints = Endpoints(Run(client))
    step = plan_endpoint(endpoints.read(), create_params("contested", 0))
    original_read = endpoints.read

    def read_after_the_other_run(*args, **kwargs):
        emulator.set_faults()  # the 5xx was a one-off
        Runs(emulator).run(dict(create_params("contested", 0), idle_timeout=999, workers_max=1))
        endpoints.read = original_read
        return original_read(*args, **kwargs)

    endpoints.read = read_after_the_other_run
    emulator.set_faults(rate_5xx=1.0)
    endpoints.apply([step], 30)
    client.session.close()
    assert len(emulator.state()["endpoints"]) == 1
    assert records(emulator) == {"contested": expected_record("contested", 0, False)}
