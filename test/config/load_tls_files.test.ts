import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../src/config/config_error.ts";
import { loadTlsFiles } from "../../src/config/load_tls_files.ts";
import { selfSignedCertificate } from "../_support/self_signed_certificate.ts";

const dir = mkdtempSync(join(tmpdir(), "ioclens-tls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const server = selfSignedCertificate(dir, "server");
const other = selfSignedCertificate(dir, "other");
writeFileSync(join(dir, "garbage.pem"), "not a pem file\n");

const files = (certificateFile: string, privateKeyFile: string) => ({ certificateFile, certificateLine: 7, privateKeyFile, privateKeyLine: 8 });

async function failure(certificateFile: string, privateKeyFile: string) {
  const error = await loadTlsFiles(files(certificateFile, privateKeyFile), "kl_feed_service.conf").then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  const { message, line, elementPath } = error as ConfigError;
  return { message, line, elementPath };
}

describe("loadTlsFiles()", () => {
  test("returns the PEM texts of a certificate and its key", async () => {
    expect(await loadTlsFiles(files(server.certFile, server.keyFile), "kl_feed_service.conf")).toEqual({ cert: server.cert, key: server.key });
  });

  test("a missing certificate file is a config error naming the file and its line", async () => {
    const missing = join(dir, "missing.crt");
    expect(await failure(missing, server.keyFile)).toEqual({
      message: `kl_feed_service.conf:7: StatusEndpoint > CertificateFile "${missing}" cannot be read: ENOENT`,
      line: 7,
      elementPath: "StatusEndpoint > CertificateFile",
    });
  });

  test("a missing key file is a config error naming the file and its line", async () => {
    const missing = join(dir, "missing.key");
    expect(await failure(server.certFile, missing)).toEqual({
      message: `kl_feed_service.conf:8: StatusEndpoint > PrivateKeyFile "${missing}" cannot be read: ENOENT`,
      line: 8,
      elementPath: "StatusEndpoint > PrivateKeyFile",
    });
  });

  test.each([
    ["a file that is not PEM", () => join(dir, "garbage.pem"), () => server.keyFile, 7, (c: string) => `StatusEndpoint > CertificateFile "${c}" is not a PEM certificate: expected a "-----BEGIN CERTIFICATE-----" block`],
    ["the key where the certificate belongs", () => server.keyFile, () => server.keyFile, 7, (c: string) => `StatusEndpoint > CertificateFile "${c}" is not a PEM certificate: expected a "-----BEGIN CERTIFICATE-----" block`],
    ["the certificate where the key belongs", () => server.certFile, () => server.certFile, 8, (_c: string, k: string) => `StatusEndpoint > PrivateKeyFile "${k}" is not an unencrypted PEM private key: expected a "-----BEGIN PRIVATE KEY-----" block (or RSA/EC PRIVATE KEY)`],
    ["the key of another certificate", () => server.certFile, () => other.keyFile, 8, (c: string, k: string) => `StatusEndpoint > PrivateKeyFile "${k}" does not match StatusEndpoint > CertificateFile "${c}": expected the private key of that certificate`],
  ] as const)("refuses %s", async (_name, cert, key, line, detail) => {
    const { message } = await failure(cert(), key());
    expect(message).toBe(`kl_feed_service.conf:${line}: ${detail(cert(), key())}`);
  });
});
