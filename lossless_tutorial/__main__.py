"""Command line of lossless_tutorial: ``python -m lossless_tutorial --help``."""

from __future__ import annotations

import argparse
import sys

from . import datasets


def _fetch(args) -> int:
    names = args.names or sorted(datasets.PAPER_FILES)
    for name in names:
        try:
            path = datasets.paper_file(name)
        except (ValueError, datasets.DataUnavailableError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"{name}: {path}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lossless_tutorial",
        description="Tools of the book 'Learning without loss'.")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser(
        "fetch", help="download the paper's data files once (checked by sha256) and "
                      "print where they are")
    fetch.add_argument("names", nargs="*", metavar="NAME",
                       help="files to fetch (default: all of "
                            f"{', '.join(sorted(datasets.PAPER_FILES))})")
    fetch.set_defaults(run=_fetch)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
