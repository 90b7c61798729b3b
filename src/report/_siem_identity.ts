/**
 * Header values for re-ingested events. They repeat the identifiers of the documented
 * Kaspersky SIEM kits (cybertrace-service.md §6.3) so that existing ArcSight/QRadar content
 * recognises the events.
 */
export const CEF_HEADER = {
  vendor: "Kaspersky Lab",
  product: "Kaspersky CyberTrace for ArcSight",
  version: "2.0",
  signatureId: "2",
  name: "CyberTrace Detection Event",
  severity: "8",
} as const;

export const LEEF_HEADER = {
  vendor: "Kaspersky Lab",
  product: "Threat Feed Service",
  version: "2.0",
} as const;

/** RFC 5424 fields: facility user (1), severity warning (4); 32473 is the documentation enterprise number (RFC 5612). */
export const SYSLOG = { pri: 12, appName: "ioclens", msgId: "detection", sdId: "ioclens@32473" } as const;
