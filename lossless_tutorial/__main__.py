"""Command line of lossless_tutorial: ``python -m lossless_tutorial --help``."""

from __future__ import annotations

import argparse
import sys

import numpy as np

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


def _reproduce(args) -> int:
    """Run one experiment; a stop at a checkpoint (Ctrl-C) exits with 128 + the signal's
    number; bad arguments, missing data or a results file that cannot be resumed exit
    with 2; each with a message."""
    import logging

    from . import reproduce

    logging.basicConfig(format="%(message)s", level=logging.INFO, stream=sys.stderr)
    try:
        _run_experiment(reproduce, args)
    except (ValueError, datasets.DataUnavailableError) as error:  # ResultsFileError too
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (
        KeyboardInterrupt
    ) as stop:  # reproduce.Stopped, or Ctrl-C before the first step
        print(
            "stopped: the results file says complete: false; run the same command to "
            "resume",
            file=sys.stderr,
        )
        return 128 + getattr(stop, "signum", 2)
    return 0


def _run_experiment(reproduce, args):
    common = dict(
        seed=args.seed,
        output=args.output,
        progress=not args.quiet,
        force_new=args.force_new,
    )
    if args.experiment not in ("autoencoder", "generative"):  # one unit: threads only
        common.update(jobs=args.jobs, scheduler=args.scheduler)
    if args.experiment == "ledm":
        results = reproduce.reproduce_ledm(
            args.m,
            runs=args.runs,
            max_iter=args.max_iter,
            cd_starts=args.cd_starts,
            chunk=args.chunk,
            **common,
        )
        print(
            f"LEDM m={args.m}: {results['n_success']}/{args.runs} runs exact "
            f"(paper: 100%); CD {results.get('cd_rate', float('nan')):.1%} of "
            f"{args.cd_starts} starts"
        )
    elif args.experiment == "letters":
        results = reproduce.reproduce_letters(
            runs=args.runs, n_images=args.n_images, **common
        )
        print(
            f"letter montages: median final RMS error RRR "
            f"{np.median(results['rrr_rms_errors']):.4f}, CD "
            f"{np.median(results['cd_rms_errors']):.4f} (paper: good runs about 0.089)"
        )
    elif args.experiment in ("majority", "mnist-classifier"):
        common.update(
            seeds=args.seeds,
            epochs=args.epochs,
            max_iter=args.max_iter,
            sgd_trials=args.sgd_trials,
        )
        if args.delta is not None:
            common["delta"] = args.delta
        if args.experiment == "majority":
            results = reproduce.reproduce_majority(args.depth, **common)
        else:
            results = reproduce.reproduce_mnist_classifier(
                exemptions=args.exemptions, **common
            )
        final = [run["test_error"][-1] for run in results["runs"]]
        print(
            f"{args.experiment}: final test error over {len(final)} seeds: mean "
            f"{np.mean(final):.4f}, min {np.min(final):.4f}"
        )
    elif args.experiment == "binary-encoding":
        results = reproduce.reproduce_binary_encoding(
            bits=args.bits,
            runs=args.runs,
            max_iter=args.max_iter,
            gap_scale=args.gap_scale,
            **common,
        )
        for n, entry in results["bits"].items():
            print(
                f"binary encoding n={n}, gap {entry['gap']:g}: success "
                f"{entry['success_rate']:.0%} of {len(entry['runs'])} runs"
            )
    elif args.experiment == "autoencoder":
        results = reproduce.reproduce_autoencoder(
            epochs=args.epochs, gap=args.gap, parameters=args.parameters, **common
        )
        print(
            f"MNIST autoencoder after {results['epochs_done']} epochs: data error "
            f"{results['data_error'][-1]:.3f} (paper 0.153), code error "
            f"{results['code_error'][-1]:.3f} (paper 0.040)"
        )
    elif args.experiment == "generative":
        results = reproduce.reproduce_generative(
            epochs=args.epochs,
            max_iter=args.max_iter,
            autoencoder=args.autoencoder,
            **common,
        )
        print(
            f"generative model after {results['epochs_done']} epochs: fp test "
            f"{results['fp_test'][-1]:.3f} (paper 0.316), tn test "
            f"{results['tn_test'][-1]:.3f}"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lossless_tutorial",
        description="Tools of the book 'Learning without loss'.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser(
        "fetch",
        help="download the paper's data files once (checked by sha256) and "
        "print where they are",
    )
    fetch.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="files to fetch (default: all of "
        f"{', '.join(sorted(datasets.PAPER_FILES))})",
    )
    fetch.set_defaults(run=_fetch)

    reproduce = commands.add_parser(
        "reproduce",
        help="run one of the paper's experiments at full scale and write its "
        "results file; Ctrl-C stops at the next checkpoint and the same "
        "command resumes",
    )
    experiments = reproduce.add_subparsers(dest="experiment", required=True)
    ledm = experiments.add_parser("ledm", help="Table 1: exact NMF of an LEDM matrix")
    ledm.add_argument("--m", type=int, required=True, choices=(6, 8, 12, 16))
    ledm.add_argument("--runs", type=int, default=20, help="RRR starts (default 20)")
    ledm.add_argument(
        "--max-iter",
        type=int,
        default=20_000_000,
        help="iteration cap per run (default 2e7)",
    )
    ledm.add_argument(
        "--cd-starts",
        type=int,
        default=100,
        help="scikit-learn CD starts to compare with (default 100)",
    )
    ledm.add_argument(
        "--chunk",
        type=int,
        default=50_000,
        help="RRR iterations between checkpoints (default 5e4; the results do "
        "not depend on it)",
    )
    letters = experiments.add_parser(
        "letters",
        help="Fig. 7: online NMF of letter montages, RRR and CD over many runs",
    )
    letters.add_argument("--runs", type=int, default=100, help="runs of each method")
    letters.add_argument(
        "--n-images",
        type=int,
        default=2000,
        help="montages (default 2000: 40 batches of 50)",
    )
    majority = experiments.add_parser(
        "majority",
        help="Figs. 9-12: RRR classifiers on the majority-circuit data, and SGD",
    )
    majority.add_argument("--depth", type=int, required=True, choices=(2, 3, 4))
    majority.add_argument("--epochs", type=int, default=100)
    mnist = experiments.add_parser(
        "mnist-classifier",
        help="Figs. 13-15: 784-20-10 on MNIST with exemptions, and SGD",
    )
    mnist.add_argument("--epochs", type=int, default=200)
    mnist.add_argument("--exemptions", type=int, default=5)
    for parser_ in (majority, mnist):
        parser_.add_argument("--seeds", type=int, default=10)
        parser_.add_argument(
            "--max-iter",
            type=int,
            default=100,
            help="RRR iterations per batch at most (default 100)",
        )
        parser_.add_argument(
            "--delta", type=float, help="class margin (default: paper's)"
        )
        parser_.add_argument("--sgd-trials", type=int, default=20)
    binary = experiments.add_parser(
        "binary-encoding",
        help="Sec. 6.3.1, Figs. 18-19: 2^n -> n -> 2^n with step nodes",
    )
    binary.add_argument(
        "--bits", type=int, nargs="+", default=[3, 4, 5], choices=(3, 4, 5)
    )
    binary.add_argument("--runs", type=int, default=20, help="runs per n (default 20)")
    binary.add_argument(
        "--max-iter",
        type=int,
        default=200_000,
        help="RRR iterations per run at most (default 2e5)",
    )
    binary.add_argument(
        "--gap-scale",
        type=float,
        default=1.0,
        help="multiply the paper's gaps (2: the half-width reading)",
    )
    auto = experiments.add_parser(
        "autoencoder", help="Figs. 20-21: the MNIST 784-200-10-200-784 iDE autoencoder"
    )
    auto.add_argument("--epochs", type=int, default=40)
    auto.add_argument(
        "--gap",
        type=float,
        help="full gap width of the zigmoid (default "
        "0.8: the paper's 0.4 as a half-width)",
    )
    auto.add_argument(
        "--parameters",
        help="trained parameters file (default: beside the results file)",
    )
    generative = experiments.add_parser(
        "generative",
        help="Figs. 22-24: the code classifier with 25%% false-positive "
        "allowance, and generated digits",
    )
    generative.add_argument("--epochs", type=int, default=20)
    generative.add_argument(
        "--max-iter",
        type=int,
        default=1000,
        help="RRR iterations per batch at most (default 1000)",
    )
    generative.add_argument(
        "--autoencoder",
        help="the autoencoder's parameters file "
        "(default: the one `reproduce autoencoder` "
        "writes by default)",
    )
    for parser_ in (ledm, letters, majority, mnist, binary, auto, generative):
        parser_.add_argument("--seed", type=int, default=0)
        parser_.add_argument(
            "--output",
            help="results file (default: in the user data folder, or in "
            "$LOSSLESS_TUTORIAL_RESULTS; the book's files are "
            "book/results/*.json); an existing file is resumed",
        )
        parser_.add_argument(
            "--force-new",
            action="store_true",
            help="delete the results file and its checkpoints and start "
            "afresh (instead of resuming)",
        )
        parser_.add_argument("--quiet", action="store_true", help="no progress bar")
    for parser_ in (ledm, letters, majority, mnist, binary):
        parser_.add_argument(
            "--jobs",
            type=int,
            help="seeds or runs at once, in worker processes (default: "
            "one per CPU this process may use)",
        )
        parser_.add_argument(
            "--scheduler",
            metavar="ADDRESS",
            help="run on the Dask cluster whose scheduler is at ADDRESS (e.g. "
            "tcp://host:8786) instead; its workers must see the results folder",
        )
    reproduce.set_defaults(run=_reproduce)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
