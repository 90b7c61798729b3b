import { describe, expect, test } from "bun:test";
import { proxyFor } from "../../src/feeds/_proxy_for.ts";

const PROXY = "http://proxy.corp:3128";

describe("proxyFor()", () => {
  test.each([
    ["https://feeds.example/x", undefined, { HTTPS_PROXY: PROXY }, PROXY],
    ["https://feeds.example/x", undefined, { https_proxy: PROXY }, PROXY],
    ["http://feeds.example/x", undefined, { HTTPS_PROXY: PROXY }, undefined],
    ["http://feeds.example/x", undefined, { HTTP_PROXY: PROXY }, PROXY],
    ["https://feeds.example/x", undefined, { HTTPS_PROXY: PROXY, NO_PROXY: "example" }, undefined],
    ["https://feeds.example/x", undefined, { HTTPS_PROXY: PROXY, NO_PROXY: ".example" }, undefined],
    ["https://feeds.example/x", undefined, { HTTPS_PROXY: PROXY, NO_PROXY: "*.example" }, undefined],
    ["https://feeds.example/x", undefined, { HTTPS_PROXY: PROXY, NO_PROXY: "ample" }, PROXY],
    ["https://feeds.example/x", undefined, { HTTPS_PROXY: PROXY, NO_PROXY: "feeds.example:8443" }, PROXY],
    ["https://feeds.example:8443/x", undefined, { HTTPS_PROXY: PROXY, NO_PROXY: "feeds.example:8443" }, undefined],
    ["https://10.0.0.5/x", undefined, { HTTPS_PROXY: PROXY, NO_PROXY: "localhost, 10.0.0.5" }, undefined],
    ["https://feeds.example/x", undefined, { HTTPS_PROXY: PROXY, no_proxy: "*" }, undefined],
    ["https://feeds.example/x", "http://own:8080", { HTTPS_PROXY: PROXY, NO_PROXY: "*" }, "http://own:8080"],
    ["https://feeds.example/x", "none", { HTTPS_PROXY: PROXY }, undefined],
  ] as const)("%s with proxy=%s and %j → %s", (url, configured, env, expected) => {
    expect(proxyFor(url, configured, env)).toBe(expected);
  });
});
