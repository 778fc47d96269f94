"""Store accounts' passwords at head office (``centrale.hq.access``); what the accounts may do:
test_store_accounts.py."""

from __future__ import annotations


def test_store_account_passwords_are_long_and_plain() -> None:
    from centrale.hq.access import new_password

    passwords = {new_password() for _ in range(200)}
    assert len(passwords) == 200
    assert all(len(p) == 32 and p.isalnum() and p.isascii() for p in passwords)
