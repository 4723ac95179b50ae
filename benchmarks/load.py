"""A bounded load and fault run against a site started here, on loopback only.

    python -m benchmarks.load [--visitors 100] [--broker embedded|redis] [--faults] [--clicks 20]
                              [--upsampler MODEL] [--no-write]

Starts the site as `./run.sh demo` serves it (gunicorn with `config/gunicorn.py`, one `celery
worker --pool solo` at nice WORKER_NICE) on the embedded defaults (SQLite, the `atomicfs://` broker,
the file cache) in a fresh folder, or with `--broker redis` on a redis-server started here without
persistence. The shipped `models/place-demo` is the active place model, with the world's cities;
one job is painted first, so the worker has loaded PyTorch and the model as on a running site.

Load: every visitor opens the map's session (`GET /api/queue/`, as the map page does), then all
post one place job at the same moment (each from its own client address: one trusted proxy and
`X-Forwarded-For`, so the rate limit counts per visitor) and follow their job every 400 ms as the
page does. Measured: POST p50/p95/p99, 5xx answers, time from the posts to the last job done,
jobs lost (not done in time) or duplicated (more than one artwork for a request), and the CPU
seconds the web processes, the worker and this client used while the visitors posted.

Clicks: before the load, one visitor at a time clicks a place and waits for its picture (the job
done in the database, looked at every 10 ms): click -> picture p50/p95, with `--upsampler MODEL`
registered and active so that every picture is also enlarged, as a visitor is shown it.

Faults (`--faults`): the worker SIGKILLed mid-run and started again a second later; files that are
not messages dropped into the embedded broker's queue while jobs wait; Redis restarted without
persistence while jobs wait (with `--broker redis`). For each, the jobs lost and duplicated and the
time from the worker (or Redis) being back to every job done. Writes docs/BENCHMARKS.md's section.
"""
import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from benchmarks.report import REPO, publish
from tests.loopback import free_port, redis_answers
from tests.waiting import wait_until

SECTION = "load"
COMMAND = "python -m benchmarks.load"
PLACE_MODEL = REPO / "models" / "place-demo"
POLL_S = 0.4  # how often the map page asks after a job (static/js/api.js)
DRAIN_LIMIT_S = 300.0
FAULT_LIMIT_S = 180.0
FAULT_JOBS = 30
WORKER_NICE = 10  # as ./run.sh demo starts its worker: the web's answers come first


def request(url: str, body: dict | None = None, *, headers: dict | None = None, opener=None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    ask = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with (opener or urllib.request.build_opener()).open(ask, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}
    except OSError:
        return 0, {}


class Site:
    """gunicorn, a worker and (with Redis) a redis-server, on loopback, sharing one var folder."""

    def __init__(self, folder: Path, broker: str, batch_size: int, upsampler: Path | None = None):
        self.folder, self.port, self.upsampler = folder, free_port(), upsampler
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "GENIUS_LOCI_VAR_DIR": str(folder), "HF_HUB_OFFLINE": "1",
                    "GENIUS_LOCI_TRUSTED_PROXIES": "1", "GENIUS_LOCI_BATCH_SIZE": str(batch_size)}
        for name in ("DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL"):
            self.env.pop(name, None)
        self.redis_port = free_port() if broker == "redis" else None
        if self.redis_port:
            self.env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{self.redis_port}/0"
        self.processes: dict[str, subprocess.Popen] = {}

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def start(self, name: str, command: list[str]) -> None:
        log = (self.folder / f"{name}.log").open("a")
        self.processes[name] = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def start_redis(self) -> None:
        self.start("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(self.folder)])
        wait_until(lambda: redis_answers(self.redis_port), timeout=10, interval=0.1,
                   message="redis-server did not answer")

    def start_worker(self) -> None:
        log = self.folder / "worker.log"
        before = log.read_text().count("ready.") if log.exists() else 0
        self.start("worker", ["nice", "-n", str(WORKER_NICE), sys.executable, "-m", "celery", "-A", "config", "worker",
                              "-Q", "gpu,default", "--pool", "solo", "--concurrency", "1", "-l", "info"])
        wait_until(lambda: log.read_text().count("ready.") > before, timeout=120, message="the worker did not start")

    def up(self) -> None:
        print("preparing the site: database, cities, the place model ...", flush=True)
        if self.redis_port:
            self.start_redis()
        self.manage("migrate", "--no-input", "-v0")
        self.manage("load_cities")
        self.manage("register_model", str(PLACE_MODEL), "--activate", "--no-metrics")
        if self.upsampler is not None:
            self.manage("register_model", str(self.upsampler), "--activate", "--no-metrics")
        self.start("web", [shutil.which("gunicorn", path=os.path.dirname(sys.executable)), "-c", "config/gunicorn.py",
                           "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning"])
        wait_until(lambda: request(self.url + "/api/queue/")[0] == 200, timeout=60, message="gunicorn did not answer")
        self.start_worker()
        # One job first, as on a site that has been running: the worker has loaded PyTorch and the model.
        _, job = request(self.url + "/api/jobs/", {"kind": "place", "inputs": {"lat": 0.0, "lon": 0.0}},
                         headers={"X-Forwarded-For": "10.255.255.255"})
        wait_until(lambda: request(job["url"])[1].get("status") == "done", timeout=120, interval=0.5,
                   message="the first job was not painted")

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        process.terminate()
        process.wait(timeout=120)

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def down(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            process.wait(timeout=30)

    def query(self, sql: str, *args) -> list[tuple]:
        with sqlite3.connect(self.folder / "db.sqlite3", timeout=30) as database:
            return database.execute(sql, args).fetchall()


@dataclass
class Run:
    posts_ms: list[float]
    statuses: list[int]
    job_ids: list[str]
    started: float  # time.time() when the visitors posted
    visitors: list[threading.Thread] = field(default_factory=list)  # still following their jobs


def visitors_post(site: Site, count: int, *, follow: bool, first_address: int = 0) -> Run:
    """`count` visitors, each with its session, post one place job at the same moment; with
    `follow`, each then asks after its job every POLL_S until it is finished."""
    barrier, posted = threading.Barrier(count + 1), threading.Semaphore(0)
    posts, statuses, job_ids = [0.0] * count, [0] * count, [""] * count
    places = random.Random(count).sample(site.query("SELECT lat, lon FROM gallery_city"), count)

    def visit(index: int) -> None:
        number = first_address + index
        headers = {"X-Forwarded-For": f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"}
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        request(site.url + "/api/queue/", headers=headers, opener=browser)
        lat, lon = places[index]
        barrier.wait()
        begin = time.perf_counter()
        statuses[index], job = request(site.url + "/api/jobs/", {"kind": "place", "inputs": {"lat": lat, "lon": lon}},
                                       headers=headers, opener=browser)
        posts[index] = (time.perf_counter() - begin) * 1000
        job_ids[index] = job.get("id", "")
        posted.release()
        while follow and job.get("status") in ("queued", "running"):
            time.sleep(POLL_S)
            _, job = request(job["url"], headers=headers, opener=browser)

    threads = [threading.Thread(target=visit, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.time()
    for _ in range(count):
        posted.acquire()
    return Run(posts, statuses, job_ids, started, threads)


@dataclass
class Outcome:
    done: int
    lost: int
    duplicated: int
    last_done: float  # time.time() of the last job finished


def outcome(site: Site, run: Run, *, limit: float) -> Outcome:
    """Waits (showing progress) until every accepted job of `run` is finished or `limit` passes."""
    ids = [job_id.replace("-", "") for job_id in run.job_ids if job_id]
    marks = ",".join("?" * len(ids))
    deadline, shown = time.monotonic() + limit, -1
    while True:
        rows = site.query(f"SELECT status, finished FROM generation_job WHERE public_id IN ({marks})", *ids)
        done = [finished for status, finished in rows if status == "done"]
        if len(done) != shown:
            print(f"  {len(done)}/{len(ids)} jobs done", flush=True)
            shown = len(done)
        if len(done) == len(ids) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    artworks, keys = site.query(
        f"SELECT COUNT(*), COUNT(DISTINCT a.request_key) FROM gallery_artwork a WHERE a.request_key IN "
        f"(SELECT request_key FROM generation_job WHERE public_id IN ({marks}))", *ids)[0]
    last = max((datetime.fromisoformat(finished).replace(tzinfo=UTC).timestamp() for finished in done), default=float("nan"))
    return Outcome(done=len(done), lost=len(ids) - len(done), duplicated=artworks - keys, last_done=last)


def cpu_seconds(site: Site) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the site's web processes (gunicorn and its
    workers), its worker, and this client, from /proc."""
    tick, used = os.sysconf("SC_CLK_TCK"), {}
    roots = {process.pid: name for name, process in site.processes.items() if name in ("web", "worker")}
    roots[os.getpid()] = "client"
    for folder in Path("/proc").glob("[0-9]*"):
        try:
            fields = (folder / "stat").read_text().rsplit(")", 1)[1].split()  # fields from the 3rd (state) on
        except OSError:  # gone meanwhile
            continue
        name = roots.get(int(folder.name)) or roots.get(int(fields[1]))  # the process, or a child of it
        if name:
            used[name] = used.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return used


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def clicks_run(site: Site, clicks: int) -> dict:
    """One visitor at a time posts a place job and waits for it: milliseconds from the click to
    the job done (its picture stored, enlarged when an upsampler is active)."""
    print(f"clicks: {clicks} place jobs, one at a time", flush=True)
    places = random.Random(-clicks).sample(site.query("SELECT lat, lon FROM gallery_city"), clicks)
    times = []
    for number, (lat, lon) in enumerate(places):
        headers = {"X-Forwarded-For": f"10.254.{number // 256 % 256}.{number % 256}"}
        begin = time.perf_counter()
        status, job = request(site.url + "/api/jobs/", {"kind": "place", "inputs": {"lat": lat, "lon": lon}},
                              headers=headers)
        if status != 202:
            raise SystemExit(f"error: a click was answered {status}")
        public_id = job["id"].replace("-", "")
        wait_until(lambda: site.query("SELECT status FROM generation_job WHERE public_id = ?", public_id)[0][0] == "done",
                   timeout=60, interval=0.01, message="a click's picture was not painted")
        times.append((time.perf_counter() - begin) * 1000)
    return {"clicks": clicks, "p50": percentile(times, 0.5), "p95": percentile(times, 0.95)}


def load_run(site: Site, visitors: int) -> dict:
    print(f"load: {visitors} visitors post one place job each, at once", flush=True)
    before, begin = cpu_seconds(site), time.perf_counter()
    run = visitors_post(site, visitors, follow=True)
    after, seconds = cpu_seconds(site), time.perf_counter() - begin
    result = outcome(site, run, limit=DRAIN_LIMIT_S)
    for thread in run.visitors:
        thread.join()
    return {
        "visitors": visitors, "accepted": sum(code == 202 for code in run.statuses),
        "errors_5xx": sum(code >= 500 or code == 0 for code in run.statuses),
        "other": sorted({code for code in run.statuses if code != 202 and code < 500 and code}),
        "p50": percentile(run.posts_ms, 0.5), "p95": percentile(run.posts_ms, 0.95),
        "p99": percentile(run.posts_ms, 0.99), "drain_s": result.last_done - run.started,
        "lost": result.lost, "duplicated": result.duplicated, "posting_s": seconds,
        "cpu_s": {name: after.get(name, 0.0) - before.get(name, 0.0) for name in ("web", "worker", "client")},
    }


def fault_run(site: Site, name: str, fault, first_address: int) -> dict:
    """FAULT_JOBS jobs posted, then `fault()` (which returns time.time() when the site is whole
    again): the jobs lost, duplicated, and the seconds from then to the last job done."""
    print(f"fault: {name}", flush=True)
    run = visitors_post(site, FAULT_JOBS, follow=False, first_address=first_address)
    back = fault()
    result = outcome(site, run, limit=FAULT_LIMIT_S)
    return {"fault": name, "jobs": FAULT_JOBS, "lost": result.lost, "duplicated": result.duplicated,
            "done_after_s": max(result.last_done - back, 0.0)}


def kill_worker_mid_run(site: Site) -> float:
    wait_until(lambda: site.query("SELECT COUNT(*) FROM generation_job WHERE status = 'running'")[0][0], timeout=60,
               interval=0.01, message="no job started")
    site.kill("worker")
    time.sleep(1)  # as ./run.sh demo starts it again
    site.start_worker()
    return time.time()


def poison_the_queue(site: Site) -> float:
    """Files named to be read before the jobs' messages; the worker keeps running."""
    queue = site.folder / "broker" / "queue"
    (queue / "0_empty.gpu.msg").touch()
    (queue / "1_half-written.gpu.msg").write_bytes(b'{"body": "eyJ0YXNrIjog')
    (queue / "2_not-a-message.gpu.msg").write_text("[]")
    return time.time()


def restart_redis(site: Site) -> float:
    site.stop("worker")  # a warm shutdown: the job it runs is finished, the others wait in Redis
    time.sleep(1)  # the jobs' messages are in Redis now
    site.kill("redis")
    site.start_redis()
    site.start_worker()
    return time.time()


def report(clicks: dict, load: dict, faults: list[dict], args, machine_load: float) -> str:
    broker = "Redis (no persistence)" if args.broker == "redis" else "the embedded `atomicfs://` broker"
    command = (f"{COMMAND} --visitors {args.visitors} --broker {args.broker} --clicks {args.clicks}"
               + (f" --upsampler {args.upsampler}" if args.upsampler else "") + (" --faults" if args.faults else ""))
    side = json.loads((PLACE_MODEL / "config.json").read_text())["architecture"]["resolution"]
    upsampler = (f"`{args.upsampler}` enlarging every picture" if args.upsampler else "no upsampler")
    lines = [
        f"## Load and faults: {args.visitors} visitors, {broker}",
        "",
        f"Machine: {os.cpu_count()}-core CPU, shared (load average {machine_load:.2f} at the start). "
        f"Command: `{command}`. Measured {date.today().isoformat()}. The site as `./run.sh demo` serves it: "
        f"gunicorn (`config/gunicorn.py`: 2 processes x 4 threads), one worker (`--pool solo` at nice "
        f"{WORKER_NICE}, batches of up to {args.batch_size}), "
        f"SQLite, the file cache, `models/place-demo` ({side}x{side}), {upsampler}, after one job has loaded the "
        "model. Clicks: one visitor at a time posts a place job and waits for its picture. Load: every "
        f"visitor opens its session, then all post a place job at the same moment and follow it every "
        f"{POLL_S * 1000:.0f} ms as the map page does.",
        "",
        "| clicks, one at a time | click -> picture p50 | p95 |",
        "|---:|---:|---:|",
        f"| {clicks['clicks']} | {clicks['p50']:.0f} ms | {clicks['p95']:.0f} ms |",
        "",
        "| visitors | accepted | 5xx | POST p50 | p95 | p99 | all jobs done after | lost | duplicated |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {load['visitors']} | {load['accepted']} | {load['errors_5xx']} | {load['p50']:.0f} ms "
        f"| {load['p95']:.0f} ms | {load['p99']:.0f} ms | {load['drain_s']:.1f} s | {load['lost']} "
        f"| {load['duplicated']} |",
        "",
        f"While the visitors opened their sessions and posted ({load['posting_s']:.2f} s), the web processes used "
        f"{load['cpu_s']['web']:.2f} CPU s, the worker {load['cpu_s']['worker']:.2f} and this client "
        f"{load['cpu_s']['client']:.2f}.",
    ]
    if faults:
        lines += ["", "| fault (30 jobs waiting or running) | lost | duplicated | all done, after the worker "
                  "(or Redis) is back |", "|---|---:|---:|---:|"]
        lines += [f"| {f['fault']} | {f['lost']} | {f['duplicated']} | {f['done_after_s']:.1f} s |" for f in faults]
    if machine_load > os.cpu_count():
        lines += ["", f"The machine was busy with other work (load average {machine_load:.2f} on {os.cpu_count()} cores): "
                  "the latencies and drain time are upper bounds; run again on a quiet machine to judge the targets."]
    lines += ["", "Targets: click -> picture p50 ≤ 1 s with the upsampler on; 0 5xx, POST p95 ≤ 500 ms, 100 place jobs done ≥ 10x faster than 72 s (≤ 7.2 s); "
              "in faults 0 lost, 0 duplicated, every job done within 2 minutes of the worker being back."]
    targets = {"click -> picture p50 ≤ 1 s": clicks["p50"] <= 1000, "0 5xx": load["errors_5xx"] == 0,
               "POST p95 ≤ 500 ms": load["p95"] <= 500, "drained in ≤ 7.2 s": load["drain_s"] <= 7.2,
               "0 lost, 0 duplicated": load["lost"] == load["duplicated"] == 0}
    if faults:
        targets["faults: 0 lost, 0 duplicated, done within 2 minutes"] = all(
            f["lost"] == f["duplicated"] == 0 and f["done_after_s"] <= 120 for f in faults)
    met = [name for name, ok in targets.items() if ok]
    missed = [name for name, ok in targets.items() if not ok]
    lines += ["", f"Met in this run: {', '.join(met) or 'none'}. Missed: {', '.join(missed) or 'none'}."]
    return "\n".join(lines)


def measure(args) -> tuple[dict, dict, list[dict]]:
    """The clicks, the load and (with --faults) the fault runs, on a site started and stopped here."""
    with tempfile.TemporaryDirectory(prefix="genius-loci-load-") as folder:
        site = Site(Path(folder), args.broker, args.batch_size, args.upsampler)
        try:
            site.up()
            clicks = clicks_run(site, args.clicks)
            load = load_run(site, args.visitors)
            faults = []
            if args.faults:
                cases = [("worker SIGKILLed mid-run", kill_worker_mid_run)]
                cases.append(("Redis restarted without persistence", restart_redis) if args.broker == "redis"
                             else ("3 files that are not messages in the queue", poison_the_queue))
                for number, (name, fault) in enumerate(cases, start=1):
                    faults.append(fault_run(site, name, lambda fault=fault: fault(site), number * 1000))
        finally:
            site.down()
    return clicks, load, faults


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=100)
    parser.add_argument("--broker", choices=["embedded", "redis"], default="embedded")
    parser.add_argument("--batch-size", type=int, default=16, help="the worker's GENIUS_LOCI_BATCH_SIZE")
    parser.add_argument("--faults", action="store_true", help="also kill the worker, poison the queue, restart Redis")
    parser.add_argument("--clicks", type=int, default=20, help="place jobs posted one at a time, each awaited")
    parser.add_argument("--upsampler", type=Path, help="an upsample model folder to register and activate")
    parser.add_argument("--no-write", action="store_true", help="print the figures only")
    args = parser.parse_args()
    if args.clicks < 2:
        parser.error("--clicks must be at least 2")
    if args.upsampler is not None and not (args.upsampler / "config.json").is_file():
        parser.error(f"--upsampler {args.upsampler}: not a model folder (no config.json)")
    if args.visitors < 2:
        parser.error("--visitors must be at least 2")
    if args.broker == "redis" and shutil.which("redis-server") is None:
        parser.error("--broker redis needs redis-server (apt-get install redis-server)")

    machine_load = os.getloadavg()[0]
    try:
        clicks, load, faults = measure(args)
    except TimeoutError as error:
        raise SystemExit(f"error: {error}") from None
    publish(SECTION if args.broker == "embedded" else f"{SECTION}_{args.broker}",
            report(clicks, load, faults, args, machine_load), write=not args.no_write)


if __name__ == "__main__":
    main()
