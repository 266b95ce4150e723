"""The real Training Analyst service for the client's tests.

`npm test` starts one service and passes its URL in ANALYST_URL; tests that kill and restart a
service start their own with the command in ANALYST_SERVE_COMMAND (a JSON list), on a SQLite
file of their own.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request
import uuid

WAIT = 30.0  # generous: the machine running the suite may be busy; no test measures time


def shared_url():
    url = os.environ.get("ANALYST_URL")
    if not url:
        raise unittest.SkipTest("ANALYST_URL is not set: run these tests through npm test")
    return url


def unique(name):
    """A run name no earlier suite run used: until run identity, the service returned the run of a used name."""
    return "%s-%s" % (name, uuid.uuid4().hex[:8])


def get(url, path):
    with urllib.request.urlopen(url + path, timeout=10) as res:
        return json.load(res)


def post(url, path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.load(res)


def temp_dir(test):
    """A directory removed when the test ends."""
    path = tempfile.mkdtemp(prefix="analyst-client-")
    test.addCleanup(shutil.rmtree, path, True)
    return path


def wait_until(check, what, timeout=WAIT):
    """Polls check() until it returns something truthy; fails the test with `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


def events(url, run_id, type_=None):
    out, after = [], 0
    while True:
        page = get(url, "/runs/%s/events?after_seq=%d&limit=10000" % (run_id, after))
        out.extend(page["events"])
        if not page["events"]:
            break
        after = page["last_seq"]
    return [e for e in out if type_ is None or e["type"] == type_]


class ChildService:
    """`analyst serve` as a process of its own, so a test can SIGKILL it and start it again."""

    def __init__(self, **env):
        self.env = env
        command = os.environ.get("ANALYST_SERVE_COMMAND")
        if not command:
            raise unittest.SkipTest("ANALYST_SERVE_COMMAND is not set: run these tests through npm test")
        self.command = json.loads(command)
        self.dir = tempfile.mkdtemp(prefix="analyst-client-")
        self.db = os.path.join(self.dir, "analyst.db")
        self.port = 0
        self.proc = None
        self.url = None
        self.start()

    def start(self):
        env = dict(os.environ, ANALYST_LOG_LEVEL="silent", ANALYST_HOST="127.0.0.1", ANALYST_LLM="offline")
        env.pop("ANALYST_TOKEN", None)
        env.update(self.env)
        self.proc = subprocess.Popen(self.command + ["--port", str(self.port), "--db", self.db], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in self.proc.stdout:
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                self.url = m.group(1)
                self.port = int(self.url.rsplit(":", 1)[1])
                # Keep reading, so the service never blocks on a full pipe.
                self.drain = threading.Thread(target=self.proc.stdout.read, daemon=True)
                self.drain.start()
                return
        raise RuntimeError("the service exited before listening")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.drain.join()
        self.proc.stdout.close()

    def freeze(self):
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.proc.send_signal(signal.SIGCONT)

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.thaw()
            self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
