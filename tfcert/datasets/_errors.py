"""The one error of :mod:`tfcert.datasets`."""

from __future__ import annotations


class DatasetError(ValueError):
    """A dataset request that cannot be served; the message says what to do instead.

    Example:
        >>> raise DatasetError("unknown dataset 'mnist': the embedded datasets are digits, glyphs")
        Traceback (most recent call last):
        ...
        tfcert.datasets._errors.DatasetError: unknown dataset 'mnist': the embedded datasets are digits, glyphs
    """
