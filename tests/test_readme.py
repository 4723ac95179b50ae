import re

from tests.conftest import REPO


def test_every_environment_variable_read_by_the_settings_is_documented():
    settings = (REPO / "config" / "settings.py").read_text()
    readme = (REPO / "README.md").read_text()
    names = set(re.findall(r'env\.\w+\("([A-Z0-9_]+)"', settings))
    assert names, "no variables found: the pattern is stale"
    undocumented = sorted(name for name in names if f"| `{name}` |" not in readme)
    assert undocumented == []


def test_the_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    readme = (REPO / "README.md").read_text()
    block = readme.split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split("#")[0].strip() for line in block] == ["./run.sh demo", "./run.sh test"]
    assert "./run.sh test" in (REPO / ".ci" / "run").read_text()
