"""Paths shared by the contract tests (a module named uniquely: `conftest` is ambiguous)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
REAL = REPO / "specs" / "real"

# name of the generated package -> gzipped spec in specs/real/
REAL_SPECS = {
    "contract_stripe": "stripe.com.json.gz",
    "contract_twilio": "twilio.com.api.json.gz",
    "contract_github": "api.github.com.json.gz",
}
