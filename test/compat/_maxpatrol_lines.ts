/**
 * The lines a MaxPatrol-style forwarder sends: one `k=v k=v` line of a SIEM event's IOC fields
 * (`src.ip`, `dst.ip`, `dst.host`, `object.hash`, …), the shape of the public MaxPatrol SIEM →
 * CyberTrace forwarder (spec §2.2). Shared by the forwarder process and the test that checks
 * what reached the SIEM.
 */

/**
 * Line `i` (from 1), newline included. Every 100th line hits a demo feed, alternately 192.0.2.0
 * (KL_IP_Reputation) and an MD5 (KL_Malicious_Hash_MD5); `hit` is the matched indicator, if any.
 */
export function maxPatrolLine(i: number): { line: string; hit?: string } {
  const base = `src.ip=10.0.${(i >> 8) & 255}.${i & 255} event_src.host=mp-collector-${i % 7} event_src.title=windows`;
  if (i % 200 === 100) return { line: `${base} dst.ip=192.0.2.0 dst.port=443 dst.host=srv-${i % 97}.corp.example\n`, hit: "192.0.2.0" };
  if (i % 200 === 0) return { line: `${base} object.path=C:\\Users\\u${i % 50}\\AppData\\x.exe object.hash=C912705B4BBB14EC7E78FA8B370532C9\n`, hit: "C912705B4BBB14EC7E78FA8B370532C9" };
  return { line: `${base} dst.ip=10.20.${(i >> 8) & 255}.${i & 255} dst.port=443 dst.host=srv-${i % 97}.corp.example\n` };
}
