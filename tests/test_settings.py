import os
import subprocess
import sys
import threading

from config.settings import kept_secret
from tests.conftest import REPO


def test_production_environment_passes_the_deploy_checks(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "k3y-" + "x9Qz7!pL" * 8,
        "DJANGO_SECURE_SSL": "true",
        "DJANGO_ALLOWED_HOSTS": "atlas.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "GENIUS_LOCI_VAR_DIR": str(tmp_path),
    }
    env.pop("DJANGO_DEBUG", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_web_process_does_not_import_torch(tmp_path):
    code = (
        "import django, sys; django.setup();"
        "from django.test import Client; Client().get('/'); Client().get('/api/cities/?q=ox');"
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "GENIUS_LOCI_VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_processes_starting_at_once_in_a_fresh_var_dir_share_one_secret_key(tmp_path):
    # Eight at once, twenty times: written without care, about half the rounds give some a
    # different key or an empty one (a half-written file).
    for attempt in range(20):
        path, keys = tmp_path / f"secret-key-{attempt}", []
        start = threading.Barrier(8)

        def ask():
            start.wait()
            keys.append(kept_secret(path))

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) >= 50, keys
        assert (path.stat().st_mode & 0o777) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"secret-key-{r}" for r in range(20))  # no leftovers
