# Two set-up commands: `make run` (demo on SQLite, http://127.0.0.1:5000) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export BAGUAN_PORT ?= 5000

.PHONY: run test bench clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

instance/secret_key:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(48))" > instance/secret_key
	chmod 600 instance/secret_key

run: $(STAMP) instance/secret_key
	BAGUAN_SECRET_KEY="$$(cat instance/secret_key)" BAGUAN_COOKIE_SECURE=0 $(BIN)/baguan init-db
	BAGUAN_SECRET_KEY="$$(cat instance/secret_key)" BAGUAN_COOKIE_SECURE=0 $(BIN)/baguan deploy
	BAGUAN_SECRET_KEY="$$(cat instance/secret_key)" BAGUAN_COOKIE_SECURE=0 $(BIN)/baguan seed-demo
	BAGUAN_SECRET_KEY="$$(cat instance/secret_key)" BAGUAN_COOKIE_SECURE=0 $(BIN)/baguan worker & \
	worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	BAGUAN_SECRET_KEY="$$(cat instance/secret_key)" BAGUAN_COOKIE_SECURE=0 $(BIN)/baguan serve

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) instance

# PNGs of the inbox, a task, a case with 流程进度, 我发起的, the 审批单, the studio and the audit case page at
# 390×844 (phone) and 1366×768 (laptop), written to screenshots/ by the Chromium layout test.
screenshots: $(STAMP)
	BAGUAN_SCREENSHOTS=screenshots $(BIN)/python -m pytest -q -p no:cacheprovider tests/browser/test_phone_layout.py
