"""Probes: requests through the official SDKs that can show a claim true or false."""
