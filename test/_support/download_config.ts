/** Service configs whose feeds are downloaded: the embedded default with its Feeds and Bases replaced. */
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../../src/config/embedded_defaults.ts";
import type { ServiceConfig } from "../../src/config/types.ts";

/**
 * The default config text listening on port 0 (events) with `<Feeds {feedsAttributes}>{feeds}</Feeds>`,
 * the bases in `basesDir`, and no status endpoint unless `statusListen` is given.
 */
export function downloadConfigText(basesDir: string, feeds: string, options: { feedsAttributes?: string; statusListen?: string } = {}): string {
  return DEFAULT_SERVICE_CONFIG_TEXT.replace("<ConnectionString>127.0.0.1:9999</ConnectionString>", "<ConnectionString>127.0.0.1:0</ConnectionString>")
    .replace(/<Feeds [^>]*>[\s\S]*<\/Feeds>/, `<Feeds ${options.feedsAttributes ?? 'update_frequency="0"'}>\n${feeds}\n</Feeds>`)
    .replace("<Bases>&lt;embedded&gt;</Bases>", `<Bases>${basesDir}</Bases>`)
    .replace("<Listen>127.0.0.1:9997</Listen>", `<Listen>${options.statusListen ?? "127.0.0.1:0"}</Listen>`)
    .replace('<StatusEndpoint enabled="true">', options.statusListen === undefined ? '<StatusEndpoint enabled="false">' : '<StatusEndpoint enabled="true">');
}

/** {@link downloadConfigText} parsed. */
export function downloadConfig(basesDir: string, feeds: string, options: { feedsAttributes?: string } = {}): ServiceConfig {
  return parseServiceConfig(downloadConfigText(basesDir, feeds, options), "<test>").config;
}
