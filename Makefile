# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Debian packages the browser, spreadsheet and Word-draft tests drive (never downloaded at run
# time); libswlo.so is LibreOffice Writer's, which converts the evaluation's .docx.
SYSTEM_PACKAGES := chromium libreoffice-calc-nogui libreoffice-writer-nogui fonts-noto-cjk

.PHONY: demo test lint format bench sysdeps postgres clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

sysdeps:
	@if command -v chromium >/dev/null && command -v libreoffice >/dev/null \
	  && [ -e /usr/lib/libreoffice/program/libswlo.so ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing $(SYSTEM_PACKAGES) from Debian"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	else echo "note: chromium/libreoffice missing and not root: their tests will be skipped"; fi

# the storage and service tests run on PostgreSQL too: a Debian server, started here
postgres:
	@.ci/postgres

demo: $(STAMP)
	$(PY) validate.py batch submissions/examples/yantai --catalog yantai --force \
	    --json out/demo/yantai.json --csv out/demo/yantai-findings.csv \
	    --html out/demo/yantai --annotate out/demo/yantai-annotated ; test $$? -le 1
	$(PY) validate.py batch submissions/examples/liuzhou --catalog liuzhou --force \
	    --json out/demo/liuzhou.json --html out/demo/liuzhou ; test $$? -le 1
	$(PY) validate.py evaluate submissions/examples/yantai-2025 --catalog yantai \
	    --json out/demo/yantai-evaluation.json --html out/demo/yantai-evaluation \
	    --xlsx out/demo/yantai-evaluation.xlsx --docx out/demo/yantai-evaluation.docx ; test $$? -le 1
	@echo "结果：out/demo/（JSON、CSV、标注副本）；汇总页：out/demo/yantai/index.html、out/demo/liuzhou/index.html"
	@echo "终期评估：out/demo/yantai-evaluation/evaluation.html、out/demo/yantai-evaluation.xlsx、out/demo/yantai-evaluation.docx（报告初稿）"

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

test: lint sysdeps postgres
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) out data .pytest_cache
