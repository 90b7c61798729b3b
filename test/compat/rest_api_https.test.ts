/**
 * Replay of a CyberTrace REST API client (spec cybertrace-service.md §7.4; Kaspersky's "Accessing
 * the REST API" and "POST lookup" pages, 198537 and 198540): HTTPS, `Authorization: Basic`
 * of user:password, `Accept`/`Content-Type: application/json`, an explicit Content-Length, and a
 * body whose slashes are escaped (`http:\/\/example.com`) as in the documented request. The bytes
 * go over a raw TLS socket to the built binary, and the answer is read as the client would: the
 * status line, `Content-Type`, `Content-Length`, then the JSON.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { ensureBinary, ioclens, serviceConfigText, startServe } from "../_support/ioclens_binary.ts";
import { selfSignedCertificate, type TestCertificate } from "../_support/self_signed_certificate.ts";

const root = mkdtempSync(join(tmpdir(), "ioclens-compat-rest-"));
beforeAll(ensureBinary, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The documented example's credentials: user "user", password "password". */
const DOCUMENTED_AUTHORIZATION = "Basic dXNlcjpwYXNzd29yZA==";

/** A service folder: the embedded config with HTTPS and Basic credentials on the status endpoint. */
async function httpsServiceDir(edit: (xml: string) => string = (x) => x): Promise<{ dir: string; ports: { input: number; status: number }; certificate: TestCertificate }> {
  const dir = mkdtempSync(join(root, "svc-"));
  mkdirSync(join(dir, "tls"));
  const certificate = selfSignedCertificate(join(dir, "tls"), "ioclens");
  const { text, ports } = await serviceConfigText("127.0.0.1:9", (xml) =>
    edit(
      xml.replace(
        /<Listen>(127\.0\.0\.1:\d+)<\/Listen>/,
        // Relative paths: resolved against the config file's folder.
        "<Listen>$1</Listen><User>user</User><Password>password</Password><CertificateFile>tls/ioclens.crt</CertificateFile><PrivateKeyFile>tls/ioclens.key</PrivateKeyFile>",
      ),
    ),
  );
  writeFileSync(join(dir, "kl_feed_service.conf"), text);
  return { dir, ports, certificate };
}

/** Writes `request` as is over TLS (trusting only the test certificate) and reads the whole
 *  answer, until the server closes (`Connection: close`); like real clients it does not
 *  half-close its side first. */
function replay(port: number, certificate: TestCertificate, request: string): Promise<{ statusLine: string; headers: Map<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, servername: "localhost", ca: certificate.cert }, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const split = raw.indexOf("\r\n\r\n");
      const [statusLine, ...lines] = raw.slice(0, split).split("\r\n");
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()] as const));
      resolve({ statusLine: statusLine!, headers, body: raw.slice(split + 4) });
    });
  });
}

/** The documented request, byte for byte, with `body` and `authorization`. */
function lookupRequest(port: number, body: string, authorization = DOCUMENTED_AUTHORIZATION): string {
  return [
    "POST /api/1.1/lookup HTTP/1.1",
    `Host: 127.0.0.1:${port}`,
    "Accept: application/json",
    "Content-Type: application/json",
    `Authorization: ${authorization}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
    "",
    body,
  ].join("\r\n");
}

describe("CyberTrace REST API client over HTTPS with Basic auth", () => {
  test("the documented lookup request, escaped slashes and all, is answered with JSON a client parses", async () => {
    const { dir, ports, certificate } = await httpsServiceDir();
    await using serve = startServe(["-c", "kl_feed_service.conf"], dir);
    await serve.waitReady(ports.input);
    await serve.waitForLog(/status endpoint on https:\/\/127\.0\.0\.1:\d+\/health/);

    // Verbatim from the documentation: 81 bytes, as its Content-Length says.
    const documented = '[{"object":"http:\\/\\/example.com"},{"object":"C1153422C5F68E731347F6A33F791598"}]';
    expect(Buffer.byteLength(documented)).toBe(81);
    const answer = await replay(ports.status, certificate, lookupRequest(ports.status, documented));
    expect({
      statusLine: answer.statusLine,
      contentType: answer.headers.get("content-type"),
      contentLength: Number(answer.headers.get("content-length")),
      json: JSON.parse(answer.body),
    }).toEqual({
      statusLine: "HTTP/1.1 200 OK",
      contentType: "application/json",
      contentLength: Buffer.byteLength(answer.body),
      json: [
        { object: "http://example.com", result: "not detected", categories: [] },
        { object: "C1153422C5F68E731347F6A33F791598", result: "not detected", categories: [] },
      ],
    });

    // The same shape with the demo indicators: detections with their feed context.
    const demo = '[{"object":"http:\\/\\/fakess123.nu"},{"object":"C912705B4BBB14EC7E78FA8B370532C9"}]';
    const detected = JSON.parse((await replay(ports.status, certificate, lookupRequest(ports.status, demo))).body) as { object: string; result: string; categories: { category: string; detected_indicator: string }[] }[];
    expect(detected.map((a) => [a.object, a.result, a.categories.map((c) => `${c.category} ${c.detected_indicator}`)])).toEqual([
      ["http://fakess123.nu", "detected", ["KL_Malicious_URL fakess123.nu"]],
      ["C912705B4BBB14EC7E78FA8B370532C9", "detected", ["KL_Malicious_Hash_MD5 C912705B4BBB14EC7E78FA8B370532C9"]],
    ]);

    // Wrong password: 401 with a Basic challenge; nothing is served over plain HTTP.
    const refused = await replay(ports.status, certificate, lookupRequest(ports.status, documented, `Basic ${btoa("user:wrong")}`));
    expect({ statusLine: refused.statusLine, challenge: refused.headers.get("www-authenticate") }).toEqual({
      statusLine: "HTTP/1.1 401 Unauthorized",
      challenge: 'Bearer realm="ioclens", Basic realm="ioclens"',
    });
    expect(await fetch(`http://127.0.0.1:${ports.status}/health`).then((r) => r.status, () => "refused")).toBe("refused");
  });

  test.each([
    ["a missing certificate file", (xml: string) => xml.replace("tls/ioclens.crt", "tls/missing.crt"), (dir: string) => `StatusEndpoint > CertificateFile "${join(dir, "tls/missing.crt")}" cannot be read: ENOENT`],
    ["the key of another certificate", (xml: string) => xml.replace("tls/ioclens.key", "tls/other.key"), (dir: string) => `StatusEndpoint > PrivateKeyFile "${join(dir, "tls/other.key")}" does not match StatusEndpoint > CertificateFile "${join(dir, "tls/ioclens.crt")}": expected the private key of that certificate`],
  ] as const)("%s is a config error: exit 3 naming the file, for --check-config and for serve", async (_name, edit, detail) => {
    const { dir } = await httpsServiceDir(edit);
    selfSignedCertificate(join(dir, "tls"), "other");
    const config = join(dir, "kl_feed_service.conf");
    const line = (await Bun.file(config).text()).split("\n").findIndex((l) => l.includes("<CertificateFile>")) + 1;
    const checked = await ioclens(["serve", "--check-config", "kl_feed_service.conf"], dir);
    await using serve = startServe(["-c", "kl_feed_service.conf"], dir);
    const { code } = await serve.exited;
    const expected = `ioclens: ${config}:${line}: ${detail(dir)}\n`;
    expect([checked, { code, stdout: serve.stdout(), stderr: serve.stderr() }]).toEqual([
      { code: 3, stdout: "", stderr: expected },
      { code: 3, stdout: "", stderr: expected },
    ]);
  });
});
