"""The hardening suite: hostile input, faults and secrets (see the README)."""
