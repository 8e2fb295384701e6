"""User-facing errors. Each carries a message a person can act on."""
from __future__ import annotations


class AimakError(Exception):
    """Base of every error the app shows to a user.

    An error may carry a message-catalogue ``key`` and the ``fields`` that fill it:
    ``AimakError(key="err.not_zip", name="a.zip")``. Then ``str(exc)`` is the English
    text (logs, command line, tests) and :meth:`text` gives it in any language.
    Without a key the given message is used as it is, in every language.
    """

    def __init__(self, message: str | None = None, *, key: str | None = None, **fields):
        self.key = key
        self.fields = fields
        if message is None:
            message = _render(key, "en", fields) if key else ""
        super().__init__(message)

    def text(self, lang: str) -> str:
        """The message in ``lang`` (``ky``, ``ru``, ``en``); numbers in its convention."""
        if not self.key:
            return str(self)
        return _render(self.key, lang, self.fields)


class Phrase:
    """A catalogue text used as a field of another message, translated with it:
    ``SchemaError(key="err.x", hint=Phrase("err.x.hint_prj"))``. ``str()`` is English."""

    def __init__(self, key: str, **fields):
        self.key = key
        self.fields = fields

    def text(self, lang: str) -> str:
        return _render(self.key, lang, self.fields)

    def __str__(self) -> str:
        return self.text("en")

    def __repr__(self) -> str:
        return f"Phrase({self.key!r})"


def _render(key: str, lang: str, fields: dict) -> str:
    """``key`` in ``lang``; numbers in its convention, phrases and keyed errors in fields translated too."""
    from geo.i18n import format_number, t

    def local(value):
        if isinstance(value, (Phrase, AimakError)):
            return value.text(lang)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value
        return format_number(value, lang, 0 if float(value).is_integer() else 2)

    return t(key, lang, **{name: local(value) for name, value in fields.items()})


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
