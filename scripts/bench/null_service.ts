/**
 * The throughput baseline: a "service" that frames and answers like `ioclens serve` — same
 * node:net server, PreambleParser, LineFramer, per-chunk flush and finished event rendered from
 * the same config's FinishedEventFormat — but looks nothing up. Prints `serving on HOST:PORT`.
 *
 * Usage: bun scripts/bench/null_service.ts -c <service config>
 */
import { createServer, type Socket } from "node:net";
import { loadServiceConfig } from "../../src/config/load_config.ts";
import type { EventRenderContext } from "../../src/events/event_render_context.ts";
import { renderFinishedEvent } from "../../src/events/render_finished_event.ts";
import { LineFramer } from "../../src/protocol/line_framer.ts";
import { PreambleParser, type Preamble } from "../../src/protocol/preamble.ts";
import { compilePipeline } from "../../src/service/process_event.ts";

const configPath = process.argv[process.argv.indexOf("-c") + 1];
if (!process.argv.includes("-c") || !configPath) {
  process.stderr.write("null_service: usage: bun scripts/bench/null_service.ts -c <service config>\n");
  process.exit(2);
}
const { config } = await loadServiceConfig(configPath);
const pipeline = compilePipeline(config);
const EMPTY: ReadonlyMap<string, number> = new Map();
const NO_VALUES: readonly (string | undefined)[] = [];

function session(socket: Socket, preamble: Preamble): void {
  const sendFinished = preamble.sendFinished || pipeline.finishedEnabled;
  let out = "";
  let lineContext: EventRenderContext | undefined;
  const framer = new LineFramer({
    onEvent: () => {
      const now = Date.now();
      lineContext ??= { now, receivedAt: now, sourceId: "default", regexValues: NO_VALUES };
    },
    onLineEnd: () => {
      if (lineContext === undefined) return;
      if (sendFinished) out += renderFinishedEvent(pipeline.templates, lineContext, 0, EMPTY) + "\n";
      lineContext = undefined;
    },
  });
  const consume = (chunk: Uint8Array) => {
    framer.push(chunk);
    if (out.length === 0) return;
    const text = out;
    out = "";
    if (!socket.write(text)) {
      socket.pause();
      socket.once("drain", () => socket.resume());
    }
  };
  socket.on("data", consume);
  socket.once("end", () => {
    framer.end();
    socket.end(out);
  });
  if (preamble.rest.length > 0) consume(preamble.rest);
}

const server = createServer({ noDelay: true }, (socket) => {
  socket.on("error", () => {});
  const parser = new PreambleParser();
  const onData = (chunk: Uint8Array) => {
    const decided = parser.push(chunk);
    if (!decided) return;
    socket.off("data", onData);
    if (decided.ping) socket.end("PONG\n");
    else session(socket, decided);
  };
  socket.on("data", onData);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`null_service: serving on 127.0.0.1:${(server.address() as { port: number }).port}\n`);
});
process.once("SIGTERM", () => process.exit(0));
