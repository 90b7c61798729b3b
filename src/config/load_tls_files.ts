/**
 * Reads the status endpoint's HTTPS files (`StatusEndpoint > CertificateFile`, `PrivateKeyFile`)
 * and checks that they belong together, so a wrong path or the key of another certificate is a
 * config error at start (exit 3, naming the file) and not a handshake failure at the first client.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ConfigError } from "./config_error.ts";
import type { StatusTlsFiles } from "./types.ts";

/** The PEM texts the runtime's HTTPS server takes. */
export interface TlsPem {
  readonly cert: string;
  readonly key: string;
}

const CERTIFICATE_PATH = "StatusEndpoint > CertificateFile";
const KEY_PATH = "StatusEndpoint > PrivateKeyFile";

/**
 * @param source the config file, for messages.
 * @throws {ConfigError} when a file cannot be read, is not PEM of the right kind, or the key is
 *   not the certificate's.
 * @example
 * ```ts
 * const { cert, key } = await loadTlsFiles(config.status.tls!, config.source);
 * ```
 */
export async function loadTlsFiles(files: StatusTlsFiles, source: string): Promise<TlsPem> {
  const fail = (line: number, elementPath: string, detail: string, cause?: unknown): never => {
    throw new ConfigError(source, line, `${elementPath} ${detail}`, { elementPath, cause });
  };
  const read = async (path: string, line: number, elementPath: string): Promise<string> => {
    try {
      return await readFile(path, "utf8");
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return fail(line, elementPath, `"${path}" cannot be read: ${typeof code === "string" ? code : (error as Error).message}`, error);
    }
  };
  const cert = await read(files.certificateFile, files.certificateLine, CERTIFICATE_PATH);
  const key = await read(files.privateKeyFile, files.privateKeyLine, KEY_PATH);

  let certificate: X509Certificate | undefined;
  try {
    if (cert.includes("-----BEGIN CERTIFICATE-----")) certificate = new X509Certificate(cert);
  } catch {
    // Reported below with the one message for both cases.
  }
  if (!certificate) fail(files.certificateLine, CERTIFICATE_PATH, `"${files.certificateFile}" is not a PEM certificate: expected a "-----BEGIN CERTIFICATE-----" block`);

  let privateKey: ReturnType<typeof createPrivateKey> | undefined;
  try {
    if (/-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/.test(key)) privateKey = createPrivateKey(key);
  } catch {
    // Reported below.
  }
  if (!privateKey) {
    fail(files.privateKeyLine, KEY_PATH, `"${files.privateKeyFile}" is not an unencrypted PEM private key: expected a "-----BEGIN PRIVATE KEY-----" block (or RSA/EC PRIVATE KEY)`);
  }
  if (!certificate!.checkPrivateKey(privateKey!)) {
    fail(files.privateKeyLine, KEY_PATH, `"${files.privateKeyFile}" does not match ${CERTIFICATE_PATH} "${files.certificateFile}": expected the private key of that certificate`);
  }
  return { cert, key };
}
