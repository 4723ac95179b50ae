"""Generated parts of hand-written Markdown pages (docs/BENCHMARKS.md, docs/RESULTS.md).

A generator owns the text between `<!-- name -->` and `<!-- /name -->`; everything else on the
page is left as written.
"""
from pathlib import Path


def write_section(page: Path, name: str, text: str, title: str) -> None:
    """Replace the section `name` of `page` with `text` (append it if absent), keeping the rest."""
    begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    section = f"{begin}\n{text}\n{end}"
    current = page.read_text(encoding="utf-8") if page.exists() else f"# {title}\n"
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        updated = head + section + rest.split(end, 1)[1]
    else:
        updated = current.rstrip("\n") + "\n\n" + section + "\n"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(updated, encoding="utf-8")
