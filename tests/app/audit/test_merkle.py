"""The Merkle tree against RFC 6962's recursive definition, and its consistency proofs."""

from __future__ import annotations

import hashlib

import pytest

from app.audit import merkle


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, written exactly as the RFC states it."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return merkle.node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


LEAVES = [merkle.leaf_hash(f"event {i}".encode()) for i in range(70)]


@pytest.mark.parametrize("n", range(0, 70))
def test_root_and_frontier_match_the_rfc_definition(n):
    frontier: merkle.Frontier = []
    for leaf in LEAVES[:n]:
        merkle.frontier_append(frontier, leaf)
    expected = reference_root(LEAVES[:n])
    assert merkle.root(LEAVES[:n]) == expected
    assert merkle.frontier_root(frontier) == expected


def test_rfc6962_known_answer():
    # The leaf and node hashes of RFC 6962 §2.1 for an empty leaf and two empty leaves.
    empty_leaf = merkle.leaf_hash(b"")
    assert empty_leaf.hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert merkle.root([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_every_consistency_proof_verifies_and_wrong_roots_do_not():
    for new_size in range(1, 34):
        new_root = merkle.root(LEAVES[:new_size])
        for old_size in range(1, new_size + 1):
            old_root = merkle.root(LEAVES[:old_size])
            proof = merkle.consistency_proof(LEAVES[:new_size], old_size)
            assert merkle.verify_consistency(old_size, new_size, old_root, new_root, proof)
            forged = merkle.leaf_hash(b"rewritten")
            assert not merkle.verify_consistency(old_size, new_size, forged, new_root, proof)
            assert not merkle.verify_consistency(old_size, new_size, old_root, forged, proof)
            if proof:
                bent = [forged, *proof[1:]]
                assert not merkle.verify_consistency(old_size, new_size, old_root, new_root, bent)


def test_a_rewritten_prefix_is_not_an_extension():
    rewritten = [merkle.leaf_hash(b"other"), *LEAVES[1:20]]
    old_root = merkle.root(LEAVES[:10])
    proof = merkle.consistency_proof(rewritten, 10)
    assert not merkle.verify_consistency(10, 20, old_root, merkle.root(rewritten), proof)


def test_a_shorter_log_is_not_an_extension():
    assert not merkle.verify_consistency(
        20, 10, merkle.root(LEAVES[:20]), merkle.root(LEAVES[:10]), []
    )
