"""Real PyTorch training through the client (Debian's python3-torch and python3-sklearn).

Skipped, with the reason, where torch or scikit-learn is not installed.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import training_analyst  # noqa: E402
from service import ChildService, events, get, shared_url, unique, wait_until  # noqa: E402

try:
    import torch
    from sklearn.datasets import load_digits
except ImportError as e:  # a machine without Debian's python3-torch / python3-sklearn
    raise unittest.SkipTest("real training needs torch and scikit-learn (apt-get install python3-torch "
                            "python3-sklearn): %s" % e)


def fast(**kw):
    return dict(flush_interval=0.05, control_interval=0.1, max_backoff=0.2, **kw)


def digits():
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    g = torch.Generator().manual_seed(0)
    order = torch.randperm(len(x), generator=g)
    val, train = order[:360], order[360:]
    return x[train], y[train], x[val], y[val]


def train(run, optimizer_name, lr, epochs, batch_size=64, on_step=None, step_level=False, seed=1):
    """An MLP on scikit-learn's digits, logging as a trainer does: per step or per epoch."""
    torch.manual_seed(seed)
    xt, yt, xv, yv = digits()
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = (torch.optim.Adam if optimizer_name == "adam" else torch.optim.SGD)(model.parameters(), lr=lr)
    run.watch(model, log_freq=10)
    loss_fn = torch.nn.CrossEntropyLoss()
    step = 0
    for epoch in range(1, epochs + 1):
        run.event({"type": "epoch_started", "epoch": epoch, "total_epochs": epochs})
        model.train()
        order = torch.randperm(len(xt))
        total = 0.0
        for i in range(0, len(xt), batch_size):
            idx = order[i:i + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            step += 1
            total += loss.item() * len(idx)
            if step_level:
                run.log({"loss": loss.item(), "lr": lr}, step=step, epoch=epoch)
            if on_step:
                on_step(step)
        model.eval()
        with torch.no_grad():
            out = model(xv)
            val_loss = loss_fn(out, yv).item()
            val_acc = (out.argmax(1) == yv).float().mean().item()
        run.log({"train_loss": total / len(xt), "val_loss": val_loss, "val_acc": val_acc, "lr": lr}, step=step,
                epoch=epoch)
        run.event({"type": "epoch_ended", "epoch": epoch, "total_epochs": epochs})
    return step


def alarms(url, run_id):
    return [f for f in get(url, "/runs/%s/findings" % run_id)["findings"] if f["severity"] in ("warning", "critical")]


class RealTrainingTest(unittest.TestCase):
    def test_watch_records_gradient_and_weight_norms(self):
        url = shared_url()
        run = training_analyst.init(project="client-torch", name=unique("watch"), url=url, **fast())
        steps = train(run, "adam", 1e-3, epochs=1)
        self.assertTrue(run.finish())
        norms = [e for e in events(url, run.id, "metrics") if "grad_norm" in e["values"]]
        self.assertEqual([n["step"] for n in norms], list(range(10, steps + 1, 10)))
        values = norms[0]["values"]
        self.assertEqual(sorted(values), ["grad_norm", "grad_norm/0", "grad_norm/2", "weight_norm"])
        self.assertAlmostEqual(values["grad_norm"] ** 2, values["grad_norm/0"] ** 2 + values["grad_norm/2"] ** 2, places=4)
        self.assertGreater(values["weight_norm"], 0)

    def test_a_healthy_run_raises_no_warning(self):
        url = shared_url()
        run = training_analyst.init(project="client-torch", name=unique("healthy"), url=url,
                                    config={"lr": 1e-3, "optimizer": "adam", "batch_size": 64}, **fast())
        train(run, "adam", 1e-3, epochs=12)
        self.assertTrue(run.finish())
        self.assertEqual(alarms(url, run.id), [])
        self.assertGreater(get(url, "/runs/" + run.id)["latest"]["val_acc"], 0.9)

    def test_a_learning_rate_far_too_high_is_reported_while_it_trains(self):
        url = shared_url()
        run = training_analyst.init(project="client-torch", name=unique("lr-too-high"), url=url,
                                    config={"lr": 8.0, "optimizer": "sgd"}, **fast())
        last = train(run, "sgd", 8.0, epochs=4, step_level=True)
        found = wait_until(lambda: [f for f in alarms(url, run.id) if f["kind"] in ("nan_loss", "divergence")],
                           "a NaN or divergence finding before the run finished")
        self.assertEqual(get(url, "/runs/" + run.id)["status"], "running")
        self.assertLess(found[0]["step"], last)
        run.finish()

    def test_every_point_arrives_once_when_the_service_restarts_mid_run(self):
        service = ChildService()
        self.addCleanup(service.close)
        run = training_analyst.init(project="client-torch", name=unique("restart"), url=service.url, **fast())

        def outage(step):
            if step == 40:
                service.kill()
            if step == 90:
                service.start()

        with self.assertLogs("training_analyst"):
            steps = train(run, "adam", 1e-3, epochs=5, step_level=True, on_step=outage)
        self.assertTrue(run.finish(timeout=60))
        points = [e["step"] for e in events(service.url, run.id, "metrics") if "loss" in e["values"]]
        self.assertEqual(points, list(range(1, steps + 1)))
        self.assertEqual(len(events(service.url, run.id, "epoch_ended")), 5)


if __name__ == "__main__":
    unittest.main()
