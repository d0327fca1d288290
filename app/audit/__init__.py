"""The tamper-evident audit log: events, their Merkle tree, signed checkpoints, exports."""
