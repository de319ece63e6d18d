"""medref: a Medicare billing and coding reference engine.

The public surface is small: settings, the record types and the service functions.
Everything else is an implementation module.
"""

from medref.errors import MedrefError, SourceFormatError
from medref.records import Record

__all__ = ["MedrefError", "Record", "SourceFormatError", "__version__"]

__version__ = "0.1.0"
