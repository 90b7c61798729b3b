/**
 * Thrown by `startLookupService` when the service cannot start: address in use, bad output
 * address, unloadable state. `ioclens serve` exits 5 with its message.
 */
export class ServiceStartError extends Error {
  override readonly name = "ServiceStartError";
}
