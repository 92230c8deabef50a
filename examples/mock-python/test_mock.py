#!/usr/bin/env python3
"""A test suite in Python (standard library only) against convirza-mock.

It starts the binary on a free port, and each test begins with
POST /_mock/reset, so tests share one process yet never see each other's
data. Run it with the path of a built binary:

    go build -o /tmp/convirza-mock ./cmd/convirza-mock
    python3 examples/mock-python/test_mock.py /tmp/convirza-mock
"""

import json
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "convirza-mock"


def call(method, url, body=None, token=None):
    """One request; returns (status, decoded JSON body or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    return status, (json.loads(raw) if raw else None)


class MockTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc = subprocess.Popen(
            [BINARY, "-addr", "127.0.0.1:0", "-login-limit", "0"],
            stdout=subprocess.PIPE, text=True)
        banner = {}
        for line in cls.proc.stdout:  # API URL, Auth URL, Admin, Faults
            key, _, value = line.partition(":")
            banner[key] = value.strip()
            if key == "Faults":
                break
        cls.api, cls.root = banner["API URL"], banner["Auth URL"]
        cls.email, cls.password = banner["Admin"].split(" / ")

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()  # SIGTERM: requests in flight finish first
        assert cls.proc.wait(timeout=20) == 0
        cls.proc.stdout.close()

    def setUp(self):
        status, _ = call("POST", self.root + "/_mock/reset")
        self.assertEqual(status, 204)

    def login(self):
        status, body = call("POST", self.root + "/oauth/token",
                            {"email": self.email, "password": self.password})
        self.assertEqual(status, 200)
        return body["access_token"]

    def create_user(self, token, email):
        status, body = call("POST", self.api + "/users", {
            "username": email, "first_name": "Ada", "last_name": "Byron",
            "ct_user_ou_id": 1002, "role": "Standard"}, token)
        self.assertEqual(status, 201)
        return body["data"]["userId"]

    def test_create_count_fault_clock(self):
        token = self.login()
        user_id = self.create_user(token, "ada@acme.example")

        # What the code under test sent.
        status, body = call("GET", self.root + "/_mock/requests/count?method=POST&path=/v3/users")
        self.assertEqual((status, body), (200, {"count": 1}))
        _, sent = call("GET", self.root + "/_mock/requests?method=POST&path=/v3/users")
        self.assertEqual(sent[0]["body"]["username"], "ada@acme.example")
        self.assertEqual(sent[0]["status"], 201)

        # A fault for the next GET of any user, then the real answer.
        status, _ = call("POST", self.root + "/_mock/faults",
                         {"method": "GET", "path": "/v3/users/*", "times": 1, "status": 503})
        self.assertEqual(status, 201)
        self.assertEqual(call("GET", "%s/users/%d" % (self.api, user_id), token=token)[0], 503)
        status, body = call("GET", "%s/users/%d" % (self.api, user_id), token=token)
        self.assertEqual((status, body["data"]["email"]), (200, "ada@acme.example"))

        # Eight days later the access token has expired (it lives 7 days).
        status, body = call("POST", self.root + "/_mock/clock", {"advance": "192h"})
        self.assertEqual(status, 200)
        self.assertIn("now", body)
        self.assertEqual(call("GET", self.api + "/auth/profile", token=token)[0], 401)

    def test_reset_forgets_everything(self):
        token = self.login()
        user_id = self.create_user(token, "temp@acme.example")
        self.setUp()  # reset
        self.assertEqual(call("GET", self.api + "/auth/profile", token=token)[0], 401)
        token = self.login()
        self.assertEqual(call("GET", "%s/users/%d" % (self.api, user_id), token=token)[0], 404)

    def test_simulated_call_shows_in_history(self):
        status, made = call("POST", self.root + "/_mock/calls", {
            "phone_number": "+19482013920", "caller_id": "+18015557654",
            "duration": "00:03:12", "disposition": "ANSWERED"})
        self.assertEqual(status, 201)
        token = self.login()
        status, body = call("GET", "%s/conversations/calls/%d" % (self.api, made["call_id"]), token=token)
        self.assertEqual((status, body["data"]["duration"]), (200, "00:03:12"))


if __name__ == "__main__":
    unittest.main()
