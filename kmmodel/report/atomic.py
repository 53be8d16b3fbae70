"""Atomic file writes (moved to :mod:`kmmodel.io`; kept here for existing imports)."""

from __future__ import annotations

from kmmodel.io import atomic_write_bytes, atomic_write_text

__all__ = ["atomic_write_bytes", "atomic_write_text"]
