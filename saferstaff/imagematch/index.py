"""Finding, among a school's published copies, those a found image is a copy of.

``HashIndex`` is multi-index hashing over the 64-bit pHashes: each hash is cut into four 16-bit chunks and
filed under each; two hashes within ``PHASH_MAX`` (< 16) bits of each other agree within ``RADIUS`` (PHASH_MAX // 4)
bits on at least one chunk (pigeonhole), so a lookup reads the buckets within ``RADIUS`` bits of each of the
query's chunks (17 of each at PHASH_MAX 4), then checks each candidate's pHash and dHash in full. Exact: it finds what ``LinearScan`` (every copy compared) finds.
Both are NumPy throughout. Adding is cheap; the buckets are rebuilt at the next lookup after adds."""

from itertools import combinations

import numpy as np

from saferstaff.imagematch.hashes import DHASH_MAX, PHASH_MAX, Fingerprint

CHUNKS, CHUNK_BITS = 4, 16
RADIUS = PHASH_MAX // CHUNKS
assert RADIUS * CHUNKS + CHUNKS - 1 >= PHASH_MAX, "a match could differ in every chunk by more than RADIUS"
_MASKS = np.array(
    [sum(1 << b for b in bits) for r in range(RADIUS + 1) for bits in combinations(range(CHUNK_BITS), r)],
    dtype=np.int64,
)


class LinearScan:
    """Every published copy's hashes compared with the found image's: the baseline the index is measured against."""

    def __init__(self):
        self.keys: list = []
        self._owner: list[int] = []
        self._p: list[int] = []
        self._d: list[int] = []
        self._arrays = None

    def add(self, key, fingerprint: Fingerprint) -> None:
        number = len(self.keys)
        self.keys.append(key)
        for p, d in fingerprint.variants + fingerprint.crops:
            self._owner.append(number)
            self._p.append(p)
            self._d.append(d)
        self._arrays = None

    def __len__(self) -> int:
        return len(self.keys)

    def _built(self):
        if self._arrays is None:
            self._arrays = (
                np.array(self._owner, dtype=np.int64),
                np.array(self._p, dtype=np.uint64),
                np.array(self._d, dtype=np.uint64),
            )
            self._rebuild()
        return self._arrays

    def _rebuild(self) -> None:
        pass

    def _candidates(self, query_p: int) -> np.ndarray | None:
        return None  # every row

    def matches(self, found: Fingerprint) -> list[tuple[object, int]]:
        """(key, distance) for each published copy ``found`` is a copy of, nearest first; the distance is the
        pHash plus dHash bits of the closest pair of variants."""
        owner, phashes, dhashes = self._built()
        best: dict[int, int] = {}
        for p, d in found.variants + found.mirrored:
            rows = self._candidates(p)
            near = np.bitwise_count((phashes if rows is None else phashes[rows]) ^ np.uint64(p))
            close = np.flatnonzero(near <= PHASH_MAX)
            if close.size == 0:
                continue
            rows = close if rows is None else rows[close]
            dd = np.bitwise_count(dhashes[rows] ^ np.uint64(d))
            keep = dd <= DHASH_MAX
            total = near[close][keep].astype(np.int64) + dd[keep]
            for number, distance in zip(owner[rows[keep]].tolist(), total.tolist(), strict=True):
                if distance < best.get(number, 1 << 30):
                    best[number] = distance
        return [(self.keys[n], d) for d, n in sorted((d, n) for n, d in best.items())]


class HashIndex(LinearScan):
    """The same answers as ``LinearScan``, reading only the buckets a match could be in."""

    def _rebuild(self) -> None:
        phashes = self._arrays[1]
        self._tables = []
        for c in range(CHUNKS):
            chunk = ((phashes >> np.uint64(c * CHUNK_BITS)) & np.uint64(0xFFFF)).astype(np.int64)
            order = np.argsort(chunk, kind="stable")
            starts = np.searchsorted(chunk[order], np.arange((1 << CHUNK_BITS) + 1))
            self._tables.append((order, starts))

    def _candidates(self, query_p: int) -> np.ndarray:
        found = []
        for c, (order, starts) in enumerate(self._tables):
            buckets = ((query_p >> (c * CHUNK_BITS)) & 0xFFFF) ^ _MASKS
            first, last = starts[buckets], starts[buckets + 1]
            sizes = last - first
            total = int(sizes.sum())
            if total:
                offsets = np.repeat(first - np.cumsum(sizes) + sizes, sizes) + np.arange(total)
                found.append(order[offsets])
        # a row found under two chunks is checked twice: cheaper than making the rows unique
        return np.concatenate(found) if found else np.empty(0, dtype=np.int64)
