"""The Python client's figures: the cost of one `log` call, and the training-step overhead of ten
`log` calls per step in a real PyTorch loop. Prints one JSON object.

Usage: python3 bench/client.py SERVICE_URL
"""

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "python"))
import training_analyst  # noqa: E402

URL = sys.argv[1]


_sender = training_analyst.Run._run_sender


def _timed_sender(run):
    """The sender loop, noting the CPU its thread used when it ends."""
    try:
        _sender(run)
    finally:
        run.bench_sender_cpu = time.thread_time()


training_analyst.Run._run_sender = _timed_sender


def _median_call_us(run, rounds, calls):
    """Median over rounds of the caller's time per `log` call (four metrics), in microseconds."""
    times, step = [], 0
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(calls):
            step += 1
            run.log({"loss": 0.5, "lr": 0.001, "acc": 0.9, "grad_norm": 1.3}, step=step)
        times.append((time.perf_counter() - t0) / calls)
    return statistics.median(times) * 1e6


def per_log_call_alone(rounds=5, calls=20_000):
    """The caller's time per call with the sender held: the call by itself."""
    run = training_analyst.init(project="bench", name="log-call-alone", url=URL, max_queue=10 ** 7, collect_meta=False)
    take, run._take = run._take, lambda: []
    median = _median_call_us(run, rounds, calls)
    run._take = take
    run.finish(timeout=120)
    return median


def per_log_call(rounds=5, calls=20_000):
    """The caller's time per call (four metrics) with the sender running, and the sender's CPU per call."""
    run = training_analyst.init(project="bench", name="log-call", url=URL, max_queue=10 ** 7, collect_meta=False)
    median = _median_call_us(run, rounds, calls)
    run.finish(timeout=120)
    run._thread.join()
    return median, run.bench_sender_cpu / (rounds * calls) * 1e6


def step_overhead(rounds=15, steps_per_round=20, logs_per_step=10):
    """A small CNN's SGD steps with and without ten `log` calls each, in alternating rounds.

    Two measures: the median wall-time difference (sensitive to other load on the machine), and
    the client's CPU per step (the training thread's CPU inside `log` plus the sender thread's CPU,
    both read from thread clocks, so time the process spends descheduled does not count) over the
    median step time without logging."""
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * 8 * 8, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(32, 3, 32, 32), torch.randint(0, 10, (32,))
    loss_fn = torch.nn.CrossEntropyLoss()
    run = training_analyst.init(project="bench", name="step-overhead", url=URL, collect_meta=False)
    state = {"step": 0, "in_log": 0.0, "logged": 0}

    def steps(logs):
        t0 = time.perf_counter()
        for _ in range(steps_per_round):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            value = loss.item()
            state["step"] += 1
            if logs:
                t1 = time.thread_time()
                for k in range(logs):
                    run.log({"loss": value, "lr": 0.01, "part_%d" % k: value}, step=state["step"])
                state["in_log"] += time.thread_time() - t1
                state["logged"] += 1
        return (time.perf_counter() - t0) / steps_per_round

    without, with_logs = [], []
    for _ in range(rounds):
        without.append(steps(0))
        with_logs.append(steps(logs_per_step))
    run.finish(timeout=120)
    run._thread.join()
    client_per_step = (state["in_log"] + run.bench_sender_cpu) / state["logged"]
    base, logged = statistics.median(without), statistics.median(with_logs)
    return {"step_ms": base * 1e3, "wall_overhead_pct": 100 * (logged - base) / base,
            "client_cpu_per_step_us": client_per_step * 1e6, "cpu_overhead_pct": 100 * client_per_step / base,
            "torch": torch.__version__}


alone_us = per_log_call_alone()
log_us, sender_us = per_log_call()
print(json.dumps({"log_call_alone_us": alone_us, "log_call_us": log_us, "sender_cpu_per_call_us": sender_us,
                  "step": step_overhead(),
                  "python": sys.version.split()[0]}))
