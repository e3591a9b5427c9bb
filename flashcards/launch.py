"""The console script. Ctrl-C while the program is still loading quits quietly too."""

import sys


def main() -> None:
    try:
        from flashcards.cli import main as run

        run()
    except KeyboardInterrupt:
        sys.exit(130)
