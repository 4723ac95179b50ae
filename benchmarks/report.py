"""docs/BENCHMARKS.md: each benchmark owns one section between `<!-- name -->` and `<!-- /name -->`."""
from pathlib import Path

from ml.sections import write_section as write_page_section

REPO = Path(__file__).resolve().parent.parent
REPORT = REPO / "docs" / "BENCHMARKS.md"


def write_section(name: str, text: str) -> None:
    """Replace the section `name` of the report with `text` (append it if absent), keeping the others."""
    write_page_section(REPORT, name, text, title="Benchmarks")
