"""User-facing errors. Each carries a message a person can act on."""
from __future__ import annotations


class AimakError(Exception):
    """Base of every error the app shows to a user."""


class StoreError(AimakError):
    """The store could not be read or written."""


class UnknownLayerError(StoreError):
    """A layer name that the store does not know."""


class StaleVersionError(StoreError):
    """A save was based on an older version of a row than the one stored.

    Someone else changed the row in the meantime; their change is kept.
    """


class PermissionDeniedError(AimakError):
    """The signed-in user's role does not allow this change."""


class InputError(AimakError):
    """An uploaded or given file cannot be used as it is."""


class NotGeodataError(InputError):
    """The file is not a readable geodata file (corrupt, empty, wrong type)."""


class CRSUnresolvedError(InputError):
    """The coordinate reference system is missing or cannot be interpreted."""


class OutsideCountryError(InputError):
    """Coordinates lie outside Kyrgyzstan."""


class SchemaError(InputError):
    """Required fields are missing or have the wrong content."""


class UploadTooLargeError(InputError):
    """The upload is larger than the configured limit."""
