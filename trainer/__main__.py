"""``python -m trainer``: the offline training stages (not built yet; see the trainer issue)."""

import sys

print("trainer: no stages yet; the training pipeline is a later issue", file=sys.stderr)
sys.exit(2)
