# Two set-up commands: `make run` (demo on SQLite, http://127.0.0.1:5000) and `make test` (the whole suite).
# Both install exactly the tested versions from requirements.lock (hashes checked); `make lock` refreshes it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
export BAGUAN_PORT ?= 5000
export BAGUAN_INSTANCE_DIR ?= $(CURDIR)/instance
SECRET := $(BAGUAN_INSTANCE_DIR)/secret_key
DEMO_ENV = BAGUAN_SECRET_KEY="$$(cat $(SECRET))" BAGUAN_COOKIE_SECURE=0

.PHONY: run test bench lock clean screenshots

$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

$(SECRET):
	mkdir -p -m 700 $(BAGUAN_INSTANCE_DIR)
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(48))" > $(SECRET)

# The server and the worker run in the background of one shell that waits for them; INT or TERM to make (or
# to that shell) stops both, so nothing keeps the port after `make run` ends.
run: $(STAMP) $(SECRET)
	$(DEMO_ENV) $(BIN)/baguan init-db
	$(DEMO_ENV) $(BIN)/baguan deploy
	$(DEMO_ENV) $(BIN)/baguan seed-demo
	$(DEMO_ENV) $(BIN)/baguan worker & worker=$$!; \
	$(DEMO_ENV) $(BIN)/baguan serve & server=$$!; \
	trap 'kill $$server $$worker 2>/dev/null; wait $$server $$worker 2>/dev/null' INT TERM EXIT; \
	wait $$server

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Every performance target with its figure, limit, ratio and PASS/FAIL, and the load average at start and end
# (well under 15 minutes); BENCH_ARGS="--quick", "--db sqlite" or "--targets 3" for a subset.
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Re-resolve pyproject.toml's ranges, keeping the locked versions that still fit (add UPGRADE=1 to take the
# newest allowed versions). After merging branches that add dependencies, run this once and commit the lock;
# on a merge conflict inside requirements.lock, take either side and run it again.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --extra test --extra bench --strip-extras --no-emit-index-url \
		--no-emit-find-links --no-emit-trusted-host $(if $(UPGRADE),--upgrade) -o $(LOCK) pyproject.toml

clean:
	rm -rf $(VENV) instance

# PNGs of the inbox, a task, a case with 流程进度, 我发起的, the 审批单, the studio, the audit case page, 发起 with
# 暂存 and an attachment, 批量审批 and the 委派 reply at 390×844 (phone) and 1366×768 (laptop), written to
# screenshots/ by the Chromium layout tests.
screenshots: $(STAMP)
	BAGUAN_SCREENSHOTS=screenshots $(BIN)/python -m pytest -q -p no:cacheprovider tests/browser/test_phone_layout.py tests/browser/test_phone_start_and_batch.py
