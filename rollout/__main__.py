"""``housing-rollout`` / ``python -m rollout``: compare, status, canary, promote, rollback."""

import sys

from rollout.cli import main

if __name__ == "__main__":
    sys.exit(main())
