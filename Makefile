# SonicAI: `make run` sets up and serves the studio; `make test` sets up and runs the tests.
# Both are idempotent: a second run only re-installs what changed.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# The second test pass runs against real services when they answer (CI has both).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: setup run test test-embedded test-scaled lint assets migrate clean chromium gpu

setup: $(VENV)/.installed static/vendor/.installed staticfiles/.collected

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-nodeps.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(PIP) install -q --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Front-end libraries come from the npm registry (pinned in package-lock.json) and are
# copied into static/vendor (git-ignored); nothing is fetched from a CDN at run time.
static/vendor/.installed: node_modules/.package-lock.json Makefile
	rm -rf static/vendor && mkdir -p static/vendor/wavesurfer/plugins static/vendor/chartjs static/vendor/soundtouch
	cp node_modules/wavesurfer.js/dist/wavesurfer.min.js static/vendor/wavesurfer/
	cp node_modules/wavesurfer.js/dist/plugins/regions.min.js node_modules/wavesurfer.js/dist/plugins/timeline.min.js \
	   node_modules/wavesurfer.js/dist/plugins/zoom.min.js node_modules/wavesurfer.js/dist/plugins/minimap.min.js \
	   node_modules/wavesurfer.js/dist/plugins/spectrogram.min.js static/vendor/wavesurfer/plugins/
	cp node_modules/chart.js/dist/chart.umd.min.js static/vendor/chartjs/
	cp node_modules/soundtouchjs/dist/soundtouch.js node_modules/soundtouchjs/LICENSE static/vendor/soundtouch/
	touch $@

staticfiles/.collected: $(VENV)/.installed static/vendor/.installed $(shell find static templates -type f -not -path 'static/vendor/*' 2>/dev/null)
	$(PY) manage.py collectstatic --noinput -v 0
	touch $@

assets: static/vendor/.installed

migrate: setup
	$(PY) manage.py migrate --noinput -v 0

run: migrate
	$(PY) manage.py studio --host $(HOST) --port $(PORT)

# GPU hosts (ai_heavy workers): PyPI's CUDA build of torch instead of the CPU build, then what torch sees. Run it
# again after a `make setup` that reinstalled the requirements (that puts the CPU build back).
gpu: setup
	$(PIP) uninstall -y -q torch
	$(PIP) install -q --disable-pip-version-check --index-url https://pypi.org/simple -r requirements-gpu.txt -c constraints.txt
	$(PY) -c "import torch; print('torch', torch.__version__, '| CUDA', torch.version.cuda, '| GPU:', torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none visible (check the driver: nvidia-smi)')"

# Headless Chromium for the browser test (Debian package; needs root or sudo).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed and no root: the browser test will be skipped"; fi; }

# ruff, then the import rules of .importlinter (docs/architecture.md): the engine room imports no framework or
# app, domain apps do not import each other, the layers hold, no import cycles, tests do not import bench/.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

test: setup chromium lint test-embedded test-scaled

test-embedded:
	$(PY) -m pytest -q -p no:cacheprovider

# Django/database tests again on PostgreSQL + Redis (skipped where neither answers).
test-scaled:
	@if $(PY) scripts/services_up.py "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)"; then \
	  TEST_DATABASE_URL="$(TEST_DATABASE_URL)" TEST_REDIS_URL="$(TEST_REDIS_URL)" \
	  $(PY) -m pytest -q -p no:cacheprovider -m "django_db or services"; \
	else echo "PostgreSQL/Redis not reachable: skipped the scaled-out test pass"; fi

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles
