# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Client for the emulator's control paths (/_emulator/..., CONTRACT.md), standard library only:
# the integration lookup loads this file by its path, without the emulator package (which needs
# graphql-core). Its methods are named as EmulatorServer's, so a script can use either:
#   control = Control("http://127.0.0.1:PORT"); control.set_faults(latency_ms=300); control.log()["counters"]

import http.client
import json
from urllib.parse import urlsplit

# Control paths that take a POST without a body.
POST_WITHOUT_BODY = ("reset", "log/clear")


class ControlError(Exception):
    """The emulator did not answer, or answered with an HTTP error."""


class Control:
    def __init__(self, base_url, timeout=30):
        parts = urlsplit(str(base_url))
        if parts.scheme != "http" or not parts.hostname:
            raise ControlError("the emulator URL must be http://host:port, got %r" % str(base_url))
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout
        self.prefix = parts.path.rstrip("/") + "/_emulator/"

    def call(self, path, body=None):
        """GET PATH, or POST BODY (JSON) to it; the parsed reply. Always a new connection (http.client ignores proxies)."""
        path = path.strip("/")
        method = "POST" if body is not None or path in POST_WITHOUT_BODY else "GET"
        data = None if method == "GET" else json.dumps({} if body is None else body).encode("utf-8")
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, self.prefix + path, body=data, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise ControlError("%s %s%s failed: %s" % (method, self.prefix, path, error))
        finally:
            connection.close()
        if response.status != 200:
            raise ControlError("%s %s%s answered HTTP %d: %s" % (method, self.prefix, path, response.status, payload.decode("utf-8", "replace")))
        return json.loads(payload.decode("utf-8")) if payload else None

    def health(self):
        return self.call("health")

    def state(self):
        return self.call("state")

    def log(self):
        return self.call("log")

    def config(self):
        return self.call("config")

    def faults(self):
        return self.call("faults")

    def reset(self):
        return self.call("reset")

    def clear_log(self):
        return self.call("log/clear")

    def configure(self, **changes):
        return self.call("config", changes)

    def set_faults(self, **settings):
        return self.call("faults", settings)

    def workers(self):
        return self.call("workers")

    def set_workers(self, **changes):
        return self.call("workers", changes)

    def clock(self):
        return self.call("clock")

    def set_clock(self, **changes):
        return self.call("clock", changes)

    def seed_endpoints(self, endpoints):
        return self.call("seed", {"endpoints": list(endpoints)})["endpoints"]
