/**
 * The Kaspersky CyberTrace App for Splunk's `klsearch` command, replayed from its documented
 * behaviour (spec cybertrace-service.md §2.2, §2.4, §2.7, §6.3; our own harness):
 *
 * - Lookup (`| klsearch VALUE` or `| klsearch url=VALUE`): connect, send
 *   `X-KF-SendFinishedEventX-KF-ReplyBack` as its own write, send `VALUE\n` (the key=value
 *   form is sent as `key=VALUE ` + `\n`), recv (32 KiB, 5 s timeout) until the data holds a
 *   newline; a hit is data containing `matchedIndicator`, anything else shows "There is no data
 *   in Kaspersky CyberTrace".
 * - Verification (`| klsearch verification`): one connection, the same preamble, then per feed:
 *   send its test value + `\n`, ONE recv (1 s timeout), status OK when the data contains
 *   `eventName`. 17 feeds.
 *
 * Against the embedded config, as Splunk's default integration runs it.
 */
import { describe, expect, test } from "bun:test";
import { startTestService } from "../_support/test_service.ts";
import { ReplaySocket } from "./_replay_socket.ts";
import { TEST_RECORDS } from "./_test_records.ts";

/** The app's preamble, sent as one write before any value. */
const HEADER = "X-KF-SendFinishedEventX-KF-ReplyBack";
const BUFFER_SIZE = 32768;
/**
 * The app waits 5 s per recv on a lookup and 1 s on verification. Replays wait longer, since a
 * loaded CI machine is no Splunk server: what is checked is what came back, not how fast.
 */
const LOOKUP_TIMEOUT_MS = 10_000;
const VERIFICATION_TIMEOUT_MS = 10_000;

/** What the lookup shows in Splunk: `_raw` and `LookupIndicator`. */
interface LookupResult {
  readonly _raw: string;
  readonly LookupIndicator: string;
}

/** `| klsearch VALUE`, or `| klsearch KEY=VALUE` when `key` is given. */
async function klsearchLookup(port: number, value: string, key?: string): Promise<LookupResult> {
  const lookupValue = key === undefined ? value : `${key}=${value} `;
  const s = await ReplaySocket.connect(port);
  try {
    await s.send(HEADER);
    await s.send(`${lookupValue}\n`);
    let data = "";
    while (!data.includes("\n")) {
      const chunk = await s.recv(BUFFER_SIZE, LOOKUP_TIMEOUT_MS);
      // The app would raise socket.timeout, or spin forever on a closed socket.
      if (chunk === undefined) throw new Error(`klsearch ${lookupValue}: timed out after ${LOOKUP_TIMEOUT_MS} ms with ${JSON.stringify(data)}`);
      if (chunk === "") throw new Error(`klsearch ${lookupValue}: the service closed the connection after ${JSON.stringify(data)}`);
      data += chunk;
    }
    return { _raw: data.includes("matchedIndicator") ? data : "There is no data in Kaspersky CyberTrace", LookupIndicator: value };
  } finally {
    s.close();
  }
}

/** `| klsearch verification`: one row per feed, OK when its single recv holds `eventName`. */
async function klsearchVerification(port: number): Promise<{ feed: string; status: "OK" | "FALSE" }[]> {
  const s = await ReplaySocket.connect(port);
  try {
    await s.send(HEADER);
    const results: { feed: string; status: "OK" | "FALSE" }[] = [];
    for (const { feed, value } of TEST_RECORDS) {
      await s.send(`${value}\n`);
      const data = await s.recv(BUFFER_SIZE, VERIFICATION_TIMEOUT_MS);
      results.push({ feed, status: data !== undefined && data.includes("eventName") ? "OK" : "FALSE" });
    }
    return results;
  } finally {
    s.close();
  }
}

describe("Splunk app klsearch lookup, against the embedded config", () => {
  test.each([
    ["http://fakess123.nu", undefined, "fakess123.nu"],
    ["http://fakess123.nu", "url", "fakess123.nu"],
    ["192.0.2.0", "ip", "192.0.2.0"],
    ["C912705B4BBB14EC7E78FA8B370532C9", "md5", "C912705B4BBB14EC7E78FA8B370532C9"],
  ])("klsearch %s (key %s) shows the detection for %s", async (value, key, indicator) => {
    await using service = await startTestService();
    const result = await klsearchLookup(service.port, value, key);
    expect(result.LookupIndicator).toBe(value);
    expect(result._raw).toContain(` matchedIndicator=${indicator} `);
    expect(result._raw.endsWith("\n")).toBe(true);
  });

  test("a value in no feed is answered by its finished event at once: 'There is no data', no timeout", async () => {
    await using service = await startTestService();
    expect(await klsearchLookup(service.port, "http://www.example.com/")).toEqual({
      _raw: "There is no data in Kaspersky CyberTrace",
      LookupIndicator: "http://www.example.com/",
    });
  });
});

describe("Splunk app klsearch verification, against the embedded config", () => {
  test("all 17 feeds' test records come back OK, each answer in one recv", async () => {
    await using service = await startTestService();
    const results = await klsearchVerification(service.port);
    expect(results).toEqual(TEST_RECORDS.map(({ feed }) => ({ feed, status: "OK" })));
  });

  test("each test record's answer is its detection line followed by its finished event (what one recv reads)", async () => {
    await using service = await startTestService();
    const s = await ReplaySocket.connect(service.port);
    try {
      await s.send(HEADER);
      const shapes: string[] = [];
      for (const { value } of TEST_RECORDS) {
        await s.send(`${value}\n`);
        const data = (await s.recv(BUFFER_SIZE, VERIFICATION_TIMEOUT_MS)) ?? "";
        shapes.push(data.split("\n").map((line) => (line.includes("LookupFinished") ? "finished" : line.includes("matchedIndicator=") ? "detection" : line)).join(","));
      }
      expect(shapes).toEqual(TEST_RECORDS.map(() => "detection,finished,"));
    } finally {
      s.close();
    }
  });
});
