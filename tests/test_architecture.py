"""The house's rules, checked on the code: imports point one way (gallery -> generation -> ml,
and ml never imports Django), no package's modules import each other in a cycle, and the web
process never loads PyTorch.

The import graph is built from the source with `ast`: every `import` and `from ... import`,
at module level or inside a function, as an edge from the importing module to each of the
project's modules it names.
"""
import ast
import os
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("config", "gallery", "generation", "ml")
WEB_PACKAGES = ("config", "gallery", "generation")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(path: Path, module: str) -> set[str]:
    """Every dotted name the file imports: `import a.b` gives a.b; `from a import b` gives a and
    a.b (b may be a module or a name in a); relative imports are made absolute."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1] + [node.module or ""]) if node.level else node.module
            base = base.strip(".")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


SOURCES = {_module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")}
IMPORTS = {module: _imported_names(path, module) for module, path in SOURCES.items()}
GRAPH = {module: {name for name in names if name in SOURCES and name != module} for module, names in IMPORTS.items()}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, as the modules along it; None when there is none."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        return error.args[1]
    return None


@pytest.mark.parametrize("package", ["gallery", "generation", "ml.train"])
def test_no_import_cycle_among_a_packages_modules(package):
    graph = {module: {t for t in targets if _within(t, package)} for module, targets in GRAPH.items() if _within(module, package)}
    assert _cycle(graph) is None


@pytest.mark.parametrize("lower, higher", [
    ("generation", "gallery"), ("ml", "gallery"), ("ml", "generation"), ("ml", "config"), ("ml", "django"),
])
def test_imports_point_one_way(lower, higher):
    """gallery -> generation -> ml: a lower layer never imports a higher one."""
    upward = sorted(f"{module} imports {name}" for module, names in IMPORTS.items() if _within(module, lower)
                    for name in names if _within(name, higher))
    assert upward == []


def test_the_web_never_imports_torch():
    """Every module of the web's packages, tasks included (importing a task module is not running
    a task: a worker loads PyTorch when it first runs a model, in generation.pipeline_cache),
    imported in a fresh interpreter: none loads torch."""
    modules = sorted(module for module in SOURCES if module.split(".")[0] in WEB_PACKAGES)
    check = (
        "import importlib, sys, django\n"
        "django.setup()\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name)\n"
        "    if 'torch' in sys.modules:\n"
        "        sys.exit(f'{name} imports torch')\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    run = subprocess.run([sys.executable, "-c", check, *modules], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
