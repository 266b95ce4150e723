"""The familiar API against the real service: init / log / summary / finish / alert, the environment,
the context manager, the wandb stand-in, and the file the service serves."""

import json
import logging
import platform
import socket
import subprocess
import os
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import training_analyst  # noqa: E402
import training_analyst.wandb_compat as wandb  # noqa: E402
from service import ChildService, events, get, shared_url, unique, wait_until  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def fast(**kw):
    return dict(flush_interval=0.05, control_interval=0.1, max_backoff=0.3, **kw)


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.url = shared_url()

    def test_log_and_finish(self):
        run = training_analyst.init(project="client-api", name=unique("basic"), config={"lr": 0.1, "nested": {"depth": 2}},
                                    url=self.url, total_epochs=3, **fast())
        self.assertIsNotNone(run.id)
        for step in range(30):
            run.log({"loss": 2.0 / (step + 1), "lr": 0.1, "grad_norm": float("nan") if step == 29 else 1.0}, step=step)
        run.log({"val_loss": 1.5}, step=29, epoch=3)
        run.summary["best_acc"] = 0.91
        self.assertTrue(run.finish())
        status = get(self.url, "/runs/" + run.id)
        self.assertEqual(status["status"], "completed")
        self.assertEqual(status["config"], {"lr": 0.1, "nested": {"depth": 2}})
        self.assertEqual(status["total_epochs"], 3)
        meta = status["meta"]
        self.assertEqual((meta["python"], meta["host"]), (platform.python_version(), socket.gethostname()))
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
        if head.returncode == 0:  # the suite runs from a git checkout, or from an exported tree
            self.assertEqual(meta["git_commit"], head.stdout.strip())
            self.assertIsInstance(meta["git_dirty"], bool)
            self.assertEqual(status["reproducibility"]["git_commit"], meta["git_commit"])
        self.assertEqual(status["reproducibility"]["python"], platform.python_version())
        self.assertEqual(status["meta"]["summary"]["best_acc"], 0.91)
        self.assertEqual(status["meta"]["summary"]["loss"], 2.0 / 30)
        metrics = events(self.url, run.id, "metrics")
        self.assertEqual([e["step"] for e in metrics], list(range(30)) + [29])
        self.assertEqual(metrics[29]["values"]["grad_norm"], "NaN")
        ids = [e["event_id"] for e in events(self.url, run.id) if "event_id" in e]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertTrue(all(i.startswith(run._key + "-") for i in ids))
        findings = get(self.url, "/runs/%s/findings" % run.id)["findings"]
        self.assertIn("nan_loss", [f["kind"] for f in findings])

    def test_values_logged_apart_for_one_step_make_one_point(self):
        run = training_analyst.init(project="client-api", name=unique("one-step"), url=self.url, **fast())
        for step in (1, 2):
            run.log({"loss": 1.0 / step}, step=step)
            run.log({"lr": 0.1}, step=step)
            run.log({"grad_norm": 2.0}, step=step)
        run.log({"val_loss": 0.9}, step=2, epoch=1)
        run.event({"type": "epoch_ended", "epoch": 1})
        run.log({"loss": 0.4}, step=2)
        run.finish()
        kept = [(e["type"], e.get("step"), e.get("values")) for e in events(self.url, run.id) if "event_id" in e
                and e["type"] in ("metrics", "epoch_ended")]
        self.assertEqual(kept, [("metrics", 1, {"loss": 1.0, "lr": 0.1, "grad_norm": 2.0}),
                                ("metrics", 2, {"loss": 0.5, "lr": 0.1, "grad_norm": 2.0}),
                                ("metrics", 2, {"val_loss": 0.9}),
                                ("epoch_ended", None, None),
                                ("metrics", 2, {"loss": 0.4})])

    def test_steps_count_on_like_wandb(self):
        run = training_analyst.init(project="client-api", name=unique("auto-steps"), url=self.url, **fast())
        run.log({"loss": 1.0})
        run.log({"acc": 0.5}, commit=False)
        run.log({"loss": 0.9})
        run.log({"loss": 0.8}, step=10)
        run.log({"loss": 0.7, "image": object(), "tensor_like": [1, 2]})
        run.finish()
        metrics = events(self.url, run.id, "metrics")
        self.assertEqual([(e["step"], e["values"]) for e in metrics],
                         [(0, {"loss": 1.0}), (1, {"acc": 0.5, "loss": 0.9}), (10, {"loss": 0.8}), (11, {"loss": 0.7})])

    def test_environment_and_context_manager(self):
        # No url=: setUpModule put the service's address in ANALYST_URL.
        with self.assertRaises(ZeroDivisionError):
            with training_analyst.init(project="client-api", name=unique("crash"), **fast()) as run:
                run.log({"loss": 1.0}, step=0)
                1 / 0
        self.assertEqual(run.url, os.environ["ANALYST_URL"])
        self.assertEqual(get(self.url, "/runs/" + run.id)["status"], "failed")
        error = events(self.url, run.id, "error")[0]
        self.assertIn("ZeroDivisionError", error["message"])
        self.assertIn("1 / 0", error["traceback"])

    def test_system_metrics_are_sampled_on_request(self):
        run = training_analyst.init(project="client-api", name=unique("system"), url=self.url, system_metrics=0.05,
                                    **fast())
        sampled = wait_until(lambda: [e for e in events(self.url, run.id, "metrics")
                                      if "system/cpu_percent" in e["values"]], "a system metrics sample")
        run.finish()
        self.assertGreater(sampled[0]["values"]["system/rss_mb"], 1)

    def test_alert_reaches_the_run_log(self):
        run = training_analyst.init(project="client-api", name=unique("alert"), url=self.url, **fast())
        run.alert("Loss spike", "loss went from 0.5 to 8.1", level="error")
        run.finish()
        log = events(self.url, run.id, "log")[0]
        self.assertEqual((log["level"], log["message"]), ("error", "Loss spike: loss went from 0.5 to 8.1"))

    def test_each_init_is_its_own_run_and_resume_continues_one(self):
        twice = unique("twice")
        first = training_analyst.init(project="client-api", name=twice, url=self.url, **fast())
        first.log({"loss": 1.0}, step=0)
        first.finish()
        again = training_analyst.init(project="client-api", name=twice, url=self.url, **fast())
        again.log({"loss": 0.5}, step=1)
        again.finish()
        # Event ids never collide, whether the service made two runs or (before run identity) one.
        ids = [e["event_id"] for e in events(self.url, again.id, "metrics")]
        self.assertEqual(len(ids), len(set(ids)))
        resumed = training_analyst.init(project="client-api", name=twice, url=self.url, resume=again.id, **fast())
        self.assertEqual(resumed.id, again.id)
        self.assertEqual(resumed._create_body["resume"], again.id)
        self.assertNotIn("resume", first._create_body)
        resumed.log({"loss": 0.25}, step=2)
        resumed.finish()
        self.assertIn(2, [e["step"] for e in events(self.url, again.id, "metrics")])

    def test_create_sends_an_idempotency_key(self):
        run = training_analyst.init(project="client-api", name=unique("key"), url=self.url, **fast())
        run.finish()
        again = training_analyst._Http(self.url, None, 10).request(
            "POST", "/runs", run._create_body, headers={"Idempotency-Key": run._key})
        self.assertEqual(again["id"], run.id)

    def test_module_functions_act_on_the_current_run(self):
        run = training_analyst.init(project="client-api", name=unique("module"), url=self.url, **fast())
        self.assertIs(training_analyst.current_run(), run)
        training_analyst.log({"loss": 3.0}, step=5)
        self.assertTrue(training_analyst.finish())
        self.assertIsNone(training_analyst.current_run())
        self.assertEqual(events(self.url, run.id, "metrics")[0]["values"], {"loss": 3.0})

    def test_wandb_stand_in(self):
        with self.assertLogs("training_analyst", logging.WARNING) as logs:
            run = wandb.init(project="client-wandb", name=unique("compat"), config={"lr": 0.01}, entity="team", mode="online")
        self.assertIn("entity", logs.output[0])
        self.assertIn("mode", logs.output[0])
        wandb.config.update({"batch_size": 64})
        self.assertEqual(wandb.config.lr, 0.01)
        wandb.log({"loss": 1.0, "acc": 0.5})
        wandb.log({"loss": 0.8})
        wandb.summary["best"] = 0.8
        wandb.alert(title="Low accuracy", text="acc 0.5", level=wandb.AlertLevel.WARN)
        wandb.finish()
        self.assertIsNone(wandb.run)
        status = get(run.url, "/runs/" + run.id)
        self.assertEqual(status["meta"]["summary"]["best"], 0.8)
        self.assertEqual(status["status"], "completed")
        self.assertEqual([e["step"] for e in events(run.url, run.id, "metrics")], [0, 1])
        self.assertEqual(events(run.url, run.id, "log")[0]["level"], "warning")

    def test_served_file_is_the_package(self):
        with urllib.request.urlopen(self.url + "/client/training_analyst.py") as res:
            served = res.read()
        with open(training_analyst.__file__, "rb") as f:
            self.assertEqual(served, f.read())
        namespace = {"__name__": "served_copy"}
        exec(compile(served, "training_analyst.py", "exec"), namespace)
        self.assertTrue(callable(namespace["init"]))


class TokenTest(unittest.TestCase):
    def test_the_token_comes_from_the_environment_and_a_wrong_one_sends_nothing(self):
        service = ChildService(ANALYST_TOKEN="s3cret")
        self.addCleanup(service.close)
        os.environ["ANALYST_TOKEN"] = "s3cret"
        try:
            run = training_analyst.init(project="client-api", name=unique("token"), url=service.url, **fast())
        finally:
            del os.environ["ANALYST_TOKEN"]
        run.log({"loss": 1.0}, step=0)
        self.assertTrue(run.finish())
        with self.assertLogs("training_analyst", logging.WARNING) as logs:
            wrong = training_analyst.init(project="client-api", name=unique("token"), url=service.url, token="nope",
                                          **fast())
            wrong.log({"loss": 1.0}, step=0)
            wrong.finish()
        self.assertIsNone(wrong.id)
        self.assertIn("401", logs.output[0])
        self.assertEqual(wrong.dropped, 3)  # the point, the summary and run_finished
        req = urllib.request.Request(service.url + "/runs/%s/events" % run.id,
                                     headers={"authorization": "Bearer s3cret"})
        with urllib.request.urlopen(req) as res:
            self.assertIn("metrics", [e["type"] for e in json.load(res)["events"]])


def setUpModule():
    os.environ["ANALYST_URL"] = shared_url()


if __name__ == "__main__":
    unittest.main()
