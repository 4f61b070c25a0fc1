"""The private-style evaluation harness (work in progress: safe unpacking of submissions)."""
