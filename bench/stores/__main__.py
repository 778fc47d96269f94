"""``python -m bench.stores``."""

from bench.harness import main_for
from bench.stores import run

main_for(run)
