#!/usr/bin/env bash
# The paper's experiments at full scale, in the order the book needs them, written to the
# book's results files. Each command resumes its run from the checkpoints beside its file
# (book/results/NAME.checkpoints/, committed while a run is under way); a file that says
# "complete": true is skipped. Run from the repository root: make campaign
# (a background job: nohup make campaign > campaign.log 2>&1 &).
set -euo pipefail
PYTHON=${PYTHON:-.venv/bin/python}
R=book/results

run() {
    local output=$1
    shift
    if "$PYTHON" -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1])).get("complete") else 1)' \
            "$output" 2>/dev/null; then
        echo "complete: $output"
        return
    fi
    echo "running: reproduce $* --output $output"
    "$PYTHON" -m lossless_tutorial reproduce "$@" --output "$output"
}

# the end of the paper's arc: the autoencoder, then the generative model on it
run $R/autoencoder_40epochs.json autoencoder --epochs 40
run $R/generative_full.json generative --epochs 20 --max-iter 1000 \
    --autoencoder $R/autoencoder_40epochs_params.npz
# Figs. 11-12 at depths 2 and 3: 10 seeds x 1000 epochs at 100 iterations per batch
run $R/majority_d2_e1000.json majority --depth 2 --seeds 10 --epochs 1000
run $R/majority_d3_e1000.json majority --depth 3 --seeds 10 --epochs 1000
# Table 1: m = 12 with the cap 2e7; m = 16 with 1e8 (its mean run in the paper is 2e7)
run $R/ledm_m12_full.json ledm --m 12 --runs 20 --max-iter 20000000
run $R/ledm_m16.json ledm --m 16 --runs 20 --max-iter 100000000
# Sec. 6.3.1: enough runs and a cap (2e6 iterations) that resolve the success rates
run $R/binary_encoding_n45.json binary-encoding --bits 4 5 --runs 40 --max-iter 2000000
# Figs. 13-15: 3 seeds x 200 epochs, and SGD
run $R/mnist_classifier_e200.json mnist-classifier --seeds 3 --epochs 200
# Fig. 11 at depth 4
run $R/majority_d4_e1000.json majority --depth 4 --seeds 10 --epochs 1000
# Fig. 9: the other iteration caps at equal work; Fig. 10: the other margins
run $R/majority_d3_cap50.json majority --depth 3 --seeds 10 --epochs 2000 --max-iter 50
run $R/majority_d3_cap200.json majority --depth 3 --seeds 10 --epochs 500 --max-iter 200
for delta in 0.05 0.15 0.2; do
    run $R/majority_d3_delta$delta.json majority --depth 3 --seeds 10 --epochs 1000 \
        --delta $delta --sgd-trials 0
done
# Fig. 7: 100 runs of each method
run $R/letters_100.json letters --runs 100
