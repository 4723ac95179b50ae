"""What the benchmarks share: timing, and docs/BENCHMARKS.md, where each benchmark owns one
section between `<!-- name -->` and `<!-- /name -->`."""
import statistics
import time
from pathlib import Path

from ml.sections import write_section as write_page_section

REPO = Path(__file__).resolve().parent.parent
REPORT = REPO / "docs" / "BENCHMARKS.md"


def publish(name: str, text: str, *, write: bool) -> None:
    """Print a benchmark's section `text` and, with `write`, replace the section `name` of the
    report with it (append it if absent), keeping the others."""
    print(text)
    if write:
        write_page_section(REPORT, name, text, title="Benchmarks")
        print(f"\nwritten to {REPORT.relative_to(REPO)}")


def median_seconds(run, repeats: int, warmup: int = 2, sync=None) -> float:
    """The median wall time of `repeats` calls of `run`, after `warmup` untimed ones; `sync`
    (e.g. torch.cuda.synchronize) is called after each, so queued GPU work is counted."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        if sync is not None:
            sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
