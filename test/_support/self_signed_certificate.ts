/**
 * Self-signed certificates for the HTTPS tests, made at test time with `openssl` (installed by
 * scripts/install-system-deps.sh; CI runs it first). Used by bun tests and by
 * scripts/runtime_smoke.ts under Deno, so only `node:` built-ins here.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
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

/** A test CA and a server certificate it signed, for clients that refuse a CA used as the server's own certificate (rustls under Deno). */
export interface CaSignedCertificate extends TestCertificate {
  /** The CA's certificate: what a client puts in its trust list (`ca_file`). */
  readonly caFile: string;
  readonly ca: string;
}

/**
 * Writes `<name>-ca.crt`, `<name>.crt` (for `localhost` and 127.0.0.1, `CA:FALSE`, signed by the
 * CA) and their keys into `dir`. `expired`: the server certificate ended a day before it began.
 */
export function caSignedCertificate(dir: string, name = "server", options: { expired?: boolean } = {}): CaSignedCertificate {
  const caFile = join(dir, `${name}-ca.crt`);
  const caKey = join(dir, `${name}-ca.key`);
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const extensions = join(dir, `${name}.ext`);
  writeFileSync(extensions, "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(["req", "-x509", ...ec, "-days", "2", "-subj", `/CN=${name} test CA`, "-keyout", caKey, "-out", caFile]);
  openssl(["req", ...ec, "-subj", "/CN=localhost", "-keyout", keyFile, "-out", csr]);
  openssl(["x509", "-req", "-in", csr, "-CA", caFile, "-CAkey", caKey, "-CAcreateserial", "-days", options.expired ? "-1" : "2", "-extfile", extensions, "-out", certFile]);
  return { caFile, ca: readFileSync(caFile, "utf8"), certFile, keyFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}

function openssl(args: readonly string[]): void {
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    const missing = (error as { code?: string }).code === "ENOENT";
    throw new Error(
      missing
        ? "Cannot make the test certificate: openssl is not installed (run scripts/install-system-deps.sh as root)"
        : `Cannot make the test certificate: openssl ${args[0]} failed: ${String((error as { stderr?: unknown }).stderr ?? error)}`,
    );
  }
}
