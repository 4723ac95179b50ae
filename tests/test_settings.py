import os
import subprocess
import sys

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
