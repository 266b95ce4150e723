"""Never in the way of training: the spool while the service is down and its replay after a restart,
retries that land once, the bounded queue, and finish's time limit."""

import json
import logging
import time
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import training_analyst  # noqa: E402
from service import ChildService, events, get, post, shared_url, temp_dir, unique, wait_until  # noqa: E402


def fast(**kw):
    return dict(flush_interval=0.05, control_interval=0.1, max_backoff=0.2, **kw)


def steps_of(url, run_id):
    """Steps of the points the client sent (a parsed log line is a point of the service's)."""
    return sorted(e["step"] for e in events(url, run_id, "metrics") if "event_id" in e and "step" in e)


class RestartTest(unittest.TestCase):
    def setUp(self):
        self.service = ChildService()
        self.addCleanup(self.service.close)

    def test_points_logged_while_the_service_is_down_arrive_once_after_restart(self):
        spool_dir = temp_dir(self)
        run = training_analyst.init(project="client-delivery", name=unique("restart"), url=self.service.url,
                                    spool_dir=spool_dir, **fast())
        for step in range(100):
            run.log({"loss": 1.0 / (step + 1)}, step=step)
        wait_until(lambda: run.pending == 0, "the first points to be delivered")
        self.service.kill()
        with self.assertLogs("training_analyst", logging.WARNING) as logs:
            for step in range(100, 300):
                run.log({"loss": 1.0 / (step + 1)}, step=step)
            run.log_line("Train Loss: 0.5, Train Accuracy: 80%")
            wait_until(lambda: os.listdir(spool_dir), "the spool file")
        self.assertIn("unreachable", logs.output[0])
        self.service.start()
        self.assertTrue(run.finish(timeout=60))
        self.assertEqual(steps_of(self.service.url, run.id), list(range(300)))
        self.assertEqual(len(events(self.service.url, run.id, "log")), 1)
        self.assertEqual(get(self.service.url, "/runs/" + run.id)["status"], "completed")
        self.assertEqual(os.listdir(spool_dir), [])

    def test_a_service_down_at_init_gets_the_run_created_later(self):
        self.service.kill()
        with self.assertLogs("training_analyst", logging.WARNING):
            run = training_analyst.init(project="client-delivery", name=unique("late-create"), url=self.service.url,
                                        **fast())
        self.assertIsNone(run.id)
        for step in range(50):
            run.log({"loss": 2.0}, step=step)
        self.service.start()
        self.assertTrue(run.finish(timeout=60))
        self.assertIsNotNone(run.id)
        self.assertEqual(steps_of(self.service.url, run.id), list(range(50)))

    def test_a_batch_retried_after_a_timeout_is_stored_once(self):
        run = training_analyst.init(project="client-delivery", name=unique("retry"), url=self.service.url,
                                    timeout=0.5, **fast())
        # A frozen service holds the request past the client's timeout; after it thaws it may still
        # commit that request, and the client's retry of the same events must not double them.
        self.service.freeze()
        with self.assertLogs("training_analyst", logging.WARNING):
            for step in range(40):
                run.log({"loss": 1.0}, step=step)
            wait_until(lambda: run._spool.count > 0, "the batch to be spooled after the timeout")
        self.service.thaw()
        self.assertTrue(run.finish(timeout=60))
        self.assertEqual(steps_of(self.service.url, run.id), list(range(40)))

    def test_finish_gives_up_at_its_time_limit_and_keeps_the_spool(self):
        spool_dir = temp_dir(self)
        run = training_analyst.init(project="client-delivery", name=unique("gone"), url=self.service.url,
                                    spool_dir=spool_dir, **fast())
        self.service.kill()
        with self.assertLogs("training_analyst", logging.WARNING) as logs:
            run.log({"loss": 1.0}, step=0)
            self.assertFalse(run.finish(timeout=0.5))
        self.assertTrue(any("not delivered" in line for line in logs.output))
        self.assertGreater(run.pending, 0)


class QueueTest(unittest.TestCase):
    def test_a_full_queue_drops_new_points_counts_and_warns_once(self):
        url = shared_url()
        run = training_analyst.init(project="client-delivery", name=unique("full"), url=url, max_queue=10, **fast())
        # Hold the sender so the queue fills as it would behind a slow disk or network.
        held = threading.Event()
        take = run._take
        run._take = lambda: take() if held.is_set() else []
        with self.assertLogs("training_analyst", logging.WARNING) as logs:
            for step in range(25):
                run.log({"loss": 1.0}, step=step)
        # Ten queued, the last step still gathering values, the fourteen between dropped.
        self.assertEqual(run.dropped, 14)
        self.assertEqual(len([l for l in logs.output if "queue full" in l]), 1)
        held.set()
        self.assertTrue(run.finish(timeout=30))
        self.assertEqual(run.dropped, 14)
        self.assertEqual(steps_of(url, run.id), list(range(10)) + [24])
        self.assertEqual(get(url, "/runs/" + run.id)["status"], "completed")

    def test_nothing_raises_into_the_training_loop(self):
        url = shared_url()
        run = training_analyst.init(project="client-delivery", name=unique("robust"), url=url, **fast())
        with self.assertLogs("training_analyst", logging.WARNING):
            run.log(None)
            run.log({"loss": "not a number"}, step=0)
            run.event({"type": "no_such_event"})
            run.log({"loss": 1.0}, step=1)
            self.assertTrue(run.finish(timeout=30))
        self.assertEqual(steps_of(url, run.id), [1])
        self.assertEqual(run.dropped, 1)

    def test_a_refused_event_is_dropped_alone_and_counted(self):
        url = shared_url()
        run = training_analyst.init(project="client-delivery", name=unique("refused"), url=url, **fast())
        with self.assertLogs("training_analyst", logging.WARNING) as logs:
            run.log({"loss": 1.0}, step=0)
            run.event({"type": "epoch_ended", "epoch": -1})
            run.log({"loss": 0.5}, step=1)
            run.finish(timeout=30)
        self.assertEqual(steps_of(url, run.id), [0, 1])
        self.assertEqual(run.dropped, 1)
        self.assertTrue(any("events.1" in line or "refused 1 event" in line for line in logs.output))


class ControlTest(unittest.TestCase):
    def setUp(self):
        self.url = shared_url()
        self.run = training_analyst.init(project="client-control", name=unique("control"), url=self.url, **fast())
        self.addCleanup(self.run.finish)
        self.seen = []
        self.run.on_control(lambda action, request: self.seen.append(action))

    def control(self, action):
        return post(self.url, "/runs/%s/control" % self.run.id, {"action": action})["id"]

    def acked(self, cid):
        controls = get(self.url, "/runs/%s/control" % self.run.id)["controls"]
        return next(c for c in controls if c["id"] == cid)["outcome"]

    def test_pause_and_resume(self):
        cid = self.control("pause")
        wait_until(lambda: self.run.is_paused, "the pause to arrive")
        resumed = threading.Event()
        threading.Thread(target=lambda: (self.run.wait_if_paused(), resumed.set()), daemon=True).start()
        wait_until(lambda: self.acked(cid) == "done", "the pause to be acknowledged")
        self.assertEqual(get(self.url, "/runs/" + self.run.id)["status"], "paused")
        self.assertFalse(resumed.is_set())
        rid = self.control("resume")
        wait_until(resumed.is_set, "wait_if_paused to return")
        wait_until(lambda: self.acked(rid) == "done", "the resume to be acknowledged")
        self.assertEqual(get(self.url, "/runs/" + self.run.id)["status"], "running")
        self.assertEqual(self.seen, ["pause", "resume"])
        self.assertFalse(self.run.wait_if_paused())

    def test_stop(self):
        cid = self.control("stop")
        wait_until(lambda: self.run.should_stop, "the stop to arrive")
        wait_until(lambda: self.acked(cid) == "done", "the stop to be acknowledged")
        self.run.finish()
        self.assertEqual(get(self.url, "/runs/" + self.run.id)["status"], "stopped")

    def test_checkpoint(self):
        cid = self.control("checkpoint")
        wait_until(lambda: self.run.checkpoint_requested, "the checkpoint request")
        self.run.checkpoint_done("ckpt/step-10.pt", step=10)
        self.assertFalse(self.run.checkpoint_requested)
        wait_until(lambda: self.acked(cid) == "done", "the checkpoint to be acknowledged")
        self.run.finish()
        saved = events(self.url, self.run.id, "checkpoint_saved")
        self.assertEqual((saved[0]["path"], saved[0]["step"]), ("ckpt/step-10.pt", 10))


if __name__ == "__main__":
    unittest.main()


class OverloadedServiceTest(unittest.TestCase):
    """A service too far behind refuses a batch with 503 and a Retry-After: the client waits at least that long."""

    def setUp(self):
        import http.server

        class Busy(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length") or 0))
                body = json.dumps({"error": {"code": "overloaded", "message": "behind", "retry_after": 3}}).encode()
                self.send_response(503)
                self.send_header("retry-after", "3")
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Busy)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)

    def test_the_retry_waits_at_least_as_long_as_the_service_asked(self):
        url = "http://127.0.0.1:%d" % self.server.server_address[1]
        client = training_analyst._Http(url, None, 5.0)
        with self.assertRaises(training_analyst._Unreachable) as caught:
            client.request("POST", "/runs/r/events", [{"type": "metrics", "values": {"loss": 1}}])
        self.assertEqual(caught.exception.retry_after, 3.0)
        run = training_analyst.Run.__new__(training_analyst.Run)
        run._max_backoff, run._backoff = 30.0, 0.0
        before = time.monotonic()
        run._failed(caught.exception.retry_after)
        self.assertGreaterEqual(run._retry_at - before, 3.0)
        # Without a Retry-After the usual short back-off applies.
        run._backoff = 0.0
        run._failed(None)
        self.assertLess(run._retry_at - time.monotonic(), 1.0)
