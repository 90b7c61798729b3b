/**
 * What each SIEM profile's config renders for CyberTrace's verification records, through the
 * real pipeline (config parser, feed loader, index, renderers) on the embedded demo feeds with a
 * fixed clock: the lines docs/siem.md shows.
 */
import { EMBEDDED_FEEDS } from "../../src/config/embedded_defaults.ts";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { type SiemName, siemConfigText } from "../../src/config/siem_profiles.ts";
import { renderAlert } from "../../src/events/render_alert.ts";
import { loadFeeds } from "../../src/feeds/load_feeds.ts";
import { IndicatorIndex } from "../../src/matching/indicator_index.ts";
import { compilePipeline, processEvent } from "../../src/service/process_event.ts";
import { DEMO_REQUESTS } from "./siem_output.ts";

/** Feb 02 11:57:59 local time, the spec's example stamp, whatever the machine's zone. */
export const EXAMPLE_NOW = new Date(2024, 1, 2, 11, 57, 59).getTime();

/** The lines one profile produces for the examples. */
export interface SiemExample {
  /** One detection per request, in order. */
  readonly detections: string[];
  /** The finished event of the last request (sent when a client or the config asks for it). */
  readonly finished: string;
  /** The service alert a feed load sends. */
  readonly alert: string;
  /** Warnings of the config parser and template compiler: none expected. */
  readonly warnings: string[];
}

/** Renders the examples for profile `name`. */
export async function siemExample(name: SiemName): Promise<SiemExample> {
  const { config, warnings } = parseServiceConfig(siemConfigText(name), `<siem ${name}>`);
  const pipeline = compilePipeline(config, (w) => warnings.push(w));
  const index = new IndicatorIndex();
  await loadFeeds(config.feeds, {
    openFeed: async (filename) => EMBEDDED_FEEDS.get(filename)!,
    index,
    now: () => EXAMPLE_NOW,
  });
  const results = DEMO_REQUESTS.map((request) => processEvent(pipeline, index, request, { now: EXAMPLE_NOW, sendFinished: true }));
  return {
    detections: results.flatMap((r) => r.lines.slice(0, -1)),
    finished: results.at(-1)!.lines.at(-1)!,
    alert: renderAlert(pipeline.templates, "KL_ALERT_UpdatedFeed", [["feed", "Demo_Malicious_URL_Data_Feed.json"], ["records", "1"]], EXAMPLE_NOW)!,
    warnings,
  };
}
