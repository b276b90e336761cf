// Copy-free rejoining of output pieces: the one written-down contract between node-crypto, which
// carves its sealed chunks back to back from one slab, and the two stream stages that hand such
// pieces on as one (OrderedQueue in the transforms, coalesce() before a store). A 64 KiB write
// then costs the streams downstream one chunk instead of four, without a copy. Plain Uint8Array
// views only (Web APIs), so the same code runs on Workers, where nothing is ever adjacent.
//
// The contract:
// 1. Joining is content-safe for any two views: when `b` starts exactly where `a` ends in the same
//    ArrayBuffer, the bytes from a's start to b's end ARE a then b. No producer can make a join
//    wrong; a producer can only make joins happen (by carving) or not (fresh buffers, gaps).
// 2. Join only in stream order (`a` was handed on before `b`), and only pieces nobody writes to any
//    more: the same rule a stream already imposes on every chunk it passes.
// 3. A joined view exposes nothing a piece did not: its `.buffer` is the buffer both pieces
//    already shared. That is why a slab is zero-filled and never pooled (see `slabCarver`): a
//    consumer that wrongly reads a whole `.buffer` finds only this stream's output and zeros.

/**
 * `a` and `b` as one view when `b` begins where `a` ends in the same buffer, else undefined.
 * An empty `b` joins trivially (returns `a`); callers drop empty pieces before asking.
 */
export function joinAdjacent(a: Uint8Array, b: Uint8Array): Uint8Array | undefined {
  if (a.buffer !== b.buffer || a.byteOffset + a.byteLength !== b.byteOffset) return undefined;
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength + b.byteLength);
}

/**
 * An output allocator for a producer that wants its consecutive outputs joinable: each call
 * returns a fresh `n`-byte view, carved right after the previous one while the current slab has
 * room. Outputs under `minOutput` that do not fit get a buffer of their own (no slab is opened
 * for metadata or a short final chunk); larger ones open a new slab of `max(slabSize, n)`.
 * Slabs are zero-filled (`new Uint8Array`, never `Buffer.allocUnsafe`) and no byte is handed
 * out twice.
 */
export function slabCarver(slabSize: number, minOutput: number): (n: number) => Uint8Array {
  let slab: Uint8Array | undefined;
  let used = 0;
  return (n) => {
    if (slab && slab.length - used >= n) return slab.subarray(used, (used += n));
    if (n < minOutput) return new Uint8Array(n);
    slab = new Uint8Array(Math.max(slabSize, n));
    used = n;
    return slab.subarray(0, n);
  };
}
