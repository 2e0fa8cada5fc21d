# The README's two commands: `make demo` and `make test`. Both build the same .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FOOTAGE ?= ../shared/footage
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint venv clean system-deps

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,yolo,postgres,ray]'
	# ultralytics pulls in the GUI build of OpenCV, which shadows the headless one: keep one cv2.
	$(PY) -m pip uninstall -q -y opencv-python
	$(PY) -m pip install -q --force-reinstall --no-deps 'opencv-python-headless>=4.8,<5'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/branch-audit detect $(FOOTAGE)/vtest.avi --fps 1

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# The browser for the review-page tests (Debian's chromium) when this machine can install it.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  || echo "chromium not installed: the browser tests will be skipped"; }

test: $(STAMP) system-deps lint
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
