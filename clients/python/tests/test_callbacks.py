"""Framework callbacks driven through each framework's documented call sequence.

Hugging Face, Lightning and Keras cannot be installed here (no package index), so these tests
install small stand-ins for the base classes the callbacks subclass (`transformers.TrainerCallback`,
`lightning.pytorch.loggers.Logger`, `keras.callbacks.Callback`) and call the hooks in the order and
with the arguments each framework's documentation gives.
"""

import os
import sys
import types
import unittest
from types import SimpleNamespace

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from service import events, get, post, shared_url, temp_dir, unique, wait_until  # noqa: E402

HF_EVENTS = ("on_init_end", "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_step_begin",
             "on_pre_optimizer_step", "on_optimizer_step", "on_substep_end", "on_step_end", "on_evaluate",
             "on_predict", "on_save", "on_log", "on_prediction_step")


def _module(name, **attrs):
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    sys.modules[name] = mod
    return mod


class TrainerCallback:
    """transformers.TrainerCallback: every event is a no-op the subclass may override."""


for _event in HF_EVENTS:
    setattr(TrainerCallback, _event, lambda self, args, state, control, **kwargs: None)


class LightningLogger:
    """lightning.pytorch.loggers.Logger: name, version, log_metrics and log_hyperparams are abstract."""

    def save(self):
        pass

    def finalize(self, status):
        self.save()


class KerasCallback:
    """keras.callbacks.Callback: fit() calls set_params and set_model before any hook."""

    def __init__(self):
        self.params = None
        self.model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model


_module("transformers", TrainerCallback=TrainerCallback)
_module("lightning")
_module("lightning.pytorch")
_module("lightning.pytorch.loggers", Logger=LightningLogger)
_module("keras")
_module("keras.callbacks", Callback=KerasCallback)

import training_analyst  # noqa: E402


def fast(**kw):
    return dict(flush_interval=0.05, control_interval=0.05, max_backoff=0.2, **kw)


class HuggingFaceTest(unittest.TestCase):
    def train(self, callback, steps=20, logging_steps=5):
        """Trainer's inner loop as transformers calls its CallbackHandler."""
        args = SimpleNamespace(output_dir="out", num_train_epochs=2, learning_rate=3e-4,
                               to_dict=lambda: {"learning_rate": 3e-4, "num_train_epochs": 2, "output_dir": "out",
                                                "report_to": ["none"]})
        state = SimpleNamespace(global_step=0, epoch=0.0, max_steps=steps, log_history=[])
        control = SimpleNamespace(should_training_stop=False, should_save=False, should_log=False,
                                  should_evaluate=False, should_epoch_stop=False)
        handler = lambda event, **kw: getattr(callback, event)(args, state, control, model=None, **kw)  # noqa: E731
        handler("on_init_end")
        handler("on_train_begin")
        handler("on_epoch_begin")
        for _ in range(steps):
            handler("on_step_begin")
            state.global_step += 1
            state.epoch = 2.0 * state.global_step / steps
            handler("on_pre_optimizer_step")
            handler("on_optimizer_step")
            handler("on_step_end")
            if state.global_step % logging_steps == 0:
                handler("on_log", logs={"loss": 1.0 / state.global_step, "grad_norm": 0.9, "learning_rate": 3e-4,
                                        "epoch": state.epoch})
            if control.should_save:
                handler("on_save")
                control.should_save = False
            if control.should_training_stop:
                break
        metrics = {"eval_loss": 0.4, "eval_accuracy": 0.8, "epoch": state.epoch}
        handler("on_log", logs=metrics)
        handler("on_evaluate", metrics=metrics)
        handler("on_epoch_end")
        handler("on_log", logs={"train_runtime": 12.5, "train_samples_per_second": 80.0, "train_loss": 0.3,
                                "epoch": state.epoch})
        handler("on_train_end")
        return state

    def test_logs_eval_and_summary_in_a_run_it_creates(self):
        cb = training_analyst.HuggingFaceCallback(project="client-hf", name=unique("hf"), url=shared_url(), **fast())
        self.assertIsInstance(cb, TrainerCallback)
        self.train(cb)
        run = cb.run
        self.assertTrue(run.finished)
        url = shared_url()
        status = get(url, "/runs/" + run.id)
        self.assertEqual((status["status"], status["total_steps"], status["total_epochs"]), ("completed", 20, 2))
        self.assertEqual(status["config"]["learning_rate"], 3e-4)
        self.assertNotIn("report_to", status["config"])
        self.assertEqual(status["meta"]["summary"]["train_runtime"], 12.5)
        points = [(e["step"], sorted(e["values"])) for e in events(url, run.id, "metrics")]
        self.assertEqual(points, [(5, ["grad_norm", "learning_rate", "loss"]), (10, ["grad_norm", "learning_rate", "loss"]),
                                  (15, ["grad_norm", "learning_rate", "loss"]),
                                  # the evaluation at the last step joins that step's point
                                  (20, ["eval_accuracy", "eval_loss", "grad_norm", "learning_rate", "loss"])])

    def test_stop_and_checkpoint_act_through_trainer_control(self):
        url = shared_url()
        run = training_analyst.init(project="client-hf", name=unique("hf-control"), url=url, **fast())
        cb = training_analyst.HuggingFaceCallback(run)
        cid = post(url, "/runs/%s/control" % run.id, {"action": "checkpoint"})["id"]
        wait_until(lambda: run.checkpoint_requested, "the checkpoint request")
        post(url, "/runs/%s/control" % run.id, {"action": "stop"})
        wait_until(lambda: run._stop_id, "the stop request")
        state = self.train(cb)
        self.assertEqual(state.global_step, 1)
        self.assertFalse(run.finished)  # the callback did not create this run, so it does not end it
        run.finish()
        saved = events(url, run.id, "checkpoint_saved")
        self.assertEqual((saved[0]["path"], saved[0]["step"]), (os.path.join("out", "checkpoint-1"), 1))
        controls = get(url, "/runs/%s/control" % run.id)["controls"]
        self.assertEqual({c["action"]: c["outcome"] for c in controls}, {"checkpoint": "done", "stop": "done"})
        self.assertEqual(next(c for c in controls if c["id"] == cid)["outcome"], "done")
        self.assertEqual(get(url, "/runs/" + run.id)["status"], "stopped")


class LightningTest(unittest.TestCase):
    def test_hyperparams_metrics_and_finalize(self):
        url = shared_url()
        logger = training_analyst.LightningLogger(project="client-lightning", name=unique("pl"), url=url, **fast())
        self.assertIsInstance(logger, LightningLogger)
        # Trainer.fit: hyperparameters once, then metrics at each logging step, then finalize.
        logger.log_hyperparams(SimpleNamespace(lr=0.02, hidden=128))
        for step in (49, 99, 149):
            logger.log_metrics({"train_loss_step": 1.0 / (step + 1), "epoch": step // 100}, step=step)
        logger.log_metrics({"val_loss": 0.7, "val_acc": 0.75, "epoch": 1}, step=149)
        logger.save()
        logger.finalize("success")
        run = logger.experiment if not logger.run.finished else logger.run
        self.assertEqual(logger.version, run.id)
        status = get(url, "/runs/" + run.id)
        self.assertEqual((status["status"], status["config"]["lr"]), ("completed", 0.02))
        points = events(url, run.id, "metrics")
        self.assertEqual([(p["step"], p.get("epoch")) for p in points], [(49, 0), (99, 0), (149, 1)])
        self.assertEqual(sorted(points[2]["values"]), ["train_loss_step", "val_acc", "val_loss"])


class KerasTest(unittest.TestCase):
    def fit(self, cb, model, epochs=3, steps=4):
        """Model.fit's callback calls, as keras.callbacks.CallbackList makes them."""
        cb.set_model(model)
        cb.set_params({"epochs": epochs, "steps": steps, "verbose": 1})
        cb.on_train_begin({})
        for epoch in range(epochs):
            cb.on_epoch_begin(epoch, {})
            for batch in range(steps):
                cb.on_train_batch_begin(batch, {}) if hasattr(cb, "on_train_batch_begin") else None
                cb.on_train_batch_end(batch, {"loss": 1.0 / (epoch * steps + batch + 1), "accuracy": 0.5})
                if model.stop_training:
                    break
            cb.on_epoch_end(epoch, {"loss": 0.5 / (epoch + 1), "accuracy": 0.6, "val_loss": 0.6 / (epoch + 1),
                                    "val_accuracy": 0.55})
            if model.stop_training:
                break
        cb.on_train_end({})

    def test_epochs_batches_stop_and_checkpoint(self):
        url = shared_url()
        saved = []
        model = SimpleNamespace(stop_training=False, save=lambda path: saved.append(path))
        run = training_analyst.init(project="client-keras", name=unique("keras"), url=url, **fast())
        cb = training_analyst.KerasCallback(run, log_every_n_batches=2, checkpoint_path=os.path.join(temp_dir(self), "e{epoch}.keras"))
        self.assertIsInstance(cb, KerasCallback)
        self.fit(cb, model, epochs=1)
        post(url, "/runs/%s/control" % run.id, {"action": "checkpoint"})
        wait_until(lambda: run.checkpoint_requested, "the checkpoint request")
        post(url, "/runs/%s/control" % run.id, {"action": "stop"})
        wait_until(lambda: run._stop_id, "the stop request")
        model.stop_training = False
        self.fit(cb, model, epochs=3)
        run.finish()
        self.assertEqual(len(saved), 1)
        self.assertTrue(saved[0].endswith("e1.keras"))
        points = events(url, run.id, "metrics")
        batch_points = [p["step"] for p in points if "batch/loss" in p["values"]]
        epoch_points = [p for p in points if "val_loss" in p["values"]]
        self.assertEqual(batch_points, [2, 4])
        self.assertEqual([p["epoch"] for p in epoch_points], [1, 1])
        self.assertEqual(len(events(url, run.id, "checkpoint_saved")), 1)
        self.assertEqual(get(url, "/runs/" + run.id)["status"], "stopped")


if __name__ == "__main__":
    unittest.main()
