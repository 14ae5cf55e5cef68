"""The tasks' conversions now live in gan_demo.tensors (shared with training and metrics); kept for its importers."""

from __future__ import annotations

from gan_demo.tensors import from_signed_unit, to_signed_unit

__all__ = ["from_signed_unit", "to_signed_unit"]
