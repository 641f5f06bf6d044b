"""python -m lossless_tutorial.course {assignments,student-book,summary}"""

from __future__ import annotations

import argparse
import time

from . import (
    ROOT,
    build_student_book,
    chapters,
    read_chapter,
    summary,
    write_assignment,
)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lossless_tutorial.course")
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser(
        "assignments", help="student notebooks and autograders (Otter Grader)"
    )
    a.add_argument("--out", default=str(ROOT / "_build" / "assignments"))
    a.add_argument(
        "--chapters", nargs="*", help="chapter numbers, e.g. 01 02 (default: all)"
    )
    a.add_argument(
        "--no-run-tests",
        action="store_true",
        help="skip otter's check that the reference solutions pass",
    )
    s = sub.add_parser("student-book", help="the book without solutions")
    s.add_argument("--out", default=str(ROOT / "_build" / "student"))
    sub.add_parser("summary", help="exercises, autograded ones and rubrics per chapter")
    args, extra = parser.parse_known_args(argv)

    if args.command == "assignments":
        paths = [
            p
            for p in chapters()
            if not args.chapters or p.name[:2] in {c.zfill(2) for c in args.chapters}
        ]
        for path in paths:
            chapter = read_chapter(path)
            if not chapter.exercises:
                print(
                    f"{chapter.key}: no exercises in the {{exercise}} form yet; skipped"
                )
                continue
            started = time.perf_counter()
            target = write_assignment(path, args.out, run_tests=not args.no_run_tests)
            print(
                f"{chapter.key}: {target}/student, {target}/autograder "
                f"({time.perf_counter() - started:.0f} s)"
            )
    elif args.command == "student-book":
        html = build_student_book(args.out, extra_args=extra)
        print(f"student edition: {html}/index.html")
    else:
        print("chapter  exercises  autograded      rubric")
        for row in summary():
            print(
                f"{row['chapter']:7s}  {row['exercises']:9d}  "
                f"{len(row['autograded']):2d} {str(row['autograded']):12s} "
                f"{len(row['rubric']):2d} {row['rubric']}"
            )


if __name__ == "__main__":
    main()
