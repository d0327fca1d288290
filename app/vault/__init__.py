"""The encrypted vault: SQLCipher database, key slots, schema, repositories."""

from app.vault.vault import Transaction, Vault

__all__ = ["Transaction", "Vault"]
