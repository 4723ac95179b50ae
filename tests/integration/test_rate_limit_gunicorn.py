"""The job rate limit holds across web processes: a real gunicorn with two workers, on the
embedded settings, answers 429 once a client has spent its allowance, whichever worker counts.
Each worker is replaced after one request (`--max-requests 1`), so the requests are served by
several processes for certain, not only when the load happens to spread them."""
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.conftest import REPO
from tests.loopback import free_port
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

LIMIT = 8


def status_of(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


@pytest.fixture
def gunicorn(tmp_path):
    """`gunicorn config.wsgi --workers 2` on a free loopback port; yields (url, access log, its
    own output: the traceback of an answer 500)."""
    port, log, output = free_port(), tmp_path / "access.log", tmp_path / "gunicorn.log"
    env = {**os.environ, "GENIUS_LOCI_VAR_DIR": str(tmp_path), "GENIUS_LOCI_JOB_RATE": f"{LIMIT}/minute"}
    env.pop("CACHE_URL", None)  # the embedded default
    with output.open("wb") as written:
        process = subprocess.Popen(
            [shutil.which("gunicorn", path=os.path.dirname(sys.executable)), "config.wsgi", "--workers", "2",
             "--max-requests", "1", "--bind", f"127.0.0.1:{port}", "--access-logfile", str(log),
             "--access-logformat", "%(p)s %(s)s"],
            cwd=REPO, env=env, stdout=written, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: status_of(urllib.request.Request(url + "/api/schema/")) == 200, timeout=60,
               message="gunicorn did not answer")
    yield url, log, output
    process.terminate()
    process.wait(timeout=10)


def test_two_workers_count_against_one_limit(gunicorn):
    url, log, output = gunicorn
    ask = urllib.request.Request(url + "/api/jobs/", data=b"{}", method="POST",
                                 headers={"Content-Type": "application/json", "Connection": "close"})
    answers = [status_of(ask) for _ in range(LIMIT + 2)]
    assert answers == [400] * LIMIT + [429, 429], f"gunicorn's output: {output.read_text()}"

    def job_requests_logged() -> list[list[str]]:  # [pid, status] of each, once all are logged
        logged = [line.split() for line in log.read_text().splitlines() if line.endswith(("400", "429"))]
        return len(logged) == len(answers) and logged

    served = wait_until(job_requests_logged, timeout=10, message=lambda: f"the access log: {log.read_text()}")
    assert len({pid for pid, _ in served}) > 2, f"too few processes served the requests: {served}"
