/**
 * Self-signed certificates for the HTTPS tests, made at test time with `openssl` (installed by
 * scripts/install-system-deps.sh; CI runs it first). Used by bun tests and by
 * scripts/runtime_smoke.ts under Deno, so only `node:` built-ins here.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A certificate for `localhost` and 127.0.0.1 and its key, as files in `dir` and as PEM text. */
export interface TestCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

/** Writes `<name>.crt` and `<name>.key` (EC P-256, valid 2 days) into `dir`. */
export function selfSignedCertificate(dir: string, name = "server"): TestCertificate {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  try {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", keyFile, "-out", certFile],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
  } catch (error) {
    const missing = (error as { code?: string }).code === "ENOENT";
    throw new Error(
      missing
        ? "Cannot make the test certificate: openssl is not installed (run scripts/install-system-deps.sh as root)"
        : `Cannot make the test certificate: openssl failed: ${String((error as { stderr?: unknown }).stderr ?? error)}`,
    );
  }
  return { certFile, keyFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}
