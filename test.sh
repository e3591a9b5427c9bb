#!/usr/bin/env bash
# Install everything the tests need (package + test extras in .venv, dynalite from npm)
# and run the whole suite with the linters and the type checker.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
npm ci --prefix tests/dynalite --no-audit --no-fund --loglevel=error
.venv/bin/ruff check flashcards tests bench
.venv/bin/ruff format --check flashcards tests bench
.venv/bin/mypy
.venv/bin/pytest "$@"
