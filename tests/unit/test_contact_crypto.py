"""Contact values: normalised, sealed with AES-GCM, indexed by keyed hash."""

from __future__ import annotations

import pytest

from chalicelib import crypto
from chalicelib.domain import contact
from chalicelib.errors import ConfigurationError


@pytest.mark.parametrize("raw", ["(614) 555-0123", "+1 614 555 0123", "614.555.0123", "+16145550123"])
def test_phone_numbers_normalise_to_e164(raw):
    assert contact.normalise_phone(raw) == "+16145550123"


@pytest.mark.parametrize("raw", ["123", "not a number", "+1 000 000 0000", ""])
def test_invalid_phone_numbers_are_refused(raw):
    with pytest.raises(contact.ContactError):
        contact.normalise_phone(raw)


def test_email_domain_is_lower_cased_and_bad_emails_refused():
    assert contact.normalise_email("  Dana@Example.ORG ") == "Dana@example.org"
    for bad in ("dana", "dana@", "@example.org", "a b@example.org", "x" * 250 + "@e.org"):
        with pytest.raises(contact.ContactError):
            contact.normalise_email(bad)


def test_masks_show_only_a_hint():
    assert contact.mask_phone("+16145550123") == "•••• 0123"
    assert contact.mask_email("dana@example.org") == "d•••@example.org"


def test_sealed_values_round_trip_and_never_hold_the_plaintext():
    sealed = crypto.seal("phone", "+16145550123")

    assert b"6145550123" not in sealed
    assert crypto.open_sealed("phone", sealed) == "+16145550123"
    assert crypto.seal("phone", "+16145550123") != sealed  # fresh nonce each time


def test_a_sealed_phone_cannot_be_opened_as_an_email():
    sealed = crypto.seal("phone", "+16145550123")

    with pytest.raises(ConfigurationError):
        crypto.open_sealed("email", sealed)


def test_blind_index_is_stable_keyed_and_kind_separated(monkeypatch):
    from tests.conftest import reset_process_state

    first = crypto.blind_index("phone", "+16145550123")
    assert first == crypto.blind_index("phone", "+16145550123")
    assert first != crypto.blind_index("email", "+16145550123")
    assert "6145550123" not in first

    monkeypatch.setenv("HEARTH_CONTACT_KEY", "b3RoZXIta2V5LW9mLXRoaXJ0eS10d28tYnl0ZXMhISE")
    reset_process_state()
    assert crypto.blind_index("phone", "+16145550123") != first


def test_missing_or_short_contact_key_is_a_configuration_error(monkeypatch):
    from tests.conftest import reset_process_state

    monkeypatch.delenv("HEARTH_CONTACT_KEY")
    reset_process_state()
    with pytest.raises(ConfigurationError):
        crypto.seal("phone", "+16145550123")

    monkeypatch.setenv("HEARTH_CONTACT_KEY", "c2hvcnQ")
    reset_process_state()
    with pytest.raises(ConfigurationError):
        crypto.seal("phone", "+16145550123")
