"""Stdlib-only stand-ins run by path (never imported by the stack): the Runtime API and the interface client."""
