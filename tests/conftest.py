"""Fixtures shared by the whole suite: storage, a file database a worker can share, a tiny
real `place` model, a few real cities, and real redis-server / celery worker processes."""
import os
import shutil
import signal
import subprocess
import sys
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.loopback import free_port, redis_answers
from tests.waiting import wait_until

REPO = Path(__file__).resolve().parent.parent

# A few real GeoNames cities, chosen to cover the awkward corners of the map.
CITIES = [
    dict(id=2640729, name="Oxford", ascii_name="Oxford", country_code="GB", lat=51.75222, lon=-1.25596, population=162100, timezone="Europe/London"),
    dict(id=3133880, name="Tromsø", ascii_name="Tromso", country_code="NO", lat=69.6489, lon=18.95508, population=64448, timezone="Europe/Oslo"),
    dict(id=2542997, name="Marrakesh", ascii_name="Marrakesh", country_code="MA", lat=31.63416, lon=-7.99994, population=839296, timezone="Africa/Casablanca"),
    dict(id=2193733, name="Auckland", ascii_name="Auckland", country_code="NZ", lat=-36.84853, lon=174.76349, population=1547200, timezone="Pacific/Auckland"),
    dict(id=2198148, name="Suva", ascii_name="Suva", country_code="FJ", lat=-18.14161, lon=178.44149, population=77366, timezone="Pacific/Fiji"),
    dict(id=4035413, name="Apia", ascii_name="Apia", country_code="WS", lat=-13.83333, lon=-171.76666, population=40407, timezone="Pacific/Apia"),
    dict(id=2657896, name="Zürich", ascii_name="Zurich", country_code="CH", lat=47.36667, lon=8.55, population=415367, timezone="Europe/Zurich"),
    dict(id=2643743, name="London", ascii_name="London", country_code="GB", lat=51.50853, lon=-0.12574, population=8961989, timezone="Europe/London"),
]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On SQLite a file database, so a worker process sees what the tests write (a server
    database, PostgreSQL under `python -m tests.postgres`, is seen by every process anyway)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(Path(settings.VAR_DIR) / "test-db.sqlite3")


def database_url(database: dict) -> str:
    """The DATABASE_URL of the database that Django's `database` settings name (the test database
    once the tests run), for the processes the tests start."""
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    user = f"{quote(database['USER'], safe='')}:{quote(database['PASSWORD'], safe='')}@"
    return f"postgres://{user}{database['HOST']}:{database['PORT']}/{quote(database['NAME'], safe='')}"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache: the API's rate limits count requests there, and one
    test's requests must not spend another's allowance."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def static_files():
    """Static files straight from their folders (the test server serves them by finder)."""
    from django.conf import settings

    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise looks there too


@pytest.fixture
def cities(db):
    from gallery.models import City
    from gallery.text import fold

    return {row["name"]: City.objects.create(search_name=fold(row["name"]), **row) for row in CITIES}


TINY_PLACE = dict(resolution=16, latent_dim=16, fmap_base=128, fmap_max=32, fmap_min=8, context_embed_dim=8)


def write_tiny_model(folder: Path, *, kind: str, config, network, seed: int, training: dict | None = None) -> Path:
    """A model folder of `kind` holding `network(config)` as initialised with torch seeded by `seed`."""
    import torch

    from ml.modelfolder import write_model_folder

    torch.manual_seed(seed)
    write_model_folder(folder, kind=kind, architecture=config.to_dict(), state_dict=network(config).state_dict(),
                       training=training)
    return folder


def write_tiny_place_model(folder: Path, *, seed: int = 0, config=None) -> Path:
    """A randomly initialised `place` model (`config`, else a tiny one) that runs in milliseconds."""
    from ml.models.place import PlaceConfig, PlaceGenerator

    return write_tiny_model(folder, kind="place", config=config or PlaceConfig(**TINY_PLACE), network=PlaceGenerator,
                            seed=seed)


@pytest.fixture(scope="session")
def tiny_place_model(tmp_path_factory) -> Path:
    return write_tiny_place_model(tmp_path_factory.mktemp("models") / "tiny-place")


@pytest.fixture
def place_model(db, tiny_place_model):
    from generation import pipeline_cache
    from generation.services import model_version_register

    pipeline_cache._pipelines.clear()  # each test loads from disk, as a fresh worker would

    return model_version_register(folder=tiny_place_model, name="tiny-place", activate=True)


TINY_GROUND = dict(resolution=16, latent_dim=8, width=16, overhead_dim=8)


def write_tiny_ground_model(folder: Path, *, seed: int = 0) -> Path:
    """A randomly initialised `ground` model (generator, discriminator, land-use head)."""
    from ml.models.ground import GroundConfig, GroundModel

    return write_tiny_model(folder, kind="ground", config=GroundConfig(**TINY_GROUND), network=GroundModel, seed=seed)


TINY_UPSAMPLE = dict(scale=4, width=4, layers=1, resolution=16)


def write_tiny_upsample_model(folder: Path, *, seed: int = 0) -> Path:
    """A randomly initialised upsampler (4x) that runs in milliseconds."""
    from ml.models.configs import UpsampleConfig
    from ml.models.upsample import Upsampler

    return write_tiny_model(folder, kind="upsample", config=UpsampleConfig(**TINY_UPSAMPLE), network=Upsampler, seed=seed)


@pytest.fixture
def upsample_model(db, tmp_path):
    """A tiny upsampler, registered and active: every job's picture is enlarged 4x."""
    from generation.services import model_version_register

    folder = write_tiny_upsample_model(tmp_path / "tiny-upsample")
    return model_version_register(folder=folder, name="tiny-upsample", activate=True)


TINY_EDIT = dict(resolution=16, condition_dim=8, width=4, residual_units=1, d_width=4, d_text_dim=8)


def write_tiny_edit_model(folder: Path, *, seed: int = 0, training: dict | None = None) -> Path:
    """A randomly initialised `edit` model (the real text encoder, a tiny SIMGAN generator)."""
    from ml.models.edit import EditConfig, EditGenerator

    return write_tiny_model(folder, kind="edit", config=EditConfig(**TINY_EDIT), network=EditGenerator, seed=seed,
                            training=training)


@pytest.fixture(scope="session")
def tiny_ground_model(tmp_path_factory) -> Path:
    return write_tiny_ground_model(tmp_path_factory.mktemp("models") / "tiny-ground")


@pytest.fixture
def ground_model(db, tiny_ground_model):
    from generation import pipeline_cache
    from generation.services import model_version_register

    pipeline_cache._pipelines.clear()
    return model_version_register(folder=tiny_ground_model, name="tiny-ground", activate=True)


@pytest.fixture(scope="session")
def tiny_edit_model(tmp_path_factory) -> Path:
    return write_tiny_edit_model(tmp_path_factory.mktemp("models") / "tiny-edit")


@pytest.fixture
def edit_model(db, tiny_edit_model):
    from generation.services import model_version_register

    return model_version_register(folder=tiny_edit_model, name="tiny-edit", activate=True)


TINY_COMPOSE = dict(resolution=16, categories=["tree", "house", "boat"], latent_dim=8, width=4, mask_width=4,
                    mask_side=8, d_width=4, crop=8,
                    background=dict(latent_dim=16, fmap_base=128, fmap_max=32, fmap_min=8, context_embed_dim=8))


def write_tiny_compose_model(folder: Path, *, seed: int = 0) -> Path:
    """A randomly initialised `compose` model (background, object and mask generators, critics)
    that paints a 16 px scene of trees, houses and boats in milliseconds."""
    from ml.models.compose import ComposeConfig, ComposeModel

    return write_tiny_model(folder, kind="compose", config=ComposeConfig(**TINY_COMPOSE), network=ComposeModel, seed=seed)


@pytest.fixture(scope="session")
def tiny_compose_model(tmp_path_factory) -> Path:
    return write_tiny_compose_model(tmp_path_factory.mktemp("models") / "tiny-compose")


@pytest.fixture
def compose_model(db, tiny_compose_model):
    from generation import pipeline_cache
    from generation.services import model_version_register

    pipeline_cache._pipelines.clear()
    return model_version_register(folder=tiny_compose_model, name="tiny-compose", activate=True)


def _task(attribute: str, value: str, edits: int, accuracy: float | None) -> dict:
    return {"attribute": attribute, "value": value, "edits": edits, "accuracy": accuracy, "oracle_on_real": 1.0}


# Validation metrics of an edit model as `ml.eval.validate` stores them (figures of a real run),
# and the texts the artwork page suggests from them: the best of each value at 0.9 or more, of
# at least 30 edits judged.
EDIT_METRICS = {
    "images": 300, "split": "heldout", "resolution": 32, "tasks": 9, "accuracy": 0.739, "visitor_accuracy": 0.308,
    "consistency": 0.522, "feature_distance": 0.859, "sharpness": 0.732, "diversity": 0.028,
    "accuracy_by_task": {
        "snowy and wintry": _task("weather", "snow", 288, 0.938),
        "foggy and misty": _task("weather", "fog", 276, 0.547),
        "sunny and cloudless": _task("weather", "clear", 143, 0.993),
        "at night, after dark": _task("time_of_day", "night", 210, 0.971),
        "icy, frozen and polar": _task("biome", "polar", 294, 0.0),
    },
    "visitor_accuracy_by_task": {
        "under a blue sky": _task("weather", "clear", 140, 0.95),
        "at midnight with the lights on": _task("time_of_day", "night", 12, 1.0),
        "deep in a rainforest": _task("biome", "tropical", 221, 0.878),
        "in the middle of the Sahara": _task("biome", "desert", 0, None),
    },
}
EDIT_SUGGESTED = ["sunny and cloudless", "at night, after dark", "snowy and wintry"]


@pytest.fixture
def measured_edit_model(edit_model):
    from generation.models import ModelVersion

    ModelVersion.objects.filter(pk=edit_model.pk).update(metrics=EDIT_METRICS)
    edit_model.refresh_from_db()
    return edit_model


@pytest.fixture
def sent_tasks(monkeypatch):
    """Celery tasks sent by name (`generation.queue`), recorded instead of sent: for each task
    name, the id each was sent with (the integration tests send them)."""
    from config.celery import app

    sent = defaultdict(list)
    monkeypatch.setattr(app, "send_task", lambda name, args, **options: sent[name].append(*args))
    return sent


@pytest.fixture
def enqueued(sent_tasks):
    """Ids of the jobs handed to Celery."""
    from generation import queue

    return sent_tasks[queue.RUN_JOB]


# redis-server's persistence: none (what the session's server runs with), or the append-only
# file that README.md's several-machines section prescribes.
NO_PERSISTENCE = ("--appendonly", "no", "--save", "")
APPEND_ONLY = ("--appendonly", "yes", "--appendfsync", "everysec", "--save", "")


class RedisServer:
    """A real redis-server on a free loopback port, keeping its files in `folder`: it can be
    stopped (SIGTERM, or SIGKILL as when its machine dies) and started again on the same files."""

    def __init__(self, folder: Path, *, persistence: tuple[str, ...]):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.fail("redis-server is not installed; ./run.sh test installs it")
        self.folder, self.persistence, self.port = folder, persistence, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> "RedisServer":
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "redis.log").open("a") as log:
            self.process = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
                 *self.persistence],
                stdout=log, stderr=subprocess.STDOUT,
            )
        wait_until(self.answers, timeout=10, interval=0.1,
                   message=lambda: f"redis-server did not answer\n{(self.folder / 'redis.log').read_text()[-2000:]}")
        return self

    def answers(self) -> bool:
        return redis_answers(self.port)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real redis-server on loopback, started for this test session."""
    server = RedisServer(tmp_path_factory.mktemp("redis"), persistence=NO_PERSISTENCE).start()
    yield server.url
    server.stop()


class WorkerProcess:
    """A real `celery worker` subprocess on the gpu and default queues."""

    def __init__(self, *, broker_url: str, database_url: str, media_root: Path, log: Path, env: dict):
        self.env = {
            **os.environ,
            **env,
            "CELERY_BROKER_URL": broker_url,
            "DATABASE_URL": database_url,
            "DJANGO_MEDIA_ROOT": str(media_root),
            "HF_HUB_OFFLINE": "1",
        }
        self.log = log
        self.process = None

    def start(self):
        self.log.write_text("")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "gpu,default", "--pool", "solo",
             "--concurrency", "1", "-l", "info", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=REPO, env=self.env, stdout=self.log.open("a"), stderr=subprocess.STDOUT,
        )
        wait_until(lambda: "ready." in self.log.read_text() or self.process.poll() is not None, timeout=60, interval=0.1,
                   message=lambda: f"celery worker not ready\n--- {self.log} ---\n{self.log.read_text()[-3000:]}")
        if self.process.poll() is not None:
            raise RuntimeError(f"celery worker exited:\n{self.log.read_text()[-3000:]}")
        return self

    def kill(self):
        """SIGKILL, as when a machine dies: no chance to hand anything back."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


@contextmanager
def app_broker(url: str, options: dict):
    """Point this process's Celery app (enqueueing happens here) at a broker, and back after."""
    from config.celery import app

    def connect(url, options):
        app.conf.broker_url, app.conf.broker_transport_options = url, options
        app._pool = None  # the connection and producer pools are built again for this broker
        app.amqp._producer_pool = None

    previous = app.conf.broker_url, app.conf.broker_transport_options
    connect(url, options)
    try:
        yield
    finally:
        connect(*previous)


@pytest.fixture
def celery_broker(redis_url):
    """This process's Celery app on the test Redis, emptied of other tests' messages."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    with app_broker(redis_url, {"visibility_timeout": 3600}):
        yield redis_url


@pytest.fixture
def embedded_broker(tmp_path):
    """The embedded broker (`atomicfs://`, config.broker) in this test's own folder: the var
    folder of the workers that `embedded_worker_factory` starts; its queue is `<var>/broker/queue`."""
    from config.broker import ALIAS, transport_options

    var = tmp_path / "worker-var"
    with app_broker(f"{ALIAS}://", transport_options(var / "broker")):
        yield var


def _start_workers(*, broker_url: str, env: dict, settings, tmp_path):
    """Starts real worker processes sharing this test's database, broker and media folder."""
    from django.db import connection

    workers = []

    def start(**more_env) -> WorkerProcess:
        worker = WorkerProcess(
            broker_url=broker_url,
            database_url=database_url(connection.settings_dict),
            media_root=Path(settings.MEDIA_ROOT),
            log=tmp_path / f"worker-{len(workers)}.log",
            env={**env, **more_env},
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def worker_factory(celery_broker, transactional_db, settings, tmp_path):
    """Starts real worker processes on the test Redis."""
    yield from _start_workers(broker_url=celery_broker, env={}, settings=settings, tmp_path=tmp_path)


@pytest.fixture
def redis_server(request, tmp_path):
    """A redis-server of this test's own, with the persistence arguments the test is parametrised
    with (indirectly), that the test may stop and start again; this process's Celery app uses it."""
    server = RedisServer(tmp_path / "redis", persistence=request.param).start()
    with app_broker(server.url, {"visibility_timeout": 3600}):
        yield server
    server.stop()


@pytest.fixture
def redis_server_worker_factory(redis_server, transactional_db, settings, tmp_path):
    """Starts real worker processes on this test's own redis-server (`redis_server`)."""
    yield from _start_workers(broker_url=redis_server.url, env={}, settings=settings, tmp_path=tmp_path)


@pytest.fixture
def embedded_worker_factory(embedded_broker, transactional_db, settings, tmp_path):
    """Starts real worker processes on the embedded broker, as `./run.sh demo` does."""
    from config.broker import ALIAS

    yield from _start_workers(broker_url=f"{ALIAS}://", env={"GENIUS_LOCI_VAR_DIR": str(embedded_broker)},
                              settings=settings, tmp_path=tmp_path)
