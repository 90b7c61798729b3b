// A worker thread that rebuilds an index from the snapshot it is sent and answers lookups.
import { IndicatorIndex, type IndexSnapshot } from "../../src/matching/indicator_index.ts";
import type { LookupType } from "../../src/matching/types.ts";

declare const self: { onmessage: (e: MessageEvent) => void; postMessage(m: unknown): void };

self.onmessage = ({ data: m }: { data: { snapshot: IndexSnapshot; lookups: [LookupType, string][]; now: number } }) => {
  const reader = IndicatorIndex.fromSnapshot(m.snapshot);
  const answers = m.lookups.map(([type, value]) => reader.lookup(type, value, m.now).records.map((r) => `${r.feed.name} ${r.kind} ${r.indicator} ${r.category} ${JSON.stringify(r.fields)}`));
  const fields = m.snapshot.fields as { entries: { fields: { links: Uint32Array } } };
  self.postMessage({ answers, linksShared: fields.entries.fields.links.buffer instanceof SharedArrayBuffer });
};
