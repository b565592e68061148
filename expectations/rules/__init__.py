"""Rules, one module per kind, registered in expectations.rules.RULES."""
