/** The error a decompressor raised, told apart from the errors of the stream it read. */

/** The compression formats {@link decompressed} undoes. */
export type CompressionFormat = "gzip" | "brotli" | "deflate";

/**
 * Thrown by {@link decompressed} when the compressed data is corrupt or truncated; an error of
 * the underlying stream (a read error) passes through as it is.
 *
 * @example Name the format and the codec's reason
 * ```ts
 * const error = new DecompressionError("gzip", "unexpected end of file");
 * error.message; // "Cannot decompress gzip: unexpected end of file"
 * ```
 */
export class DecompressionError extends Error {
  override readonly name = "DecompressionError";

  constructor(
    readonly format: CompressionFormat,
    /** The decompressor's own message, e.g. `unexpected end of file`. */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`Cannot decompress ${format}: ${reason}`, options);
  }
}
