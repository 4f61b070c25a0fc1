"""Bridges between fusionbench and evaluation frameworks (currently lm-evaluation-harness)."""
