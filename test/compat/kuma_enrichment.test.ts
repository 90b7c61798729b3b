/**
 * KUMA's `cybertrace` enrichment, replayed from its documented behaviour (spec §2.6, §6.3; the
 * shape a public KUMA-facing imitation of CyberTrace answers; our own harness): a short
 * connection per lookup that sends `X-KF-ReplyBackX-KF-SendFinishedEvent` and one
 * `url=…|ip=…|hash=…` line, reads until the text `LookupFinished`, splits every line before it
 * on `|` into `key=value` pairs (`Category`, `MatchedIndicator`, then the record's fields), and
 * hangs up. KUMA runs many of these at once (one per core of its collector).
 *
 * The service runs the config `ioclens serve --print-config --siem kuma` prints.
 */
import { describe, expect, test } from "bun:test";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { siemConfigText } from "../../src/config/siem_profiles.ts";
import { startTestService } from "../_support/test_service.ts";
import { waitFor } from "../_support/child_processes.ts";
import { editedConfig } from "./_forwarding_outcome.ts";
import { ReplaySocket } from "./_replay_socket.ts";

const PREAMBLE = "X-KF-ReplyBackX-KF-SendFinishedEvent";
/** Each request must be answered within this (KUMA's own timeout is configurable). */
const ANSWER_TIMEOUT_MS = 15_000;

/** `serve --print-config --siem kuma` (spec §2.6's formats), listening on port 0. */
function kumaConfig() {
  const text = editedConfig([["<ConnectionString>127.0.0.1:9999</ConnectionString>", "<ConnectionString>127.0.0.1:0</ConnectionString>"]], siemConfigText("kuma"));
  return parseServiceConfig(text, "<siem kuma>").config;
}

/** One enrichment as KUMA shows it: the fields of each answer line, split on `|` and `=`. */
type Enrichment = Record<string, string>[];

/**
 * KUMA's reading of an answer: every line before `LookupFinished` is `key=value` pairs split on
 * `|`; a line without Category and MatchedIndicator, or a pair without `=`, is an error.
 */
function parseKumaAnswer(data: string): Enrichment {
  const end = data.indexOf("LookupFinished");
  if (end < 0) throw new Error(`KUMA answer: found no LookupFinished in ${JSON.stringify(data)}`);
  return data
    .slice(0, end)
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const fields: Record<string, string> = {};
      for (const pair of line.split("|")) {
        const eq = pair.indexOf("=");
        if (eq <= 0) throw new Error(`KUMA answer: found "${pair}" in ${JSON.stringify(line)}, expected key=value`);
        fields[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      if (!fields.Category || !fields.MatchedIndicator) throw new Error(`KUMA answer: found ${JSON.stringify(line)}, expected Category= and MatchedIndicator=`);
      return fields;
    });
}

/** One short connection: preamble and request line in one write, read until LookupFinished, hang up. */
async function kumaLookup(port: number, request: string): Promise<Enrichment> {
  const s = await ReplaySocket.connect(port);
  try {
    await s.send(`${PREAMBLE}${request}\n`);
    let data = "";
    while (!data.includes("LookupFinished")) {
      const chunk = await s.recv(1024, ANSWER_TIMEOUT_MS);
      if (chunk === undefined || chunk === "") throw new Error(`KUMA lookup ${request}: ${chunk === "" ? "closed" : "timed out"} after ${JSON.stringify(data)}`);
      data += chunk;
    }
    return parseKumaAnswer(data);
  } finally {
    s.close();
  }
}

/** Request `k` of a run: test records and misses mixed, so answers differ from one to the next. */
function request(k: number): { line: string; expected: string[] } {
  const url = k % 2 === 0 ? "http://fakess123.nu" : `http://www.example.com/k/${k}`;
  const ip = k % 3 === 0 ? "192.0.2.0" : `10.0.${k >> 8}.${k & 255}`;
  const hash = ["C912705B4BBB14EC7E78FA8B370532C9", "776735A8CA96DB15B422879DA599F474", "0123456789ABCDEF0123456789ABCDEF"][k % 3]!;
  const expected = [
    ...(k % 2 === 0 ? ["KL_Malicious_URL fakess123.nu"] : []),
    ...(k % 3 === 0 ? ["KL_IP_Reputation 192.0.2.0"] : []),
    ...(k % 3 !== 2 ? [`KL_Malicious_Hash_MD5 ${hash}`] : []),
  ];
  return { line: `url=${url}|ip=${ip}|hash=${hash}`, expected };
}

describe("KUMA cybertrace enrichment (X-KF-ReplyBackX-KF-SendFinishedEvent, url=…|ip=…|hash=…)", () => {
  test("one lookup: each hit is a Category=…|MatchedIndicator=…|field=… line, then LookupFinished", async () => {
    await using service = await startTestService(kumaConfig());
    const answer = await kumaLookup(service.port, "url=http://fakess123.nu|ip=192.0.2.0|hash=C912705B4BBB14EC7E78FA8B370532C9");
    expect(answer).toEqual([
      { Category: "KL_Malicious_URL", MatchedIndicator: "fakess123.nu", id: "900001", type: "1", first_seen: "01.01.2014 00:00", last_seen: "01.01.2025 00:00", popularity: "5", threat: "Test record of Malicious_URL_Data_Feed", geo: "ru, us" },
      { Category: "KL_IP_Reputation", MatchedIndicator: "192.0.2.0", id: "900601", threat_score: "75", category: "test", first_seen: "01.01.2014 00:00", last_seen: "01.01.2025 00:00", popularity: "5", ip_geo: "zz" },
      { Category: "KL_Malicious_Hash_MD5", MatchedIndicator: "C912705B4BBB14EC7E78FA8B370532C9", id: "900801", file_size: "68", threat: "Test record of Malicious_Hash_Data_Feed", first_seen: "01.01.2014 00:00", last_seen: "01.01.2025 00:00", popularity: "5" },
    ]);
  });

  test("a miss is answered with LookupFinished alone", async () => {
    await using service = await startTestService(kumaConfig());
    expect(await kumaLookup(service.port, "url=http://www.example.com/|ip=10.0.0.1|hash=0123456789ABCDEF0123456789ABCDEF")).toEqual([]);
  });

  test("200 short connections, 16 at a time (more than the 8 scanners): all answered, none left open", async () => {
    await using service = await startTestService(kumaConfig());
    const CONNECTIONS = 200;
    const CONCURRENCY = 16;
    const answers: string[][] = new Array(CONNECTIONS);
    let next = 0;
    const worker = async () => {
      while (next < CONNECTIONS) {
        const k = next++;
        const answer = await kumaLookup(service.port, request(k).line);
        answers[k] = answer.map((f) => `${f.Category} ${f.MatchedIndicator}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(answers).toEqual(Array.from({ length: CONNECTIONS }, (_, k) => request(k).expected));

    await waitFor(() => service.status().connections.open === 0, "every connection to be closed", 10_000, 10);
    const { connections, events } = service.status();
    expect({ open: connections.open, active: connections.active, waiting: connections.waiting, refused: connections.refused, events: events.total, dropped: events.dropped }).toEqual({
      open: 0,
      active: 0,
      waiting: 0,
      refused: 0,
      events: CONNECTIONS,
      dropped: 0,
    });
  });
});
