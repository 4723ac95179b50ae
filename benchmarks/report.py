"""docs/BENCHMARKS.md: each benchmark owns one section between `<!-- name -->` and `<!-- /name -->`."""
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REPORT = REPO / "docs" / "BENCHMARKS.md"


def write_section(name: str, text: str) -> None:
    """Replace the section `name` of the report with `text` (append it if absent), keeping the others."""
    begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    section = f"{begin}\n{text}\n{end}"
    current = REPORT.read_text(encoding="utf-8") if REPORT.exists() else "# Benchmarks\n"
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        updated = head + section + rest.split(end, 1)[1]
    else:
        updated = current.rstrip("\n") + "\n\n" + section + "\n"
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(updated, encoding="utf-8")
