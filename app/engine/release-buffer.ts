/**
 * Frees a buffer's memory now rather than at the collector's leisure. Memory outside V8's
 * heap (a buffer node:crypto or zstd returns, a blob better-sqlite3 copies out) is
 * collected late, and a loop that makes thousands of them pays twice: a restore of 1 GB
 * from the vault goes through 4,000 blocks of 256 KiB, which took the process's peak
 * 110 MB over its base; sealing 1 GiB with age is 16,384 chunks of 64 KiB, each a new
 * buffer from `cipher.update`, and that garbage made a thread with a 32 MiB heap run 64
 * full, memory-reducing collections ("external memory pressure"): 1.0 s of a core per GiB
 * sealed instead of 0.5 s. Detaching the ArrayBuffer (ES2024 `transfer`) drops its memory
 * at once. Only for a buffer that is its ArrayBuffer's only view and that nothing else
 * holds; smaller ones are left to the collector.
 */
export function releaseNow(buffer: ArrayBufferView): void {
  if (buffer.buffer instanceof ArrayBuffer && buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength && buffer.byteLength >= 65536) (buffer.buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}
