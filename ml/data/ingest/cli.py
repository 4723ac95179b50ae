"""`python -m ml ingest folder|manifest|flickr ...` and `python -m ml outliers DIR`."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ml.cli import CommandError, check_shard_size
from ml.data.cities import City, world_cities
from ml.data.ingest.dedupe import DEFAULT_THRESHOLD
from ml.data.ingest.sources import DEFAULT_MAX_PIXELS, folder_candidates, manifest_candidates
from ml.data.ingest.writer import IngestWriter

ERROR_SOURCE_MISSING = "{} does not exist"
ERROR_NOT_FOLDER = "{} is not a folder"
ERROR_MANIFEST_SUFFIX = "{}: a manifest must be a .csv or .jsonl file"
ERROR_OUT_NOT_EMPTY = "--out {} exists and is not empty; choose a new folder"
ERROR_OUT_NOT_DIR = "--out {} exists and is not a folder"
ERROR_SIZE = "--size must be within [8, 1024], got {}"
ERROR_THRESHOLD = "--dedupe-threshold must be within [0, 63], got {}"
ERROR_RADIUS = "--radius-km must be positive, got {}"
ERROR_MAX = "--max must be a positive integer, got {}"
ERROR_CITY = "no city named or numbered {!r} (try a GeoNames id)"
ERROR_LICENCE = "unknown Flickr licence id {!r} (known: 0-16)"
ERROR_KEYS = "set FLICKR_API_KEY and FLICKR_API_SECRET to harvest from Flickr"
ERROR_RADIUS_MODE = "--search radius allows at most 32 km; use --search bbox"
ERROR_NOT_DATASET = "{}: no manifest.jsonl; is this a dataset folder?"
ERROR_K = "--k must be positive, got {}"
ERROR_NO_ORACLE = "no oracle at {}; pass --oracle FOLDER or --features pixels"


def register(subparsers) -> None:
    ingest = subparsers.add_parser("ingest", help="ingest real geotagged photos into a dataset folder")
    sources = ingest.add_subparsers(dest="source", required=True)
    folder = sources.add_parser("folder", help="photos with EXIF GPS under a folder")
    folder.add_argument("src", type=Path)
    manifest = sources.add_parser("manifest", help="a CSV or JSONL of path,lat,lon[,caption,licence]")
    manifest.add_argument("file", type=Path)
    flickr = sources.add_parser("flickr", help="harvest a city's photos from Flickr (resumable)")
    flickr.add_argument("--city", required=True, help="city name or GeoNames id")
    flickr.add_argument("--radius-km", type=float, required=True)
    flickr.add_argument("--licenses", nargs="+", default=None, help="Flickr licence ids (default: 4 5 9 10 11 12)")
    flickr.add_argument("--max", type=int, default=None, help="stop after N photos considered")
    flickr.add_argument("--search", choices=("bbox", "radius"), default="bbox")
    flickr.add_argument("--min-interval", type=float, default=1.0, help="seconds between requests (default 1)")
    for parser in (folder, manifest, flickr):
        parser.add_argument("--out", type=Path, required=True, help="output folder")
        parser.add_argument("--size", type=int, default=64, help="image side in pixels (default 64)")
        parser.add_argument("--shard-size", type=int, default=0, help="also write tar shards of N samples")
        parser.add_argument("--dedupe-threshold", type=int, default=DEFAULT_THRESHOLD,
                            help=f"max dHash Hamming distance of duplicates (default {DEFAULT_THRESHOLD})")
        parser.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS,
                            help="refuse larger images as decompression bombs")
    folder.set_defaults(func=run_folder)
    manifest.set_defaults(func=run_manifest)
    flickr.set_defaults(func=run_flickr)

    outliers = subparsers.add_parser("outliers", help="flag photos unlike the rest of their city")
    outliers.add_argument("dir", type=Path)
    outliers.add_argument("--features", choices=("oracle", "pixels"), default="oracle",
                          help="the oracle's features (default) or hand-made colour/edge statistics")
    outliers.add_argument("--oracle", type=Path, default=None, help="oracle folder (default: the shipped one)")
    outliers.add_argument("--k", type=float, default=None,
                          help="MADs above the median distance (default 2 with the oracle, 1 with pixels)")
    outliers.add_argument("--write-clean", type=Path, default=None, help="copy the dataset without the flags")
    outliers.set_defaults(func=run_outliers)


def check_common(args) -> None:
    if not 8 <= args.size <= 1024:
        raise CommandError(ERROR_SIZE.format(args.size))
    check_shard_size(args.shard_size)
    if not 0 <= args.dedupe_threshold <= 63:
        raise CommandError(ERROR_THRESHOLD.format(args.dedupe_threshold))
    if args.out.exists() and not args.out.is_dir():
        raise CommandError(ERROR_OUT_NOT_DIR.format(args.out))


def check_empty(out: Path) -> None:
    if out.is_dir() and any(out.iterdir()):
        raise CommandError(ERROR_OUT_NOT_EMPTY.format(out))


def options(args) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in ("func",)}


def make_writer(args, source: str, resume: bool = False) -> IngestWriter:
    return IngestWriter(args.out, source=source, size=args.size, args=options(args),
                        dedupe_threshold=args.dedupe_threshold, shard_size=args.shard_size,
                        max_pixels=args.max_pixels, resume=resume)


def ingest(writer: IngestWriter, candidates, total=None, extra: dict | None = None) -> int:
    added = 0
    try:
        for candidate in tqdm(candidates, total=total, desc=f"ingest {writer.source}", unit="img"):
            if isinstance(writer.add(candidate), dict):
                added += 1
    finally:  # an interrupted run still leaves a readable folder (and a resumable harvest)
        info = writer.finish(extra)
    for skip in writer.skipped[:50]:
        print(f"skipped {skip.path}: {skip.reason}")
    if len(writer.skipped) > 50:
        print(f"... and {len(writer.skipped) - 50} more (see {writer.out / 'skipped.jsonl'})")
    print(f"ingested {added} photos ({info['count']} in all, {info['cities']} cities) into {writer.out}; "
          f"{writer.duplicates} duplicates removed, {len(writer.skipped)} skipped")
    return 0


def run_folder(args) -> int:
    check_common(args)
    if not args.src.exists():
        raise CommandError(ERROR_SOURCE_MISSING.format(args.src))
    if not args.src.is_dir():
        raise CommandError(ERROR_NOT_FOLDER.format(args.src))
    check_empty(args.out)
    candidates = list(folder_candidates(args.src))
    return ingest(make_writer(args, "folder"), candidates, total=len(candidates))


def run_manifest(args) -> int:
    check_common(args)
    if not args.file.is_file():
        raise CommandError(ERROR_SOURCE_MISSING.format(args.file))
    if args.file.suffix.lower() not in (".csv", ".jsonl"):
        raise CommandError(ERROR_MANIFEST_SUFFIX.format(args.file))
    check_empty(args.out)
    return ingest(make_writer(args, "manifest"), manifest_candidates(args.file))


def find_city(text: str) -> City:
    text = text.strip()
    for min_population in (15000, 500):
        cities = world_cities(min_population)
        if text.isdigit():
            found = [c for c in cities if c.geonameid == int(text)]
        else:
            wanted = text.casefold()
            found = [c for c in cities if wanted in (c.name.casefold(), c.asciiname.casefold())]
        if found:
            return found[0]  # most populous first
    raise CommandError(ERROR_CITY.format(text))


def run_flickr(args, *, search=None, fetch=None, clock=None, sleep=None) -> int:
    from ml.data.ingest import flickr

    check_common(args)
    if args.radius_km <= 0:
        raise CommandError(ERROR_RADIUS.format(args.radius_km))
    if args.max is not None and args.max < 1:
        raise CommandError(ERROR_MAX.format(args.max))
    if args.search == "radius" and args.radius_km > flickr.MAX_RADIUS_QUERY_KM:
        raise CommandError(ERROR_RADIUS_MODE)
    licences = tuple(args.licenses or flickr.DEFAULT_LICENCES)
    for code in licences:
        if code not in flickr.LICENCES:
            raise CommandError(ERROR_LICENCE.format(code))
    city = find_city(args.city)
    state_path = args.out / flickr.STATE_FILE
    resume = state_path.is_file()
    if not resume:
        check_empty(args.out)
    if search is None:
        key, secret = os.environ.get("FLICKR_API_KEY"), os.environ.get("FLICKR_API_SECRET")
        if not key or not secret:
            raise CommandError(ERROR_KEYS)
        search = flickr.flickrapi_search(key, secret)
    writer = make_writer(args, "flickr", resume=resume)
    limiter = flickr.RateLimiter(args.min_interval, **{k: v for k, v in (("clock", clock), ("sleep", sleep)) if v})
    harvester = flickr.FlickrHarvester(
        search=search, state=flickr.HarvestState.load(state_path), city=city, radius_km=args.radius_km,
        licences=licences, mode=args.search, max_photos=args.max, fetch=fetch or flickr.urllib_fetch,
        limiter=limiter)
    extra = {"city": {"geonameid": city.geonameid, "name": city.name, "country": city.country_code},
             "radius_km": args.radius_km, "licences": list(licences)}
    return ingest(writer, harvester.candidates(), total=args.max, extra=extra)


def run_outliers(args) -> int:
    from ml.data import outliers

    if not (args.dir / "manifest.jsonl").is_file():
        raise CommandError(ERROR_NOT_DATASET.format(args.dir))
    k = outliers.DEFAULT_K[args.features] if args.k is None else args.k
    if k <= 0:
        raise CommandError(ERROR_K.format(k))
    if args.write_clean is not None:
        check_empty(args.write_clean)
    rows = outliers.read_manifest(args.dir)
    if args.features == "oracle":
        from ml.eval.cli import DEFAULT_ORACLE

        oracle = args.oracle or DEFAULT_ORACLE
        if not (oracle / "config.json").is_file():
            raise CommandError(ERROR_NO_ORACLE.format(oracle))
        features = outliers.oracle_dataset_features(args.dir, rows, oracle)
    else:
        features = outliers.dataset_features(args.dir, rows)
    flags, _ = outliers.flag_outliers(features, [row.get("city") for row in rows], k=k)
    print(f"flagged {int(flags.sum())} of {len(rows)} photos as outliers ({args.features} features, k={k:g})")
    truth = outliers.ground_truth(rows)
    if truth is not None:
        scores = outliers.precision_recall(flags, truth)
        print(f"ground truth: {scores['true_outliers']} outliers; precision {scores['precision']:.3f}, "
              f"recall {scores['recall']:.3f}")
    if args.write_clean is not None:
        kept = outliers.write_clean(args.dir, args.write_clean, rows, np.asarray(flags), k, args.features)
        print(f"wrote {kept} photos to {args.write_clean}")
    return 0
