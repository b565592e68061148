"""The checks: rules built from a catalog and run with pandera over the tidy table."""

from expectations.engine import Outcome, Result, validate
from expectations.rules import RULES

__all__ = ["RULES", "Outcome", "Result", "validate"]
