"""Message catalogues of the notifications: one JSON file per language, here as package data.

Each catalogue holds, per notification kind, a subject and a body template with
``str.format`` placeholders, and the names of the roles. Every language has every kind with
the same placeholders (a unit test checks it); an unknown language falls back to English.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from importlib import resources

import msgspec

LANGUAGES = ("en", "kk", "ru")
DEFAULT_LANGUAGE = "en"


class Template(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    subject: str
    body: str


class Catalogue(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kinds: dict[str, Template]
    roles: dict[str, str]


class Rendered(msgspec.Struct, frozen=True):
    subject: str
    body: str
    language: str


@functools.cache
def catalogue(language: str) -> Catalogue:
    data = resources.files(__name__).joinpath(f"{language}.json").read_bytes()
    return msgspec.json.decode(data, type=Catalogue)


def language_of(preference: str | None) -> str:
    return preference if preference in LANGUAGES else DEFAULT_LANGUAGE


def placeholders(template: str) -> frozenset[str]:
    """The names a template fills in (``{team_name}`` -> ``team_name``)."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def render(kind: str, preference: str | None, values: Mapping[str, object]) -> Rendered:
    """The notification's text in the user's language; a ``role`` value is named in it.

    A placeholder without a value is a programming error (KeyError), never a blank."""
    language = language_of(preference)
    texts = catalogue(language)
    template = texts.kinds[kind]
    filled = dict(values)
    if "role" in filled:
        filled["role"] = texts.roles.get(str(filled["role"]), str(filled["role"]))
    return Rendered(
        subject=template.subject.format_map(filled),
        body=template.body.format_map(filled),
        language=language,
    )
