/**
 * The configuration layer: both config dialects parsed into the types of `types.ts`.
 * @module
 */
export * from "./types.ts";
export * from "./config_error.ts";
export * from "./xml_syntax_error.ts";
export * from "./parse_xml.ts";
export * from "./compile_pattern.ts";
export * from "./parse_service_config.ts";
export * from "./parse_scanner_config.ts";
export * from "./load_config.ts";
export * from "./embedded_defaults.ts";
