# Set-up and the two jobs of the project. Needs only python3 (3.11+) and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: book test test-other-cpu benchmark notebooks clean
.PHONY: book-student assignments campaign

# A CPU profile unlike any machine the book runs on (plain x86-64-v2: SSE BLAS kernels, no
# AVX in numpy's dispatch, numba's generic target), under which the notebooks run a second
# time: their checks must hold whichever processor executes them.
OTHER_CPU := OPENBLAS_CORETYPE=Sandybridge \
	NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" \
	NUMBA_CPU_NAME=generic NUMBA_CPU_FEATURES= NUMBA_CACHE_DIR=$(CURDIR)/_build/numba-generic
NBVAL := --nbval --nbval-current-env -p no:cacheprovider

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[book,test,cluster]"
	@touch $(STAMP)

## book: build the book into _build/html from the outputs stored in the notebooks (warnings fail)
book: $(STAMP)
	$(BIN)/jupyter-book build . --config _config.yml --toc book/_toc.yml -W --keep-going

## test: run every unit and property test and every notebook cell (nbval), then the
## notebooks again under another CPU profile
test: $(STAMP)
	$(BIN)/python -m pytest tests book $(NBVAL)
	$(MAKE) --no-print-directory test-other-cpu

## test-other-cpu: the notebooks under the CPU profile OTHER_CPU (x86-64 machines only)
test-other-cpu: $(STAMP)
ifeq ($(shell uname -m),x86_64)
	env $(OTHER_CPU) $(BIN)/python -m pytest book $(NBVAL)
else
	@echo "test-other-cpu: the profile is for x86-64 machines; skipped on $$(uname -m)"
endif

## book-student: build the student edition (no solution text, code or outputs) into
## _build/student/_build/html (warnings fail)
book-student: $(STAMP)
	$(BIN)/python -m lossless_tutorial.course student-book --out _build/student -W --keep-going

## assignments: for every chapter, a student notebook and its autograder (Otter Grader)
## in _build/assignments/chNN/{student,autograder}; the reference solutions must pass
assignments: $(STAMP)
	$(BIN)/python -m lossless_tutorial.course assignments --out _build/assignments

## benchmark: run the speed benchmarks and print their tables
benchmark: $(STAMP)
	$(BIN)/python -m benchmarks.bench_bilinear
	$(BIN)/python -m benchmarks.bench_models
	$(BIN)/python -m benchmarks.bench_autoencoder
	$(BIN)/python -m benchmarks.bench_speed --compare

## notebooks: re-execute every chapter in place (stores fresh outputs for nbval and the book)
notebooks: $(STAMP)
	cd book && for nb in *.ipynb; do ../$(BIN)/jupyter-execute --inplace "$$nb" || exit 1; done

## campaign: run (or resume) the paper's experiments at full scale into book/results
campaign: $(STAMP)
	PYTHON=$(BIN)/python bash book/results/campaign.sh

clean:
	rm -rf _build $(VENV)
