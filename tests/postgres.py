"""Run pytest against a real PostgreSQL server: a throwaway cluster started for the run.

    python -m tests.postgres [pytest arguments]      (./run.sh test runs it with -m integration)

It finds Debian's server binaries (`initdb`, `pg_ctl`: on the PATH, else the newest under
/usr/lib/postgresql), makes a cluster in a new temporary folder with a random password
(scram-sha-256, so no other local user gets in), starts it on a free loopback port and no unix
socket, runs pytest with DATABASE_URL pointing at it, then stops it and deletes the folder. The
cluster trades durability for speed (no fsync): it lives for one run.

PostgreSQL refuses to run as root; as root, the cluster belongs to the `postgres` user that
Debian's package creates, and its commands run through `runuser`.
"""
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import REPO
from tests.loopback import free_port

DATABASE = "genius_loci"
USER = "genius_loci"
SPEED_OVER_DURABILITY = ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]


def server_binary(name: str) -> str:
    """The path of the PostgreSQL program `name` (initdb, pg_ctl)."""
    if found := shutil.which(name):
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda path: int(path.parts[-3]))
    if not versions:
        sys.exit(f"PostgreSQL's {name} is not installed; ./run.sh test installs Debian's postgresql package")
    return str(versions[-1])


def _as_owner(command: list[str]) -> list[str]:
    """`command`, run as the `postgres` user when this process is root (the server refuses root)."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def throwaway_cluster():
    """Start a PostgreSQL cluster for this run; yield its DATABASE_URL; stop and delete it after."""
    folder = Path(tempfile.mkdtemp(prefix="genius-loci-postgres-"))
    data, password_file, log, port = folder / "data", folder / "password", folder / "server.log", free_port()
    pg_ctl = server_binary("pg_ctl")
    try:
        password = secrets.token_urlsafe(24)
        password_file.write_text(password)
        if os.geteuid() == 0:
            owner = _postgres_user()
            os.chown(folder, owner.pw_uid, owner.pw_gid)
            os.chown(password_file, owner.pw_uid, owner.pw_gid)
        _run([server_binary("initdb"), "--pgdata", str(data), "--username", USER, "--pwfile", str(password_file),
              "--auth", "scram-sha-256", "--encoding", "UTF8", "--locale", "C.UTF-8", "--no-instructions"])
        options = " ".join(f"-c {setting}" for setting in [
            f"port={port}", "listen_addresses=127.0.0.1", "unix_socket_directories=''", *SPEED_OVER_DURABILITY])
        _run([pg_ctl, "start", "--pgdata", str(data), "--wait", "--log", str(log), "--options", options], log=log)
        url = f"postgres://{USER}:{password}@127.0.0.1:{port}/{DATABASE}"
        _create_database(url)
        yield url
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_owner([pg_ctl, "stop", "--pgdata", str(data), "--mode", "fast", "--wait"]),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)


def _postgres_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        sys.exit("As root, the cluster runs as the postgres user, and there is none: install Debian's postgresql package")


def _run(command: list[str], *, log: Path | None = None) -> None:
    """Run a PostgreSQL program (as the cluster's owner); on failure exit with what it said."""
    result = subprocess.run(_as_owner(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        said = result.stdout + (log.read_text() if log and log.exists() else "")
        sys.exit(f"{Path(command[0]).name} failed (exit status {result.returncode}):\n{said[-3000:]}")


def _create_database(url: str) -> None:
    """The database DATABASE_URL names: what a process that is not a test (gunicorn) connects to."""
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {DATABASE}")


def main(pytest_args: list[str]) -> int:
    started = time.monotonic()
    with throwaway_cluster() as url:
        print(f"PostgreSQL started in {time.monotonic() - started:.1f} s; pytest {' '.join(pytest_args)}", flush=True)
        status = subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=REPO,
                                env={**os.environ, "DATABASE_URL": url}).returncode
    print(f"The PostgreSQL pass took {time.monotonic() - started:.0f} s (cluster included).", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
