# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The modules' own path, in process and on a virtual clock, for tests that make
# thousands of module runs:
# - VirtualClock: time that passes only when something sleeps; the emulator's
#   drains and latency, the retries' backoff and the modules' drain waits all
#   share it, so none of them costs real time;
# - EmulatorAdapter: a requests transport that hands each request to the
#   emulator's handle_request instead of a socket (the emulator stays as it is:
#   a request it answers later than the client's timeout is a ReadTimeout, a
#   reply without a body a closed connection);
# - Module: a module of the collection as Ansible runs it, minus the process:
#   the argument spec and checks it hands run_module, checked the way
#   run_module checks them, then its work function on a Run, its result or
#   failure shaped by the runner's own outcome_of.

from http.client import RemoteDisconnected
from unittest import mock
from urllib.parse import urlsplit

import requests
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ProtocolError

from ansible_collections.tensorone.cloud.plugins.module_utils._api import API_ARGUMENT_SPEC
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import Run, client_for, option_errors, outcome_of

API_URL = "http://tensorone.test/graphql"


class VirtualClock:
    """A clock that moves only when something sleeps on it."""

    def __init__(self, start=1000.0):
        self.current = start

    def now(self):
        return self.current

    def sleep(self, seconds):
        self.current += max(0.0, seconds)


class EmulatorAdapter(requests.adapters.BaseAdapter):
    """A requests transport to an in-process emulator (service.Emulator).

    ``before_send()``, if given, is called before each request reaches the
    emulator (a test sets the faults the request meets there). A reply that
    comes later on the clock than the request's timeout raises ReadTimeout,
    after the emulator handled it, as a slow answer does on a socket; a reply
    without a body (a reset, a lost response) raises the ConnectionError a
    closed keep-alive connection gives.
    """

    def __init__(self, emulator, clock, before_send=None):
        super(EmulatorAdapter, self).__init__()
        self.emulator = emulator
        self.clock = clock
        self.before_send = before_send
        self.timeouts = 0

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # pylint: disable=too-many-arguments
        url = urlsplit(request.url)
        headers = dict((name.lower(), value) for name, value in request.headers.items())
        body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
        if self.before_send is not None:
            self.before_send()
        started = self.clock.now()
        reply = self.emulator.handle_request(request.method, url.path, url.query, headers, body)
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        if read_timeout is not None and self.clock.now() - started > read_timeout:
            self.timeouts += 1
            raise requests.exceptions.ReadTimeout("Read timed out. (read timeout=%s)" % read_timeout, request=request)
        if reply.body is None:
            raise requests.exceptions.ConnectionError(
                ProtocolError("Connection aborted.", RemoteDisconnected("Remote end closed connection without response")), request=request
            )
        response = requests.Response()
        response.status_code = reply.status
        response.headers = CaseInsensitiveDict(reply.headers)
        response.headers.setdefault("Content-Type", "application/json")
        response.headers["Content-Length"] = str(len(reply.body))
        response._content = reply.body  # pylint: disable=protected-access
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


class Module:
    """A module of the collection: the argument spec, checks and work it hands run_module (captured from its main())."""

    def __init__(self, module):
        captured = {}

        def capture(argument_spec, work, check=None, **module_options):
            captured.update(argument_spec=argument_spec, work=work, check=check, module_options=module_options)

        with mock.patch.object(module, "run_module", capture):
            module.main()
        self.name = module.__name__.rsplit(".", 1)[-1]
        self.spec = dict(captured["argument_spec"], **API_ARGUMENT_SPEC)
        self.work = captured["work"]
        self.check = captured["check"]
        self.module_options = captured["module_options"]

    def validate(self, args):
        """(params, errors): the task's arguments as the module gets them, and why it refuses them
        before any request (Ansible's argument spec check, then run_module's)."""
        result = ArgumentSpecValidator(self.spec, **self.module_options).validate(args)
        if result.error_messages:
            return None, list(result.error_messages)
        params = result.validated_parameters
        return params, option_errors(self.spec, args, params, self.check)

    def run(self, params, emulator, clock, check_mode=False, diff=False, before_send=None):
        """The module's work on a Run whose client talks to ``emulator`` on ``clock``, its outcome shaped as run_module
        shapes it: (result or failure keys, the error raised or None, run, adapter)."""
        client = client_for(params, sleep=clock.sleep)
        adapter = EmulatorAdapter(emulator, clock, before_send)
        client.session.mount(API_URL, adapter)
        run = Run(client, params, check_mode=check_mode, diff=diff, sleep=clock.sleep, clock=clock.now)
        raised = []

        def work(run):
            try:
                return self.work(run)
            except Exception as exc:
                raised.append(exc)  # the oracle judges the error itself; the result is as the runner shapes it
                raise

        try:
            result = outcome_of(run, work)
        finally:
            client.session.close()
        return result, raised[0] if raised else None, run, adapter
