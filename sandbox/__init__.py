"""Throwaway MariaDB servers and a local demo chain, shared by the tests, the demo and the benchmarks.

Nothing here is used by a running store or head office: it only builds disposable worlds.
"""
