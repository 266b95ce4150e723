"""The design notes' trainers as written: the recorder, the event helpers, the log handler and the
lineage manager, with their files and what reaches the service."""

import csv
import json
import logging
import math
import os
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import training_analyst  # noqa: E402
from service import events, get, shared_url, temp_dir, unique  # noqa: E402

LINEAGE_EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "test", "fixtures", "lineage",
                               "bert-base-stage2", "training_info.json")


def fast(**kw):
    return dict(flush_interval=0.05, control_interval=0.1, max_backoff=0.2, **kw)


class RecorderTest(unittest.TestCase):
    def test_record_queries_files_and_what_is_sent(self):
        url = shared_url()
        rec = training_analyst.TrainingRecorder(unique("recorder"), {"layers": 2, "hidden": 64},
                                                {"lr": 0.01, "batch_size": 32}, url=url, project="client-seeds", **fast())
        losses = [(1.0, 1.1), (0.7, 0.8), (0.5, 0.75), (0.4, 0.78)]
        for epoch, (tr, va) in enumerate(losses, start=1):
            rec.log_epoch(epoch, tr, va, train_metrics={"acc": 0.5 + epoch / 10}, val_metrics={"acc": 0.45 + epoch / 10},
                          learning_rate=0.01, epoch_time=2.0, gradient_norm=1.5)
        self.assertEqual(rec.get_best_epoch()["epoch"], 3)
        self.assertEqual(rec.get_loss_history(), {"train": [1.0, 0.7, 0.5, 0.4], "val": [1.1, 0.8, 0.75, 0.78]})
        self.assertEqual(rec.get_metric_history("acc", "train"), [0.6, 0.7, 0.8, 0.9])
        summary = rec.get_training_summary()
        self.assertEqual((summary["total_epochs"], summary["total_time"], summary["best_epoch"], summary["best_val_loss"]),
                         (4, 8.0, 3, 0.75))
        d = temp_dir(self)
        path = rec.save(os.path.join(d, "record.json"))
        loaded = training_analyst.TrainingRecorder.load(path)
        self.assertIsNone(loaded.run)
        self.assertEqual(loaded.get_training_summary(), summary)
        self.assertIn("python", loaded.metadata)
        csv_path = rec.export_to_csv(os.path.join(d, "record.csv"))
        with open(csv_path) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual([r["epoch"] for r in rows], ["1", "2", "3", "4"])
        self.assertEqual(rows[0]["val_acc"], "0.55")
        self.assertTrue(rec.run.finish())
        status = get(url, "/runs/" + rec.run.id)
        self.assertEqual(status["config"], {"lr": 0.01, "batch_size": 32, "model": {"layers": 2, "hidden": 64}})
        self.assertEqual(status["latest"]["val_loss"], 0.78)
        self.assertEqual(len(events(url, rec.run.id, "epoch_ended")), 4)
        analysis = rec.analysis()
        self.assertIn("summary", analysis)


class EventHelpersTest(unittest.TestCase):
    def test_subscribers_history_state_and_events_sent(self):
        url = shared_url()
        run = training_analyst.init(project="client-seeds", name=unique("events"), url=url, **fast())
        ended, losses = [], []
        training_analyst.on("epoch_end", ended.append)

        @training_analyst.on("batch_end")
        def track(record):
            losses.append(record["loss"])

        training_analyst.emit_training_start(total_epochs=2, config={"lr": 0.1})
        for epoch in (1, 2):
            training_analyst.emit_epoch_start(epoch, total_epochs=2)
            for batch in range(3):
                training_analyst.emit_batch_start(batch)
                training_analyst.emit_batch_end(batch, loss=1.0 / (epoch * 3 + batch), learning_rate=0.1)
            training_analyst.emit_epoch_end(epoch, {"val_loss": 0.5 / epoch})
        training_analyst.emit_checkpoint_saved("ckpt/epoch2.pt", epoch=2, metric="val_loss", value=0.25)
        training_analyst.emit_error_occurred(ValueError("bad batch"))
        state = training_analyst.get_state()
        self.assertEqual((state["current_epoch"], state["total_epochs"], state["current_batch"], state["learning_rate"]),
                         (2, 2, 2, 0.1))
        self.assertTrue(state["is_training"])
        self.assertEqual([r["epoch"] for r in ended], [1, 2])
        self.assertEqual(len(losses), 6)
        self.assertEqual(len(training_analyst.get_history("batch_start")), 6)
        self.assertEqual(len(training_analyst.get_history("batch_end", limit=2)), 2)
        with self.assertRaises(ValueError):
            training_analyst.on("no_such_event", print)
        training_analyst.emit_training_end()
        self.assertFalse(run.events.get_state()["is_training"])
        types = [e["type"] for e in events(url, run.id) if "event_id" in e]
        self.assertEqual(types.count("epoch_started"), 2)
        self.assertEqual(types.count("epoch_ended"), 2)
        # Six batch points; each epoch's validation loss joins its last batch's point (same step and epoch).
        self.assertEqual(types.count("metrics"), 6)
        self.assertIn("checkpoint_saved", types)
        self.assertIn("error", types)
        self.assertEqual(types[-1], "run_finished")
        status = get(url, "/runs/" + run.id)
        self.assertEqual((status["total_epochs"], status["config"]["lr"]), (2, 0.1))


class LogHandlerTest(unittest.TestCase):
    def test_trainer_log_lines_are_shipped_and_read(self):
        url = shared_url()
        run = training_analyst.init(project="client-seeds", name=unique("log-lines"), url=url, **fast())
        trainer_log = logging.getLogger("trainer.seed3")
        trainer_log.setLevel(logging.INFO)
        handler = training_analyst.AnalystHandler(run)
        trainer_log.addHandler(handler)
        self.addCleanup(trainer_log.removeHandler, handler)
        trainer_log.info("Epoch [1/10] started")
        trainer_log.info("Train Loss: 0.5234, Train Accuracy: 82.45%")
        trainer_log.info("Validation Loss: 0.6123, Validation Accuracy: 78.92%")
        trainer_log.warning("New best model saved with Accuracy: 79.12%")
        # The client's own warnings stay out of the run's log.
        logging.getLogger("training_analyst").addHandler(handler)
        self.addCleanup(logging.getLogger("training_analyst").removeHandler, handler)
        run.log({"x": object()})
        self.assertTrue(run.finish())
        logs = events(url, run.id, "log")
        self.assertEqual([l["level"] for l in logs], ["info", "info", "info", "warning"])
        latest = get(url, "/runs/" + run.id)["latest_canonical"]
        self.assertAlmostEqual(latest["train_loss"], 0.5234)
        self.assertAlmostEqual(latest["val_loss"], 0.6123)


class LineageTest(unittest.TestCase):
    def test_training_info_is_byte_compatible_with_the_lineage_note(self):
        root = temp_dir(self)
        stage1 = os.path.join(root, "stage1")
        first = training_analyst.LineageManager(stage1, "bert-base-news", "pretrain-news")
        first.append_training_history("news-corpus-A", 10000, epochs=3,
                                      metrics={"train_loss": 1.92, "val_loss": 2.05, "val_acc": 0.61},
                                      hyperparams={"lr": 5e-5, "batch_size": 32},
                                      start_time="2024-03-01T08:00:00Z", end_time="2024-03-01T20:00:00Z")
        first.append_training_history("news-corpus-B", 5000, epochs=2,
                                      metrics={"train_loss": 1.41, "val_loss": 1.66, "val_acc": 0.7},
                                      hyperparams={"lr": 2e-5, "batch_size": 32},
                                      start_time="2024-03-02T08:00:00Z", end_time="2024-03-02T14:00:00Z",
                                      final_checkpoint="checkpoints/stage1/best.pt")
        stage2 = os.path.join(root, "stage2")
        second = training_analyst.LineageManager(stage2, "bert-base-news", "finetune-business", parent_dir=stage1)
        second.append_training_history("business-2024q1", 2000, epochs=1,
                                       metrics={"train_loss": 1.12, "val_loss": math.nan, "val_acc": 0.74},
                                       hyperparams={"lr": 1e-5, "batch_size": 16},
                                       start_time="2024-03-03T12:00:00Z", end_time="2024-03-03T17:30:00Z",
                                       final_checkpoint="checkpoints/stage2/best.pt")
        with open(os.path.join(stage2, "training_info.json"), "rb") as f, open(LINEAGE_EXAMPLE, "rb") as g:
            self.assertEqual(f.read(), g.read())
        # The file is read back by a manager of the same stage and keeps growing.
        again = training_analyst.LineageManager(stage2, "bert-base-news", "finetune-business")
        self.assertEqual(len(again.info["history"]), 3)
        self.assertEqual(again.info["total_steps"], 17000)

    def test_the_file_is_sent_to_the_run_and_each_entry_stored_once(self):
        url = shared_url()
        run = training_analyst.init(project="client-seeds", name=unique("lineage"), url=url, **fast())
        stage = os.path.join(temp_dir(self), "stage")
        manager = training_analyst.LineageManager(stage, "m", "s1", base_model="bert-base", run=run)
        manager.append_training_history("A", 100, epochs=1, metrics={"train_loss": 1.0, "val_loss": 1.2})
        manager.append_training_history("B", 50, epochs=1, metrics={"train_loss": 0.8, "val_loss": 1.0})
        self.assertTrue(run.finish())
        points = [e for e in events(url, run.id, "metrics")]
        self.assertEqual([p["step"] for p in points], [100, 150])
        status = get(url, "/runs/" + run.id)
        self.assertEqual((status["stage"], status["dataset"], status["base_model"]), ("s1", "B", "bert-base"))
        # The run is a stage of model m's lineage, and the service writes its file in the manager's format.
        self.assertEqual(get(url, "/runs/%s/lineage" % run.id)["model"], "m")
        with urllib.request.urlopen(url + "/runs/%s/training_info.json" % run.id) as res:
            info = json.loads(res.read())
        self.assertEqual(list(info), list(training_analyst._LINEAGE_KEYS))
        self.assertEqual((info["model_name"], info["stage"], info["base_model"], info["last_dataset"]), ("m", "s1", "bert-base", "B"))

    def test_module_function(self):
        stage = os.path.join(temp_dir(self), "resnet", "stage-a")
        training_analyst.append_training_history(stage, "imagenet-subset", 300, epochs=1, metrics={"val_acc": 0.5},
                                                 end_time=0)
        info = training_analyst.LineageManager.read(os.path.join(stage, "training_info.json"))
        self.assertEqual((info["model_name"], info["stage"], info["created"], info["total_steps"]),
                         ("resnet", "stage-a", "1970-01-01T00:00:00Z", 300))


if __name__ == "__main__":
    unittest.main()
