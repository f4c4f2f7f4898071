# Wanliu: `make demo` to try it, `make test` to check it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint typecheck check bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v msgfmt >/dev/null || (echo "installing gettext (msgfmt) for translations" && apt-get install -y -q gettext >/dev/null)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	cd src/wanliu && ../../$(BIN)/wanliu compilemessages -v 0
	touch $(STAMP)

demo: install
	$(BIN)/wanliu demo --port $(PORT)

test: install
	cd src/wanliu && ../../$(BIN)/wanliu compilemessages -v 0
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -eq 5 ]; then echo "no tests ran"; exit 1; fi; exit $$status

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src

typecheck:
	$(BIN)/mypy src

check: lint test

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var/test-*.sqlite3
