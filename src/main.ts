#!/usr/bin/env bun
/** The ioclens executable: the only place that calls process.exit. */
import { main } from "./cli/main.ts";
import { processIo } from "./cli/process_io.ts";

const io = processIo();
const code = await main(process.argv.slice(2), io);
await io.flush();
process.exit(code);
