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


class Phrase(str):
    """A catalogue text that is also its English string (so code and tests that expect text keep
    working), translatable as a whole or as a field of another message:
    ``SchemaError(key="err.x", hint=Phrase("err.x.hint_prj"))``; ``phrase.text("ky")``."""

    key: str
    fields: dict

    def __new__(cls, key: str, **fields):
        self = super().__new__(cls, _render(key, "en", fields))
        self.key = key
        self.fields = fields
        return self

    def text(self, lang: str) -> str:
        return _render(self.key, lang, self.fields)

    def __repr__(self) -> str:
        return f"Phrase({self.key!r}, {str.__repr__(self)})"

    def __reduce__(self):
        return (_phrase, (self.key, self.fields))


def _phrase(key: str, fields: dict) -> Phrase:
    return Phrase(key, **fields)


class Number:
    """A number with a fixed count of decimals in a message field: ``Number(1.0, 1)`` is
    ``1.0`` in English and ``1,0`` in Russian and Kyrgyz."""

    def __init__(self, value: float, decimals: int = 0):
        self.value, self.decimals = value, decimals

    def text(self, lang: str) -> str:
        from geo.i18n import format_number

        return format_number(self.value, lang, self.decimals)

    def __str__(self) -> str:
        return self.text("en")


class Join:
    """Several field values (phrases, numbers, text) joined by ``sep``, each in the message's language."""

    def __init__(self, items, sep: "str | Phrase" = ", "):
        self.items, self.sep = list(items), sep

    def text(self, lang: str) -> str:
        sep = self.sep.text(lang) if hasattr(self.sep, "text") else self.sep
        return sep.join(str(item.text(lang) if hasattr(item, "text") else item) for item in self.items)

    def __str__(self) -> str:
        return self.text("en")


def _render(key: str, lang: str, fields: dict) -> str:
    """``key`` in ``lang``; numbers in its convention, phrases and keyed errors in fields translated too."""
    from geo.i18n import format_number, t

    def local(value):
        if isinstance(value, Phrase) or (not isinstance(value, str) and callable(getattr(value, "text", None))):
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
