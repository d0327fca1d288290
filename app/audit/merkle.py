"""RFC 6962 / RFC 9162 Merkle tree: leaf and node hashes, roots, consistency proofs."""

from __future__ import annotations

import hashlib

Frontier = list[tuple[int, bytes]]
"""The right edge of a tree: its perfect subtrees as (leaf count, hash), largest first."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def root(leaves: list[bytes]) -> bytes:
    """The tree head over leaf hashes. Pairing level by level and carrying an odd last node up
    builds exactly RFC 6962's tree (split at the largest power of two below n)."""
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def frontier_append(frontier: Frontier, leaf: bytes) -> None:
    """Add one leaf to the right edge, merging equal-sized subtrees like a binary counter."""
    frontier.append((1, leaf))
    while len(frontier) >= 2 and frontier[-1][0] == frontier[-2][0]:
        right_size, right = frontier.pop()
        left_size, left = frontier.pop()
        frontier.append((left_size + right_size, node_hash(left, right)))


def frontier_root(frontier: Frontier) -> bytes:
    if not frontier:
        return EMPTY_ROOT
    acc = frontier[-1][1]
    for _, subtree in reversed(frontier[:-1]):
        acc = node_hash(subtree, acc)
    return acc


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def consistency_proof(leaves: list[bytes], old_size: int) -> list[bytes]:
    """RFC 6962 §2.1.2 PROOF(m, D[n]): shows the first `old_size` leaves' tree is a prefix."""
    if not 0 < old_size <= len(leaves):
        raise ValueError(f"no consistency proof from size {old_size} to {len(leaves)}")

    def subproof(m: int, lo: int, hi: int, whole_old_tree: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if whole_old_tree else [root(leaves[lo:hi])]
        k = _largest_power_of_two_below(n)
        if m <= k:
            return subproof(m, lo, lo + k, whole_old_tree) + [root(leaves[lo + k : hi])]
        return subproof(m - k, lo + k, hi, False) + [root(leaves[lo : lo + k])]

    return subproof(old_size, 0, len(leaves), True)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: does the tree (new_size, new_root) extend (old_size, old_root)?"""
    if old_size > new_size or old_size < 1:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is itself a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
