"""The message catalogues: every kind in every language, with the same placeholders."""

from __future__ import annotations

import pytest

from workers.messages import LANGUAGES, catalogue, placeholders, render
from workers.notices import KINDS


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_exactly_the_kinds_and_roles(language: str) -> None:
    texts = catalogue(language)
    assert set(texts.kinds) == set(KINDS)
    assert set(texts.roles) == {"PARTICIPANT", "ORGANIZER", "JUDGE", "AUDITOR"}
    assert all(name.strip() for name in texts.roles.values())


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.parametrize("kind", KINDS)
def test_translations_use_the_placeholders_of_english(language: str, kind: str) -> None:
    english, other = catalogue("en").kinds[kind], catalogue(language).kinds[kind]
    assert placeholders(other.subject) == placeholders(english.subject)
    assert placeholders(other.body) == placeholders(english.body)
    assert other.subject != english.subject and other.body != english.body  # translated


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_template_renders_with_its_placeholders(language: str, kind: str) -> None:
    template = catalogue(language).kinds[kind]
    names = placeholders(template.subject) | placeholders(template.body)
    rendered = render(kind, language, {name: f"<{name}>" for name in names})
    assert rendered.language == language
    assert "{" not in rendered.subject + rendered.body
    assert all(f"<{name}>" in rendered.subject + rendered.body for name in names - {"role"})


def test_a_role_is_named_in_the_users_language() -> None:
    assert "«төреші»" in render("account_created", "kk", {"role": "JUDGE"}).body
    assert "«судья»" in render("account_created", "ru", {"role": "JUDGE"}).body
    assert "role judge" in render("account_created", "en", {"role": "JUDGE"}).body


@pytest.mark.parametrize("preference", [None, "", "de", "EN"])
def test_an_unknown_language_falls_back_to_english(preference: str | None) -> None:
    rendered = render("account_created", preference, {"role": "PARTICIPANT"})
    assert rendered.language == "en"
    assert rendered.subject == "Your KazRockets account"


def test_a_value_is_not_read_as_a_template() -> None:
    reason = "missing {pages} and {0}"
    values = {"team_name": "{team}", "event_title": "Cup", "reason": reason}
    assert render("submission_rejected", "en", values).body.endswith(f"Reason: {reason}")


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    with pytest.raises(KeyError):
        render("submission_rejected", "en", {"team_name": "Falcons", "event_title": "Cup"})
