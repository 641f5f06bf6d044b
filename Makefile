# Set-up and the two jobs of the project. Needs only python3 (3.11+) and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: book test benchmark notebooks clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[book,test]"
	@touch $(STAMP)

## book: build the book into _build/html from the outputs stored in the notebooks (warnings fail)
book: $(STAMP)
	$(BIN)/jupyter-book build . --config _config.yml --toc book/_toc.yml -W --keep-going

## test: run every unit and property test and every notebook cell (nbval, strict)
test: $(STAMP)
	$(BIN)/python -m pytest tests book --nbval --nbval-current-env -p no:cacheprovider

## benchmark: run the speed benchmarks and print their tables
benchmark: $(STAMP)
	$(BIN)/python -m benchmarks.bench_bilinear
	$(BIN)/python -m benchmarks.bench_models
	$(BIN)/python -m benchmarks.bench_autoencoder

## notebooks: re-execute every chapter in place (stores fresh outputs for nbval and the book)
notebooks: $(STAMP)
	cd book && for nb in *.ipynb; do ../$(BIN)/jupyter-execute --inplace "$$nb" || exit 1; done

clean:
	rm -rf _build $(VENV)
