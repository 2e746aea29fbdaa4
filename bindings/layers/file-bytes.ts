// In-place edits of a MemoryLayer file's bytes. The layer owns every data buffer it holds (each
// write copies in), so spare capacity behind a file's view can be written without anyone else
// seeing it: appends and positional writes cost the bytes written, amortized, not the file size.

/** Buffers this module allocated with spare room: only those are grown in place. */
const roomy = new WeakSet<ArrayBuffer>();

/** `data` resized to `len` bytes (new bytes are zeros), reusing its buffer when there is room. */
export function resized(data: Uint8Array, len: number): Uint8Array {
  if (len <= data.length) {
    // Zero what is cut off, so a later extension through spare room reads zeros as it must.
    data.fill(0, len);
    return data.subarray(0, len);
  }
  const buffer = data.buffer as ArrayBuffer;
  if (roomy.has(buffer) && data.byteOffset === 0 && buffer.byteLength >= len) {
    return new Uint8Array(buffer, 0, len);
  }
  const grown = new ArrayBuffer(Math.max(len, Math.min(2 * data.length, len + (64 << 20))));
  roomy.add(grown);
  const out = new Uint8Array(grown, 0, len);
  out.set(data);
  return out;
}

/** `data` with `bytes` written at `position` (a hole before it reads as zeros). */
export function writtenAt(data: Uint8Array, bytes: Uint8Array, position: number): Uint8Array {
  const end = position + bytes.length;
  const out = end > data.length ? resized(data, end) : data;
  out.set(bytes, position);
  return out;
}
