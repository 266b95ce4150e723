"""Training Analyst for Python trainers: one line in the training script, standard library only.

    import training_analyst
    run = training_analyst.init(project="cifar", name="resnet-lr0.1", config={"lr": 0.1})
    for step in range(1000):
        ...
        run.log({"loss": loss, "lr": lr}, step=step)
        if run.should_stop:
            break
        run.wait_if_paused()
    run.finish()

The package is this one module, so that `curl -O <server>/client/training_analyst.py` gives the
same code as `pip install ./clients/python`. `log` only appends to a bounded in-memory queue; a
background thread batches, retries with back-off, spools to a local file while the service is
unreachable, and polls for control requests (pause / resume / stop / checkpoint). Nothing it does
raises into the training loop: problems become warnings on the `training_analyst` logger.
"""

import atexit
import collections
import csv
import datetime
import http.client
import itertools
import json
import logging
import math
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback as _traceback
import types
import urllib.parse
import uuid

__version__ = "0.1.0"

logger = logging.getLogger("training_analyst")

DEFAULT_URL = "http://127.0.0.1:8787"
# The service takes up to 10,000 events per batch; smaller batches keep a request short.
BATCH_EVENTS = 1000
BATCH_LINES = 1000
# Statuses the service may answer that a retry can fix; any other 4xx is final for that request.
RETRYABLE = {408, 425, 429}


# ---------------------------------------------------------------------------------------------
# Values: what a trainer logs, made into what the service reads
# ---------------------------------------------------------------------------------------------

def _number(v):
    """A metric value as JSON: a number, or "NaN" / "Infinity" / "-Infinity"; None when not numeric."""
    t = type(v)
    if t is float:
        if v - v == 0.0:
            return v
        return "NaN" if v != v else ("Infinity" if v > 0 else "-Infinity")
    if t is int:
        return v
    if t is bool:
        return int(v)
    item = getattr(v, "item", None)  # numpy scalars, 0-d arrays, one-element tensors
    if item is not None:
        try:
            return _number(item())
        except Exception:
            return None
    if isinstance(v, (int, float)):
        return _number(float(v))
    return None


def _json_safe(obj, depth=0):
    """A config or summary as JSON the service accepts: non-finite floats as strings, the rest as text."""
    if depth > 20:
        return str(obj)
    if isinstance(obj, dict):
        return {str(k): _json_safe(v, depth + 1) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v, depth + 1) for v in obj]
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    n = _number(obj)
    if n is not None:
        return n
    if hasattr(obj, "__dict__") and not isinstance(obj, type):
        return _json_safe(vars(obj), depth + 1)
    return str(obj)


def _iso(t=None):
    """ISO 8601 in UTC to the second, as the lineage file writes times."""
    if isinstance(t, str):
        return t
    if isinstance(t, datetime.datetime):
        dt = t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)
    else:
        dt = datetime.datetime.fromtimestamp(time.time() if t is None else t, datetime.timezone.utc)
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# HTTP and the spool
# ---------------------------------------------------------------------------------------------

class _Unreachable(Exception):
    """The service did not answer, or answered with a status worth retrying; `retry_after`: the
    seconds an overloaded service asked to wait (its Retry-After), or None."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


def _retry_after(value):
    """Retry-After in seconds; None when absent or not a number of seconds (the service sends seconds)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


class _Refused(Exception):
    """The service answered with a final 4xx: retrying the same request cannot succeed."""

    def __init__(self, status, body):
        self.status = status
        self.body = body
        err = body.get("error") if isinstance(body, dict) else None
        super().__init__("%s %s" % (status, err.get("message") if isinstance(err, dict) else body))


class _Http:
    """JSON over HTTP. The sender thread keeps its connection alive (a new connection per batch would
    cost it more CPU than the batch itself); other threads' one-off requests close theirs."""

    def __init__(self, url, token, timeout):
        parts = urllib.parse.urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port
        self.base = parts.path.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.keeper = None  # the thread whose connection stays open
        self._local = threading.local()

    def _connection(self, timeout):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            conn = self._local.conn = cls(self.host, self.port, timeout=timeout)
            self._local.fresh = True
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def close(self):
        """Closes this thread's connection; the next request opens another."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def request(self, method, path, body=None, headers=None, content_type="application/json", timeout=None):
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body, allow_nan=False).encode()
        head = {"accept": "application/json"}
        if data is not None:
            head["content-type"] = content_type
        if self.token:
            head["authorization"] = "Bearer " + self.token
        head.update(headers or {})
        for attempt in (0, 1):
            conn = self._connection(timeout or self.timeout)
            reused = not self._local.fresh
            self._local.fresh = False
            try:
                conn.request(method, self.base + path, body=data, headers=head)
                res = conn.getresponse()
                status, text = res.status, res.read()
                retry_after = _retry_after(res.getheader("retry-after"))
                if threading.get_ident() != self.keeper:
                    self.close()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                self.close()
                # The service closes idle kept-alive connections: a request that met one is sent once more.
                if reused and attempt == 0:
                    continue
                raise _Unreachable(str(e) or type(e).__name__) from None
            except (OSError, http.client.HTTPException) as e:  # refused, timed out, a half-read answer
                self.close()
                raise _Unreachable(str(e) or type(e).__name__) from None
        try:
            answer = json.loads(text) if text else None
        except ValueError:
            answer = None
        if status < 300:
            return answer
        if status >= 500 or status in RETRYABLE:
            raise _Unreachable("%s %s" % (status, answer), retry_after)
        raise _Refused(status, answer)


class _Spool:
    """Items waiting for the service, in order, in a JSON Lines file; only the sender thread uses it."""

    def __init__(self, path):
        self.path = path
        self.read_pos = 0
        self.count = 0
        self._file = None

    def append(self, lines):
        """Adds items already serialised, one JSON text per item."""
        if self._file is None:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            self._file = open(self.path, "a+", encoding="utf-8")
        self._file.seek(0, os.SEEK_END)
        for line in lines:
            self._file.write(line + "\n")
        self._file.flush()
        self.count += len(lines)

    def peek(self, n):
        """Up to n items from the head, and the file position after them."""
        self._file.seek(self.read_pos)
        items = []
        pos = self.read_pos
        while len(items) < n:
            line = self._file.readline()
            if not line:
                break
            pos = self._file.tell()
            items.append(json.loads(line))
        return items, pos

    def advance(self, pos, n):
        self.read_pos = pos
        self.count -= n
        if self.count <= 0:
            self._file.close()
            self._file = None
            os.remove(self.path)
            self.read_pos = 0
            self.count = 0


# ---------------------------------------------------------------------------------------------
# Run metadata and system metrics
# ---------------------------------------------------------------------------------------------

def _git(*args):
    try:
        out = subprocess.run(("git",) + args, capture_output=True, text=True, timeout=3)
        return out.stdout.strip() if out.returncode == 0 else None
    except Exception:
        return None


def collect_metadata():
    """Reproducibility facts: git commit and dirty flag, Python / torch / CUDA versions, GPU, host."""
    meta = {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "command": " ".join(sys.argv),
        "client": "training_analyst " + __version__,
    }
    commit = _git("rev-parse", "HEAD")
    if commit:
        meta["git_commit"] = commit
        meta["git_dirty"] = bool(_git("status", "--porcelain", "--untracked-files=no"))
        branch = _git("rev-parse", "--abbrev-ref", "HEAD")
        if branch and branch != "HEAD":
            meta["git_branch"] = branch
    # The training framework, first of those imported: the service shows it as framework + version.
    for name in ("torch", "tensorflow", "jax"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__version__", None):
            meta["framework"], meta["framework_version"] = name, str(module.__version__)
            break
    # Only frameworks the trainer already imported: importing torch here would cost seconds.
    np = sys.modules.get("numpy")
    if np is not None:
        meta["numpy"] = getattr(np, "__version__", None)
    torch = sys.modules.get("torch")
    if torch is not None:
        meta["torch"] = getattr(torch, "__version__", None)
        try:
            meta["cuda"] = torch.version.cuda
            if torch.cuda.is_available():
                props = torch.cuda.get_device_properties(0)
                meta["gpu"] = props.name
                meta["gpu_count"] = torch.cuda.device_count()
                meta["gpu_memory_gb"] = round(props.total_memory / 2 ** 30, 2)
        except Exception:
            pass
    return meta


class _SystemSampler:
    """Process CPU %, resident memory and GPU memory, sampled by the sender thread."""

    def __init__(self):
        self.last_wall = time.monotonic()
        self.last_cpu = sum(os.times()[:2])

    def sample(self):
        wall, cpu = time.monotonic(), sum(os.times()[:2])
        values = {"system/cpu_percent": 100.0 * (cpu - self.last_cpu) / max(wall - self.last_wall, 1e-9)}
        self.last_wall, self.last_cpu = wall, cpu
        try:
            with open("/proc/self/statm") as f:
                values["system/rss_mb"] = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
        except OSError:
            import resource
            values["system/max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        torch = sys.modules.get("torch")
        try:
            if torch is not None and torch.cuda.is_available():
                values["system/gpu_memory_mb"] = torch.cuda.memory_allocated() / 2 ** 20
        except Exception:
            pass
        return values


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

class Summary(dict):
    """The run's closing figures: the last value of each metric unless set by hand; sent at finish."""


class Config(dict):
    """Hyperparameters, readable as attributes too (`run.config.lr`)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        self[key] = value


class Run:
    """One training run. Use `init()` to make one; every method is safe to call from the training loop."""

    def __init__(self, project=None, name=None, config=None, url=None, token=None, *, resume=None, id=None,
                 tags=None, total_epochs=None, total_steps=None, stage=None, dataset=None, base_model=None,
                 parent_run=None, meta=None, collect_meta=True, system_metrics=False, max_queue=100_000,
                 flush_interval=1.0, control_interval=2.0, max_backoff=30.0, timeout=10.0, init_timeout=5.0,
                 spool_dir=None, max_spool_bytes=2 ** 30):
        self.url = (url or os.environ.get("ANALYST_URL") or DEFAULT_URL).rstrip("/")
        self._named = (name, project or os.environ.get("ANALYST_PROJECT"))
        self.project = project or os.environ.get("ANALYST_PROJECT") or "default"
        self.name = name or time.strftime("run-%Y%m%d-%H%M%S")
        self.config = Config(config or {})
        self.summary = Summary()
        self.id = None
        self.dropped = 0
        self.finished = False
        self._http = _Http(self.url, token if token is not None else os.environ.get("ANALYST_TOKEN"), timeout)
        # The create's idempotency key doubles as the prefix of every event id: unique per run, so a
        # replayed spool is deduplicated by the service and never collides with another run's ids.
        # From the OS, not `random`: trainers seed `random` alike in every process of a distributed run.
        self._key = uuid.uuid4().hex
        self._ids = itertools.count(1)  # next() on it is atomic: the sender thread numbers events too
        self._step = 0
        self._explicit_step = None
        self._pending = {}
        self._buf = None  # the latest step's metrics event, still gathering values
        self._buf_lock = threading.Lock()
        self._queue = collections.deque()
        self._in_flight = 0
        self._max_queue = max_queue
        self._batch_wake = max(1, min(BATCH_EVENTS, max_queue // 4))
        self._warned = set()
        self._create_body = self._create_body_of(resume or id, tags, total_epochs, total_steps, stage, dataset,
                                                 base_model, parent_run, meta, collect_meta)
        self._spool = _Spool(os.path.join(spool_dir or os.path.join(tempfile.gettempdir(), "training_analyst"),
                                          "%s-%s.jsonl" % (self._safe(self.name), self._key)))
        self._max_spool_bytes = max_spool_bytes
        self._spool_bytes = 0
        self._flush_interval = flush_interval
        self._control_interval = control_interval
        self._next_control = 0.0
        self._max_backoff = max_backoff
        self._backoff = 0.0
        self._retry_at = 0.0
        self._sampler = _SystemSampler() if system_metrics else None
        self._system_every = 10.0 if system_metrics is True else float(system_metrics or 0)
        self._next_system = time.monotonic() + self._system_every
        # Control coming back from the service.
        self._controls_seen = set()
        self._acks = collections.deque()
        self._stop_id = None
        self._stop_acked = False
        self._pause_id = None
        self._pause_acked = False
        self._resumed = threading.Event()
        self._resumed.set()
        self._checkpoint_ids = []
        self._control_handlers = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        self._drained = threading.Event()
        self.events = TrainingEvents(self)
        self._watchers = []
        self._create(init_timeout)
        self._thread = threading.Thread(target=self._run_sender, name="training_analyst-sender", daemon=True)
        self._thread.start()

    @staticmethod
    def _safe(name):
        return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:60]

    def _create_body_of(self, resume, tags, total_epochs, total_steps, stage, dataset, base_model, parent_run,
                        meta, collect_meta):
        # Only the fields the service's create accepts: a strict schema refuses any other key.
        body = {"name": self.name, "project": self.project, "config": _json_safe(dict(self.config))}
        facts = collect_metadata() if collect_meta else {}
        facts.update(meta or {})
        body["meta"] = _json_safe(facts)
        if tags:
            body["tags"] = {str(t): "" for t in tags} if isinstance(tags, (list, tuple, set)) else _json_safe(tags)
        for k, v in (("total_epochs", total_epochs), ("total_steps", total_steps), ("stage", stage),
                     ("dataset", dataset), ("base_model", base_model), ("parent_run", parent_run)):
            if v is not None:
                body[k] = int(v) if k.startswith("total_") else str(v)
        if resume is not None:
            body["resume"] = str(resume)
            # A resumed run keeps its own name and project; only ones the trainer gave are checked against it.
            if self._named[0] is None:
                del body["name"]
            if self._named[1] is None:
                del body["project"]
        return body

    def _create(self, timeout=None):
        try:
            answer = self._http.request("POST", "/runs", self._create_body, headers={"Idempotency-Key": self._key},
                                        timeout=timeout)
            self.id = answer["id"]
            return True
        except _Unreachable as e:
            self._warn_once("create", "service at %s unreachable (%s); keeping points in %s until it answers",
                            self.url, e, self._spool.path)
        except _Refused as e:
            self._warn_once("create-refused", "the service refused to create the run: %s; nothing will be sent", e)
            self._create_body = None
        except Exception as e:
            self._warn_once("create-error", "creating the run failed: %r", e)
        return False

    # -- what the training loop calls -----------------------------------------------------------

    def log(self, values, step=None, epoch=None, commit=True):
        """Queues metric values; returns at once. Non-numeric values are ignored, with one warning per name."""
        try:
            pending = self._pending
            for k, v in values.items():
                if type(v) is float and v - v == 0.0:  # the common case, without a call
                    pending[k] = v
                    continue
                n = _number(v)
                if n is None:
                    if isinstance(v, dict):
                        for sk, sv in v.items():
                            self._put_value(pending, "%s/%s" % (k, sk), sv)
                    else:
                        self._ignored(k, v)
                else:
                    pending[k] = n
            if not commit:
                return
            if step is None:
                step = self._step
            else:
                self._explicit_step = step
            self._step = step + 1
            if pending:
                self._pending = {}
                self.summary.update(pending)
                self._add(pending, step, epoch)
        except Exception as e:
            self._warn_once("log", "log() failed and was skipped: %r", e)

    def _add(self, values, step, epoch):
        """Calls for the same step (loss, lr, norms logged apart) become one event: the sender then
        serialises one point where it would have sent ten."""
        if self.finished:
            self._warn_once("after-finish", "the run is finished; later data is not sent")
            return
        with self._buf_lock:
            buf = self._buf
            if buf is not None and buf["step"] == step and buf.get("epoch") == epoch:
                buf["values"].update(values)
                return
            if buf is not None:
                self._enqueue("e", buf)
            buf = self._buf = {"type": "metrics", "step": step, "values": values, "ts": time.time()}
            if epoch is not None:
                buf["epoch"] = epoch

    def _put_value(self, pending, key, v):
        n = _number(v)
        if n is None:
            self._ignored(key, v)
        else:
            pending[key] = n

    def _ignored(self, key, v):
        self._warn_once("ignored:" + key, "ignoring %r: %s is not a number", key, type(v).__name__)

    def event(self, event, _closing=False):
        """Queues one event of the service's schema (epoch_started, checkpoint_saved, error, ...)."""
        try:
            self._put("e", _json_safe(event), _closing)
        except Exception as e:
            self._warn_once("event", "event() failed and was skipped: %r", e)

    def log_line(self, message, level="info", ts=None):
        """Queues one of the trainer's log lines; the service reads metrics out of the lines it knows."""
        self._put("l", {"message": str(message), "level": level, "ts": time.time() if ts is None else ts})

    def alert(self, title, text="", level="warning"):
        """A message from the trainer to whoever watches the run: an entry in its log at that level."""
        level = {"warn": "warning", "fatal": "critical"}.get(str(level).lower(), str(level).lower())
        if level not in ("debug", "info", "warning", "error", "critical"):
            level = "warning"
        self.event({"type": "log", "level": level, "message": "%s: %s" % (title, text) if text else str(title)})

    @property
    def pending(self):
        """Items not yet delivered: queued in memory or spooled to disk."""
        return (self._buf is not None) + len(self._queue) + self._in_flight + self._spool.count

    @property
    def step(self):
        """The step the next `log` without `step=` will use."""
        return self._step

    def _put(self, kind, body, closing=False):
        if self.finished:
            self._warn_once("after-finish", "the run is finished; later data is not sent")
            return
        with self._buf_lock:
            self._flush_buf(closing)
            self._enqueue(kind, body, closing)

    def _flush_buf(self, closing=False):
        """Queues the step being gathered, ahead of what follows it; the caller holds _buf_lock."""
        if self._buf is not None:
            buf, self._buf = self._buf, None
            self._enqueue("e", buf, closing)

    def _enqueue(self, kind, body, closing=False):
        if kind == "e":
            body["event_id"] = "%s-%d" % (self._key, next(self._ids))
            if "ts" not in body:
                body["ts"] = time.time()
        queue = self._queue
        if len(queue) >= self._max_queue and not closing:
            # Full: the newest item is the one refused, so what is queued stays a gap-free prefix.
            self.dropped += 1
            self._warn_once("full", "queue full (%d items): dropping new data until the sender catches up; "
                            "run.dropped counts what was lost", self._max_queue)
            return
        queue.append((kind, body))
        if len(queue) >= self._batch_wake:
            self._wake.set()

    # -- control --------------------------------------------------------------------------------

    @property
    def should_stop(self):
        """True once someone asked the run to stop; reading it tells the service the trainer heard."""
        if self._stop_id is not None and not self._stop_acked:
            self._stop_acked = True
            self._acks.append((self._stop_id, "done", "the trainer is stopping"))
        return self._stop_id is not None

    @property
    def is_paused(self):
        return not self._resumed.is_set()

    def wait_if_paused(self, timeout=None):
        """Blocks while the run is paused (until resume or stop). Returns True if it waited."""
        if self._resumed.is_set():
            return False
        with self._lock:
            if self._pause_id is not None and not self._pause_acked:
                self._pause_acked = True
                self._acks.append((self._pause_id, "done", "the trainer is paused"))
        self._resumed.wait(timeout)
        return True

    @property
    def checkpoint_requested(self):
        return bool(self._checkpoint_ids)

    def checkpoint_done(self, path=None, step=None, epoch=None, failed=None):
        """Tells the service the requested checkpoint was written (or why not), and logs it."""
        ids, self._checkpoint_ids = self._checkpoint_ids, []
        for cid in ids:
            self._acks.append((cid, "failed" if failed else "done", failed or ("saved to %s" % path if path else None)))
        if path and not failed:
            e = {"type": "checkpoint_saved", "path": str(path)}
            if step is not None:
                e["step"] = int(step)
            if epoch is not None:
                e["epoch"] = epoch
            self.event(e)

    def on_control(self, fn):
        """Calls fn(action, request) on the sender thread for each control request as it arrives."""
        self._control_handlers.append(fn)
        return fn

    def _apply_control(self, c):
        action, cid = c.get("action"), c.get("id")
        with self._lock:
            if action == "stop":
                self._stop_id = cid
                self._resumed.set()
            elif action == "pause":
                self._pause_id, self._pause_acked = cid, False
                self._resumed.clear()
            elif action == "resume":
                if self._pause_id is not None and not self._pause_acked:
                    # Paused and resumed before the loop noticed: the pause never took effect.
                    self._acks.append((self._pause_id, "failed", "resumed before the trainer paused"))
                self._pause_id = None
                self._resumed.set()
                self._acks.append((cid, "done", None))
            elif action == "checkpoint":
                self._checkpoint_ids.append(cid)
        for fn in list(self._control_handlers):
            try:
                fn(action, c)
            except Exception as e:
                logger.warning("on_control handler failed: %r", e)

    # -- watch: gradient and weight norms of a PyTorch model -----------------------------------

    def watch(self, model, log_freq=100):
        """Logs the global and per-layer gradient norms and the weight norm every `log_freq` training steps."""
        try:
            return _Watcher(self, model, log_freq)
        except Exception as e:
            self._warn_once("watch", "watch() failed: %r", e)
            return None

    # -- finishing ------------------------------------------------------------------------------

    def finish(self, status="completed", timeout=30.0):
        """Sends what is left, within `timeout` seconds. Returns True when nothing is left to send
        (`run.dropped` counts what was lost to a full queue or a refusal)."""
        if self.finished:
            return self._drained.is_set()
        try:
            if self._pending:
                self.log({}, commit=True)
            for w in list(self._watchers):
                w.flush()
            # The closing events pass a full queue: a run must be able to say it ended.
            if self.summary:
                self.event({"type": "run_started", "meta": {"summary": _json_safe(dict(self.summary))}}, True)
            if self._stop_id is not None and status == "completed":
                status = "stopped"
            self.event({"type": "run_finished", "status": status}, True)
        finally:
            self.finished = True
            self._closing = True
            self._wake.set()
        done = self._drained.wait(timeout)
        if not done:
            logger.warning("finish: %d items not delivered within %.1f s (%d of them in %s); the sender keeps "
                           "trying while the process lives", self.pending, timeout, self._spool.count, self._spool.path)
        if self.dropped:
            logger.warning("%d items were dropped (queue full or refused by the service)", self.dropped)
        _forget(self)
        return done

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and not issubclass(exc_type, KeyboardInterrupt):
            self.event({"type": "error", "message": "%s: %s" % (exc_type.__name__, exc),
                        "traceback": "".join(_traceback.format_exception(exc_type, exc, tb))[-200_000:]})
            self.finish("failed")
        else:
            self.finish("stopped" if exc_type is not None else "completed")
        return False

    def _warn_once(self, key, msg, *args):
        if key not in self._warned:
            self._warned.add(key)
            logger.warning(msg, *args)

    # -- the sender thread ----------------------------------------------------------------------

    def _run_sender(self):
        self._http.keeper = threading.get_ident()
        try:
            self._send_loop()
        finally:
            self._http.close()

    def _send_loop(self):
        while True:
            self._wake.wait(self._flush_interval)
            self._wake.clear()
            try:
                self._cycle()
            except Exception as e:  # a bug here must not end the thread, or the queue would fill
                logger.warning("sender: %r", e)
            if self._closing and self.pending == 0 and not self._acks:
                self._drained.set()
                return

    def _cycle(self):
        try:
            self._in_flight = 0
            self._send_cycle()
        finally:
            self._in_flight = 0

    def _send_cycle(self):
        with self._buf_lock:
            self._flush_buf()
        items = self._take()
        now = time.monotonic()
        if self.id is None and self._create_body is not None and now >= self._retry_at:
            if not self._create():
                self._failed()
        if self._create_body is None and self.id is None:
            self.dropped += len(items) + self._spool.count
            if self._spool.count:
                self._spool.advance(0, self._spool.count)
            self._acks.clear()
            return
        if items:
            if self._spool.count or self.id is None or now < self._retry_at:
                self._to_spool(items)
            else:
                sent = self._deliver(items)
                if sent < len(items):
                    self._to_spool(items[sent:])
        while self._spool.count and self.id is not None and time.monotonic() >= self._retry_at:
            chunk, pos = self._spool.peek(BATCH_EVENTS)
            sent = self._deliver(chunk)
            if sent:
                self._spool.advance(pos if sent == len(chunk) else self._pos_after(sent), sent)
                if not self._spool.count:
                    self._spool_bytes = 0
            if sent < len(chunk):
                break
        if self.id is not None and time.monotonic() >= self._retry_at:
            self._send_acks()
            if not self._closing and time.monotonic() >= self._next_control:
                self._poll_control()
        if self._sampler is not None and time.monotonic() >= self._next_system and not self._closing:
            self._next_system = time.monotonic() + self._system_every
            self._put("e", {"type": "metrics", "values": self._sampler.sample()})

    def _pos_after(self, n):
        _, pos = self._spool.peek(n)
        return pos

    def _take(self):
        q = self._queue
        n = len(q)
        self._in_flight = n
        return [q.popleft() for _ in range(n)]

    def _to_spool(self, items):
        lines = [json.dumps([k, b], allow_nan=False) for k, b in items]
        size = sum(len(line) + 1 for line in lines)
        if self._spool_bytes + size > self._max_spool_bytes:
            self.dropped += len(lines)
            self._warn_once("spool-full", "spool file over %d bytes: dropping new data", self._max_spool_bytes)
            return
        self._spool_bytes += size
        self._spool.append(lines)

    def _failed(self, retry_after=None):
        self._backoff = min(self._max_backoff, max(0.25, self._backoff * 2))
        wait = self._backoff * (0.75 + 0.5 * random.random())
        # An overloaded service says when to come back: never sooner, a little later at random so
        # that the trainers it refused together do not all return together.
        if retry_after is not None:
            wait = max(wait, retry_after * (1 + 0.25 * random.random()))
        self._retry_at = time.monotonic() + wait

    def _deliver(self, items):
        """Sends items in order, one request per run of the same kind; returns how many were delivered."""
        i = 0
        while i < len(items):
            kind = items[i][0]
            j = i
            limit = BATCH_EVENTS if kind == "e" else BATCH_LINES
            while j < len(items) and items[j][0] == kind and j - i < limit:
                j += 1
            try:
                self._send_group(kind, [b for _, b in items[i:j]])
            except _Unreachable as e:
                self._warn_once("unreachable", "service at %s unreachable (%s); spooling to %s and retrying",
                                self.url, e, self._spool.path)
                self._failed(e.retry_after)
                return i
            self._warned.discard("unreachable")
            self._backoff = 0.0
            i = j
        return i

    def _send_group(self, kind, bodies):
        if kind == "e":
            self._send_events(bodies)
        elif kind == "l":
            self._post_final("/runs/%s/logs" % self.id, {"lines": bodies}, len(bodies))
        elif kind == "f":
            for b in bodies:
                path = "/runs/%s/import?filename=%s" % (self.id, urllib.parse.quote(b["filename"]))
                self._post_final(path, b["content"].encode(), 1, content_type="application/octet-stream")

    def _post_final(self, path, body, n, content_type="application/json"):
        try:
            self._http.request("POST", path, body, content_type=content_type)
        except _Refused as e:
            self.dropped += n
            logger.warning("the service refused %d item(s): %s", n, e)

    def _send_events(self, events):
        try:
            self._http.request("POST", "/runs/%s/events" % self.id, {"events": events})
        except _Refused as e:
            if e.status == 413 and len(events) > 1:
                half = len(events) // 2
                self._send_events(events[:half])
                self._send_events(events[half:])
                return
            bad = self._rejected(e, len(events)) if e.status == 400 else set(range(len(events)))
            good = [ev for i, ev in enumerate(events) if i not in bad]
            self.dropped += len(events) - len(good)
            logger.warning("the service refused %d event(s): %s", len(events) - len(good), e)
            if good and len(good) < len(events):
                self._send_events(good)

    @staticmethod
    def _rejected(e, n):
        """Indices of the events a 400 names (`events.<i>...`); all of them when it names none."""
        issues = e.body.get("error", {}).get("issues", []) if isinstance(e.body, dict) else []
        bad = set()
        for issue in issues:
            parts = str(issue.get("path", "")).split(".")
            if len(parts) > 1 and parts[0] == "events" and parts[1].isdigit():
                bad.add(int(parts[1]))
        return bad or set(range(n))

    def _send_acks(self):
        while self._acks:
            cid, outcome, message = self._acks[0]
            body = {"outcome": outcome}
            if message:
                body["message"] = message[:4000]
            try:
                self._http.request("POST", "/runs/%s/control/%s/ack" % (self.id, cid), body)
            except _Unreachable:
                self._failed()
                return
            except _Refused as e:
                logger.warning("control acknowledgement refused: %s", e)
            self._acks.popleft()

    def _poll_control(self):
        self._next_control = time.monotonic() + self._control_interval
        try:
            answer = self._http.request("GET", "/runs/%s/control?pending=1" % self.id)
        except _Unreachable:
            return
        except _Refused as e:
            self._warn_once("control", "control requests unavailable: %s", e)
            self._next_control = float("inf")
            return
        for c in answer.get("controls", []):
            if c.get("id") not in self._controls_seen:
                self._controls_seen.add(c.get("id"))
                self._apply_control(c)


class _Watcher:
    """Gradient norms taken by hooks on the parameters during every `log_freq`-th training step's backward.

    A step is a forward pass in training mode, so norms are logged at the count of optimizer steps of
    a plain loop (gradient accumulation counts each micro-batch)."""

    def __init__(self, run, model, log_freq):
        self.run = run
        self.model = model
        self.log_freq = max(1, int(log_freq))
        self.steps = 0
        self.params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        self.sums = None
        self.handles = []
        self.record_step = None
        self.pre = model.register_forward_pre_hook(self._on_forward)
        run._watchers.append(self)

    def _on_forward(self, module, inputs):
        if not module.training:
            return
        self.flush()
        self.steps += 1
        if self.steps % self.log_freq == 0:
            self.sums = {}
            self.record_step = self.steps
            for name, p in self.params:
                layer = name.rsplit(".", 1)[0] if "." in name else name
                self.handles.append(p.register_hook(self._grad_hook(layer)))

    def _grad_hook(self, layer):
        def hook(grad):
            sq = grad.detach().float().pow(2).sum()
            self.sums[layer] = self.sums[layer] + sq if layer in self.sums else sq
        return hook

    def flush(self):
        """Sends the recorded step's norms; called at the next training forward and at finish."""
        for h in self.handles:
            h.remove()
        self.handles = []
        sums, self.sums = self.sums, None
        if not sums:
            return
        try:
            import torch
            values = {"grad_norm/" + layer: math.sqrt(s.item()) for layer, s in sums.items()}
            values["grad_norm"] = math.sqrt(sum(v * v for v in values.values()))
            with torch.no_grad():
                values["weight_norm"] = math.sqrt(sum(p.detach().float().pow(2).sum().item() for _, p in self.params))
            self.run._add({k: _number(v) for k, v in values.items()}, self.record_step, None)
        except Exception as e:
            self.run._warn_once("watch-flush", "watch: norms not recorded: %r", e)

    def remove(self):
        self.flush()
        self.pre.remove()


# ---------------------------------------------------------------------------------------------
# Module API: init / log / finish on the current run
# ---------------------------------------------------------------------------------------------

_runs = []


def _forget(run):
    if run in _runs:
        _runs.remove(run)


def current_run():
    """The run the module-level functions act on: the last one `init` made and not yet finished."""
    return _runs[-1] if _runs else None


def init(project=None, name=None, config=None, url=None, token=None, **options):
    """Starts a run and returns it. `url` / `token` default to ANALYST_URL / ANALYST_TOKEN.

    `resume=<run id>` (or `id=`) continues that run instead of creating one. Other options: tags,
    total_epochs, total_steps, stage, dataset, base_model, parent_run, meta, system_metrics (True, or
    seconds between samples), max_queue, spool_dir, control_interval, max_backoff, timeout.
    """
    run = Run(project=project, name=name, config=config, url=url, token=token, **options)
    _runs.append(run)
    return run


def log(values, step=None, epoch=None, commit=True):
    run = current_run()
    if run is None:
        logger.warning("training_analyst.log() before init(): nothing sent")
        return
    run.log(values, step=step, epoch=epoch, commit=commit)


def finish(status="completed", timeout=30.0):
    run = current_run()
    return run.finish(status, timeout) if run is not None else True


def watch(model, log_freq=100):
    run = current_run()
    return run.watch(model, log_freq) if run is not None else None


@atexit.register
def _finish_at_exit():
    # An uncaught exception leaves sys.last_type behind before the interpreter exits.
    status = "failed" if getattr(sys, "last_type", None) else "completed"
    for run in list(_runs):
        run.finish(status, timeout=10.0)


# ---------------------------------------------------------------------------------------------
# Seed 4: training events with local subscribers and per-type recent history
# ---------------------------------------------------------------------------------------------

EVENT_TYPES = ("training_start", "training_end", "epoch_start", "epoch_end", "batch_start", "batch_end",
               "checkpoint_saved", "checkpoint_loaded", "metric_update", "error_occurred")


class TrainingEvents:
    """The live monitor's events: each is kept in a recent history per type, handed to local
    subscribers, and sent to the service (batch_start stays local: it carries no measurement)."""

    def __init__(self, run, history=100):
        self.run = run
        self._subscribers = collections.defaultdict(list)
        self._history = {t: collections.deque(maxlen=history) for t in EVENT_TYPES}
        self._batches = 0
        self.state = {"current_epoch": 0, "total_epochs": None, "current_batch": 0, "current_loss": None,
                      "learning_rate": None, "is_training": False}

    def on(self, event_type, fn):
        if event_type not in self._history:
            raise ValueError("unknown event type %r; one of %s" % (event_type, ", ".join(EVENT_TYPES)))
        self._subscribers[event_type].append(fn)
        return fn

    def off(self, event_type, fn):
        if fn in self._subscribers.get(event_type, []):
            self._subscribers[event_type].remove(fn)

    def get_history(self, event_type, limit=None):
        items = list(self._history[event_type])
        return items[-limit:] if limit else items

    def get_state(self):
        return dict(self.state)

    def _emit(self, event_type, data):
        record = {"type": event_type, "timestamp": time.time(), **data}
        self._history[event_type].append(record)
        for fn in list(self._subscribers.get(event_type, [])):
            try:
                fn(record)
            except Exception as e:
                logger.warning("subscriber of %s failed: %r", event_type, e)
        return record

    def emit_training_start(self, total_epochs=None, config=None, **info):
        self.state.update(is_training=True, total_epochs=total_epochs)
        e = {"type": "run_started", "config": _json_safe(config or {})}
        if total_epochs:
            e["total_epochs"] = int(total_epochs)
        if info:
            e["meta"] = _json_safe(info)
        self.run.event(e)
        return self._emit("training_start", {"total_epochs": total_epochs, "config": config, **info})

    def emit_training_end(self, status="completed", **info):
        self.state["is_training"] = False
        record = self._emit("training_end", {"status": status, **info})
        self.run.finish(status)
        return record

    def emit_epoch_start(self, epoch, total_epochs=None):
        self.state.update(current_epoch=epoch, current_batch=0)
        if total_epochs:
            self.state["total_epochs"] = total_epochs
        e = {"type": "epoch_started", "epoch": epoch}
        if total_epochs:
            e["total_epochs"] = int(total_epochs)
        self.run.event(e)
        return self._emit("epoch_start", {"epoch": epoch, "total_epochs": total_epochs})

    def emit_epoch_end(self, epoch, metrics=None, total_epochs=None):
        if metrics:
            self.run.log(metrics, step=self.run._explicit_step, epoch=epoch)
        e = {"type": "epoch_ended", "epoch": epoch}
        if total_epochs or self.state["total_epochs"]:
            e["total_epochs"] = int(total_epochs or self.state["total_epochs"])
        self.run.event(e)
        return self._emit("epoch_end", {"epoch": epoch, "metrics": metrics or {}})

    def emit_batch_start(self, batch, epoch=None):
        self.state["current_batch"] = batch
        return self._emit("batch_start", {"batch": batch, "epoch": epoch if epoch is not None else self.state["current_epoch"]})

    def emit_batch_end(self, batch, loss=None, learning_rate=None, metrics=None, step=None):
        self._batches += 1
        step = self._batches if step is None else step
        values = dict(metrics or {})
        if loss is not None:
            values["loss"] = loss
            self.state["current_loss"] = _number(loss)
        if learning_rate is not None:
            values["lr"] = learning_rate
            self.state["learning_rate"] = learning_rate
        self.state["current_batch"] = batch
        if values:
            self.run.log(values, step=step, epoch=self.state["current_epoch"] or None)
        return self._emit("batch_end", {"batch": batch, "step": step, "loss": loss, "learning_rate": learning_rate,
                                         "metrics": metrics or {}})

    def _checkpoint(self, kind, path, epoch, step, metric, value):
        e = {"type": kind, "path": str(path)}
        for k, v in (("epoch", epoch), ("step", step), ("metric", metric), ("value", _number(value) if value is not None else None)):
            if v is not None:
                e[k] = v
        self.run.event(e)
        return {"path": str(path), "epoch": epoch, "step": step, "metric": metric, "value": value}

    def emit_checkpoint_saved(self, path, epoch=None, step=None, metric=None, value=None):
        return self._emit("checkpoint_saved", self._checkpoint("checkpoint_saved", path, epoch, step, metric, value))

    def emit_checkpoint_loaded(self, path, epoch=None, step=None, metric=None, value=None):
        return self._emit("checkpoint_loaded", self._checkpoint("checkpoint_loaded", path, epoch, step, metric, value))

    def emit_metric_update(self, metrics, step=None, epoch=None):
        self.run.log(metrics, step=step, epoch=epoch)
        return self._emit("metric_update", {"metrics": metrics, "step": step, "epoch": epoch})

    def emit_error_occurred(self, error, traceback=None):
        if traceback is None and isinstance(error, BaseException):
            traceback = "".join(_traceback.format_exception(type(error), error, error.__traceback__))
        e = {"type": "error", "message": str(error) or type(error).__name__}
        if traceback:
            e["traceback"] = traceback[-200_000:]
        self.run.event(e)
        return self._emit("error_occurred", {"error": str(error), "traceback": traceback})


def _events():
    run = current_run()
    if run is None:
        raise RuntimeError("call training_analyst.init() before emitting training events")
    return run.events


def on(event_type, fn=None):
    """Subscribes fn(record) to one event type of the current run; usable as a decorator."""
    if fn is None:
        return lambda f: _events().on(event_type, f)
    return _events().on(event_type, fn)


def get_history(event_type, limit=None):
    return _events().get_history(event_type, limit)


def get_state():
    return _events().get_state()


def _delegate(name):
    def emit(*args, **kwargs):
        return getattr(_events(), name)(*args, **kwargs)
    emit.__name__ = name
    emit.__doc__ = "Emits %s on the current run (see TrainingEvents)." % name[5:]
    return emit


for _name in EVENT_TYPES:
    globals()["emit_" + _name] = _delegate("emit_" + _name)


# ---------------------------------------------------------------------------------------------
# Seed 3: the trainer's own log lines
# ---------------------------------------------------------------------------------------------

class AnalystHandler(logging.Handler):
    """Ships log records as log lines; the service reads `Train Loss: 0.52, ...` lines into metrics."""

    LEVELS = ((logging.CRITICAL, "critical"), (logging.ERROR, "error"), (logging.WARNING, "warning"),
              (logging.INFO, "info"), (0, "debug"))

    def __init__(self, run=None, level=logging.INFO):
        super().__init__(level)
        self.run = run

    def emit(self, record):
        # The client's own warnings would otherwise feed back into the queue they are about.
        if record.name == "training_analyst" or record.name.startswith("training_analyst."):
            return
        run = self.run or current_run()
        if run is None or run.finished:
            return
        try:
            level = next(name for no, name in self.LEVELS if record.levelno >= no)
            run.log_line(self.format(record), level, record.created)
        except Exception:
            self.handleError(record)


# ---------------------------------------------------------------------------------------------
# Seed 1: the per-epoch training recorder
# ---------------------------------------------------------------------------------------------

class TrainingRecorder:
    """A per-epoch record of one experiment, kept locally (save / load / CSV) and sent to the service.

    The analysis of the record (stability, overfitting score, convergence) is the service's:
    `analysis()` returns it for this run.
    """

    def __init__(self, experiment_name, model_config=None, training_config=None, run=None, send=True, **init_options):
        self.experiment_name = experiment_name
        self.model_config = dict(model_config or {})
        self.training_config = dict(training_config or {})
        self.metadata = collect_metadata()
        self.start_time = time.time()
        self.epochs = []
        self.run = run
        if run is None and send:
            config = dict(self.training_config)
            config["model"] = self.model_config
            init_options.setdefault("project", init_options.pop("project", None) or experiment_name)
            self.run = init(name=experiment_name, config=config, **init_options)

    def log_epoch(self, epoch, train_loss, val_loss=None, train_metrics=None, val_metrics=None, learning_rate=None,
                  epoch_time=None, memory_usage=None, gradient_norm=None, is_best=None, sample_predictions=None):
        if is_best is None:
            key = "val_loss" if val_loss is not None else "train_loss"
            now = val_loss if val_loss is not None else train_loss
            previous = [e[key] for e in self.epochs if e.get(key) is not None and e[key] == e[key]]
            is_best = now == now and (not previous or now < min(previous))
        entry = {
            "epoch": epoch, "timestamp": datetime.datetime.now().isoformat(), "train_loss": train_loss,
            "val_loss": val_loss, "train_metrics": dict(train_metrics or {}), "val_metrics": dict(val_metrics or {}),
            "learning_rate": learning_rate, "epoch_time": epoch_time, "memory_usage": memory_usage,
            "gradient_norm": gradient_norm, "is_best": bool(is_best),
        }
        if sample_predictions is not None:
            entry["sample_predictions"] = sample_predictions
        self.epochs.append(entry)
        if self.run is not None:
            values = {"train_loss": train_loss}
            for k, v in (("val_loss", val_loss), ("lr", learning_rate), ("epoch_time", epoch_time),
                         ("memory_usage", memory_usage), ("grad_norm", gradient_norm)):
                if v is not None:
                    values[k] = v
            values.update({"train_" + k: v for k, v in entry["train_metrics"].items()})
            values.update({"val_" + k: v for k, v in entry["val_metrics"].items()})
            self.run.log(values, step=epoch, epoch=epoch)
            self.run.event({"type": "epoch_ended", "epoch": epoch})
        return entry

    # -- queries ---------------------------------------------------------------------------------

    def get_metric_history(self, metric_name, split="val"):
        if metric_name == "loss":
            return [e[split + "_loss"] for e in self.epochs]
        return [e[split + "_metrics"].get(metric_name) for e in self.epochs]

    def get_loss_history(self):
        return {"train": [e["train_loss"] for e in self.epochs], "val": [e["val_loss"] for e in self.epochs]}

    def get_best_epoch(self):
        best = [e for e in self.epochs if e["is_best"]]
        return best[-1] if best else None

    def get_training_summary(self):
        times = [e["epoch_time"] for e in self.epochs if e["epoch_time"] is not None]
        best = self.get_best_epoch()
        return {
            "experiment_name": self.experiment_name,
            "total_epochs": len(self.epochs),
            "total_time": sum(times),
            "avg_epoch_time": sum(times) / len(times) if times else None,
            "best_epoch": best["epoch"] if best else None,
            "best_val_loss": best["val_loss"] if best else None,
            "final_train_loss": self.epochs[-1]["train_loss"] if self.epochs else None,
            "final_val_loss": self.epochs[-1]["val_loss"] if self.epochs else None,
        }

    def analysis(self):
        """The service's analysis of this run: training summary, stability, overfitting score, convergence."""
        if self.run is None or self.run.id is None:
            return None
        return self.run._http.request("GET", "/runs/%s/analysis" % self.run.id)

    # -- files -----------------------------------------------------------------------------------

    def to_dict(self):
        return {"experiment_name": self.experiment_name, "model_config": self.model_config,
                "training_config": self.training_config, "metadata": self.metadata, "start_time": self.start_time,
                "epochs": self.epochs, "summary": self.get_training_summary()}

    def save(self, path=None):
        path = path or "%s_record.json" % self.experiment_name
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, indent=2, ensure_ascii=False, default=str)
        return path

    @classmethod
    def load(cls, path):
        """A saved record, to keep querying; nothing is sent."""
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        rec = cls(data["experiment_name"], data.get("model_config"), data.get("training_config"), send=False)
        rec.metadata = data.get("metadata", {})
        rec.start_time = data.get("start_time", rec.start_time)
        rec.epochs = data.get("epochs", [])
        return rec

    def export_to_csv(self, path=None):
        """One row per epoch; train and val metrics as train_<name> / val_<name> columns."""
        path = path or "%s_record.csv" % self.experiment_name
        rows = []
        for e in self.epochs:
            row = {k: e[k] for k in ("epoch", "timestamp", "train_loss", "val_loss", "learning_rate", "epoch_time",
                                     "memory_usage", "gradient_norm", "is_best")}
            row.update({"train_" + k: v for k, v in e["train_metrics"].items()})
            row.update({"val_" + k: v for k, v in e["val_metrics"].items()})
            rows.append(row)
        fields = []
        for row in rows:
            fields.extend(k for k in row if k not in fields)
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
        return path


# ---------------------------------------------------------------------------------------------
# Seed 2: the lineage file, one training_info.json per stage directory
# ---------------------------------------------------------------------------------------------

LINEAGE_FILE = "training_info.json"
_LINEAGE_KEYS = ("model_name", "stage", "final_checkpoint", "base_model", "created", "last_updated", "total_steps",
                 "last_dataset", "history")
_ENTRY_KEYS = ("dataset", "steps", "epochs", "metrics", "hyperparams", "start_time", "end_time")


def _lineage_scalar(v):
    """JSON for one value as the lineage file writes it: floats at their shortest, exponents unpadded."""
    n = _number(v) if not isinstance(v, str) else None
    if isinstance(n, str):
        return json.dumps(n)
    if isinstance(n, float):
        text = repr(n)
        if "e" in text:
            mantissa, exp = text.split("e")
            text = "%se%d" % (mantissa, int(exp))
        return text
    if n is not None and not isinstance(v, bool):
        return str(n)
    return json.dumps(_json_safe(v), ensure_ascii=False)


def _lineage_inline(d):
    return "{" + ", ".join("%s: %s" % (json.dumps(str(k), ensure_ascii=False), _lineage_scalar(v)) for k, v in d.items()) + "}"


def format_lineage(info):
    """The file's text: two-space indents, one line per entry field, metrics and hyperparams inline."""
    lines = ["{"]
    top = [k for k in _LINEAGE_KEYS if k in info] + [k for k in info if k not in _LINEAGE_KEYS]
    for i, key in enumerate(top):
        comma = "," if i < len(top) - 1 else ""
        if key == "history":
            entries = info["history"]
            if not entries:
                lines.append('  "history": []' + comma)
                continue
            lines.append('  "history": [')
            for j, entry in enumerate(entries):
                lines.append("    {")
                keys = [k for k in _ENTRY_KEYS if k in entry] + [k for k in entry if k not in _ENTRY_KEYS]
                for m, k in enumerate(keys):
                    v = entry[k]
                    text = _lineage_inline(v) if isinstance(v, dict) else _lineage_scalar(v)
                    lines.append('      %s: %s%s' % (json.dumps(k), text, "," if m < len(keys) - 1 else ""))
                lines.append("    }" + ("," if j < len(entries) - 1 else ""))
            lines.append("  ]" + comma)
        else:
            v = info[key]
            text = _lineage_inline(v) if isinstance(v, dict) else _lineage_scalar(v)
            lines.append("  %s: %s%s" % (json.dumps(key), text, comma))
    lines.append("}")
    return "\n".join(lines) + "\n"


class LineageManager:
    """Keeps one stage's `training_info.json`: the model's whole lineage up to this stage.

    `parent_dir` is the previous stage's directory: a new stage starts from its history, so the
    file of the last stage lists every dataset the model saw. Each append rewrites the file
    atomically and, with a run, sends it to the service (which stores each entry once).
    """

    def __init__(self, stage_dir, model_name, stage, base_model=None, parent_dir=None, run=None):
        self.stage_dir = stage_dir
        self.path = os.path.join(stage_dir, LINEAGE_FILE)
        self.run = run
        if os.path.exists(self.path):
            self.info = self.read(self.path)
        else:
            inherited = self.read(os.path.join(parent_dir, LINEAGE_FILE)) if parent_dir else {}
            self.info = {"model_name": model_name, "stage": stage, "final_checkpoint": None,
                         "base_model": base_model if base_model is not None else inherited.get("final_checkpoint"),
                         "created": inherited.get("created"), "last_updated": None,
                         "total_steps": inherited.get("total_steps", 0), "last_dataset": inherited.get("last_dataset"),
                         "history": list(inherited.get("history", []))}

    @staticmethod
    def read(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def append_training_history(self, dataset, steps, epochs=None, metrics=None, hyperparams=None, start_time=None,
                                end_time=None, final_checkpoint=None):
        end = _iso(end_time)
        entry = {"dataset": dataset, "steps": int(steps)}
        if epochs is not None:
            entry["epochs"] = epochs
        entry["metrics"] = dict(metrics or {})
        entry["hyperparams"] = dict(hyperparams or {})
        entry["start_time"] = _iso(start_time) if start_time is not None else end
        entry["end_time"] = end
        info = self.info
        info["history"].append(entry)
        if final_checkpoint is not None:
            info["final_checkpoint"] = str(final_checkpoint)
        info["created"] = info.get("created") or entry["start_time"]
        info["last_updated"] = end
        info["total_steps"] = sum(int(e.get("steps", 0)) for e in info["history"])
        info["last_dataset"] = dataset
        text = format_lineage(info)
        os.makedirs(self.stage_dir, exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, self.path)
        run = self.run or current_run()
        if run is not None:
            run._put("f", {"filename": LINEAGE_FILE, "content": text})
        return entry


def append_training_history(stage_dir, dataset, steps, model_name=None, stage=None, base_model=None, parent_dir=None,
                            **entry):
    """One call per finished training on a dataset: adds it to the stage's training_info.json."""
    name = model_name or os.path.basename(os.path.dirname(os.path.abspath(stage_dir)))
    manager = LineageManager(stage_dir, name, stage or os.path.basename(os.path.abspath(stage_dir)), base_model,
                             parent_dir)
    return manager.append_training_history(dataset, steps, **entry)


# ---------------------------------------------------------------------------------------------
# Framework callbacks: each framework is imported only when its callback is asked for
# ---------------------------------------------------------------------------------------------

class _OwnsRun:
    def _setup_run(self, run, init_options, config, **totals):
        self._owned = run is None and current_run() is None
        if run is not None:
            self.run = run
        elif current_run() is not None:
            self.run = current_run()
        else:
            options = dict(init_options)
            options["config"] = {**config, **(options.get("config") or {})}
            for k, v in totals.items():
                if v:
                    options.setdefault(k, v)
            self.run = init(**options)

    def _finish_owned(self, status="completed"):
        if getattr(self, "_owned", False) and self.run is not None:
            self.run.finish(status)


def _numeric(d):
    return {k: v for k, v in (d or {}).items() if _number(v) is not None}


class _HuggingFaceCallback(_OwnsRun):
    """`Trainer(..., callbacks=[training_analyst.HuggingFaceCallback()])`: logs, eval, lr and grad norm
    at the trainer's global step; stop, pause and checkpoint requests act through TrainerControl."""

    # Hugging Face's closing summary: kept in run.summary, not made a point.
    SUMMARY_KEYS = ("train_runtime", "train_samples_per_second", "train_steps_per_second", "total_flos", "train_loss")

    def __init__(self, run=None, **init_options):
        self.run = run
        self._init_options = init_options

    def on_train_begin(self, args, state, control, **kwargs):
        config = {}
        to_dict = getattr(args, "to_dict", None)
        if to_dict:
            config = {k: v for k, v in to_dict().items() if isinstance(v, (int, float, str, bool)) or v is None}
        epochs = getattr(args, "num_train_epochs", None)
        self._setup_run(self.run, self._init_options, config, total_steps=getattr(state, "max_steps", None) or None,
                        total_epochs=int(math.ceil(epochs)) if epochs else None)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.run is None:
            return
        logs = dict(logs or {})
        epoch = _number(logs.pop("epoch", getattr(state, "epoch", None)))
        if "train_runtime" in logs:
            self.run.summary.update(_numeric(logs))
            return
        self.run.log(_numeric(logs), step=state.global_step, epoch=epoch if isinstance(epoch, (int, float)) else None)

    def on_step_end(self, args, state, control, **kwargs):
        run = self.run
        if run is None:
            return
        if run.should_stop:
            control.should_training_stop = True
        if run.checkpoint_requested:
            control.should_save = True
        run.wait_if_paused()

    def on_save(self, args, state, control, **kwargs):
        if self.run is None:
            return
        path = os.path.join(getattr(args, "output_dir", "") or "", "checkpoint-%d" % state.global_step)
        if self.run.checkpoint_requested:
            self.run.checkpoint_done(path, step=state.global_step)
        else:
            self.run.event({"type": "checkpoint_saved", "path": path, "step": int(state.global_step)})

    def on_train_end(self, args, state, control, **kwargs):
        self._finish_owned("stopped" if self.run is not None and self.run._stop_id else "completed")


class _LightningLogger(_OwnsRun):
    """`Trainer(logger=training_analyst.LightningLogger(project=...))`: metrics at the trainer's step,
    hyperparameters as the run's config. Lightning gives a logger no hold on the loop: read
    `logger.run.should_stop` in a callback to act on stop requests."""

    def __init__(self, run=None, **init_options):
        super().__init__()
        self.run = run
        self._init_options = init_options
        self._owned = False

    def _ensure(self):
        if self.run is None or (self._owned and self.run.finished):
            self._setup_run(None, self._init_options, {})
        return self.run

    @property
    def name(self):
        return self._init_options.get("project") or "training_analyst"

    @property
    def version(self):
        return self.run.id if self.run is not None and self.run.id else self._init_options.get("name") or "0"

    @property
    def experiment(self):
        return self._ensure()

    def log_hyperparams(self, params, *args, **kwargs):
        params = vars(params) if hasattr(params, "__dict__") and not isinstance(params, dict) else dict(params or {})
        run = self._ensure()
        run.config.update(params)
        run.event({"type": "run_started", "config": _json_safe(params)})

    def log_metrics(self, metrics, step=None):
        metrics = dict(metrics)
        epoch = metrics.pop("epoch", None)
        self._ensure().log(_numeric(metrics), step=step, epoch=_number(epoch) if epoch is not None else None)

    def save(self):
        pass

    def finalize(self, status="success"):
        self._finish_owned({"success": "completed", "failed": "failed"}.get(status, "stopped"))


class _KerasCallback(_OwnsRun):
    """`model.fit(..., callbacks=[training_analyst.KerasCallback()])`: epoch logs (val_* included),
    optionally batch logs every `log_every_n_batches`; stop sets `model.stop_training`, pause waits
    between batches, checkpoint saves to `checkpoint_path` (formatted with epoch)."""

    def __init__(self, run=None, log_every_n_batches=None, checkpoint_path=None, **init_options):
        super().__init__()
        self.run = run
        self.log_every_n_batches = log_every_n_batches
        self.checkpoint_path = checkpoint_path
        self._init_options = init_options
        self._epoch = 0
        self._step = 0

    def on_train_begin(self, logs=None):
        params = getattr(self, "params", None) or {}
        self._setup_run(self.run, self._init_options, _numeric(params), total_epochs=params.get("epochs"))

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch + 1
        total = (getattr(self, "params", None) or {}).get("epochs")
        e = {"type": "epoch_started", "epoch": self._epoch}
        if total:
            e["total_epochs"] = int(total)
        self.run.event(e)

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self.log_every_n_batches and self._step % self.log_every_n_batches == 0:
            self.run.log({"batch/" + k: v for k, v in _numeric(logs).items()}, step=self._step)
        self._act()

    def on_epoch_end(self, epoch, logs=None):
        self.run.log(_numeric(logs), step=self._step or epoch + 1, epoch=epoch + 1)
        self.run.event({"type": "epoch_ended", "epoch": epoch + 1})
        self._act()

    def _act(self):
        run = self.run
        model = getattr(self, "model", None)
        if run.should_stop and model is not None:
            model.stop_training = True
        if run.checkpoint_requested:
            if self.checkpoint_path and model is not None:
                path = self.checkpoint_path.format(epoch=self._epoch)
                try:
                    model.save(path)
                    run.checkpoint_done(path, step=self._step, epoch=self._epoch)
                except Exception as e:
                    run.checkpoint_done(failed="saving failed: %r" % e)
            else:
                run.checkpoint_done(failed="no checkpoint_path given to the Keras callback")
        run.wait_if_paused()

    def on_train_end(self, logs=None):
        self._finish_owned("stopped" if self.run._stop_id else "completed")


def _first_class(*candidates):
    """The first importable base class among (module, attribute) pairs; `object` when none is."""
    import importlib
    for module, attr in candidates:
        try:
            return getattr(importlib.import_module(module), attr)
        except Exception:
            continue
    return object


_FRAMEWORK_CLASSES = {
    "HuggingFaceCallback": (_HuggingFaceCallback, (("transformers", "TrainerCallback"),)),
    "LightningLogger": (_LightningLogger, (("lightning.pytorch.loggers", "Logger"), ("pytorch_lightning.loggers", "Logger"))),
    "KerasCallback": (_KerasCallback, (("keras.callbacks", "Callback"), ("tensorflow.keras.callbacks", "Callback"))),
}


def __getattr__(name):
    """Builds a framework callback on first use, subclassing the framework's own base when it is installed."""
    if name in _FRAMEWORK_CLASSES:
        mixin, bases = _FRAMEWORK_CLASSES[name]
        base = _first_class(*bases)
        cls = type(name, (mixin,) if base is object else (mixin, base), {"__module__": __name__, "__doc__": mixin.__doc__})
        globals()[name] = cls
        return cls
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


# ---------------------------------------------------------------------------------------------
# wandb stand-in: `import training_analyst.wandb_compat as wandb`
# ---------------------------------------------------------------------------------------------

def _make_wandb_compat():
    mod = types.ModuleType(__name__ + ".wandb_compat", "A stand-in for `wandb` in existing scripts: init, log, config, "
                           "summary, finish, alert, watch. Arguments with no meaning here (entity, mode, dir, "
                           "group, job_type, notes, reinit, settings, anonymous, save_code) are ignored with one "
                           "warning; non-numeric values (wandb.Image, Table, Histogram) are ignored when logged.")
    ignored = ("entity", "mode", "dir", "group", "job_type", "notes", "reinit", "settings", "anonymous", "save_code",
               "sync_tensorboard", "monitor_gym", "magic", "config_exclude_keys", "config_include_keys", "allow_val_change",
               "force", "fork_from", "resume_from")
    mod.run = None
    mod.config = Config()
    mod.summary = Summary()

    def init(project=None, name=None, config=None, tags=None, id=None, resume=None, **kwargs):
        skipped = sorted(k for k in kwargs if k in ignored)
        unknown = sorted(k for k in kwargs if k not in ignored)
        if skipped or unknown:
            logger.warning("wandb_compat.init ignores %s", ", ".join(skipped + unknown))
        if config is None or isinstance(config, dict):
            cfg = dict(config or {})
        else:
            cfg = vars(config) if hasattr(config, "__dict__") else dict(config)  # argparse.Namespace, pairs
        cfg.update(mod.config)
        # Only a run id resumes: wandb's resume="allow" / "must" / True name no run by themselves.
        words = (True, False, "allow", "must", "never", "auto")
        target = id if id is not None else (resume if isinstance(resume, str) and resume not in words else None)
        run = globals()["init"](project=project, name=name, config=cfg, tags=tags, resume=target)
        mod.run, mod.config, mod.summary = run, run.config, run.summary
        return run

    def log(data, step=None, commit=None):
        if mod.run is None:
            logger.warning("wandb_compat.log() before init(): nothing sent")
            return
        mod.run.log(data, step=step, commit=True if commit is None else commit)

    def finish(exit_code=None, quiet=None):
        if mod.run is not None:
            mod.run.finish("failed" if exit_code else "completed")
            mod.run = None

    def alert(title, text="", level="WARN", wait_duration=None):
        if mod.run is not None:
            mod.run.alert(title, text, level)

    def watch(models, criterion=None, log="gradients", log_freq=100, **kwargs):
        for m in models if isinstance(models, (list, tuple)) else [models]:
            if mod.run is not None:
                mod.run.watch(m, log_freq)

    def define_metric(*args, **kwargs):
        return None

    class AlertLevel:
        INFO, WARN, ERROR = "INFO", "WARN", "ERROR"

    for fn in (init, log, finish, alert, watch, define_metric):
        setattr(mod, fn.__name__, fn)
    mod.AlertLevel = AlertLevel
    return mod


wandb_compat = _make_wandb_compat()
sys.modules[wandb_compat.__name__] = wandb_compat
