/** The `ioclens report --help` text. */
export const REPORT_HELP = `Usage: ioclens report [options] [FILE|FOLDER|-]...

Reformat, filter, count and forward saved scan results: Log Scanner text reports in any
EventFormat dialect (key=value, LEEF 1.0/2.0, CEF, KUMA), the scanner's .ndjson sidecar
(read instead of a .txt report when it sits beside it), serve's file output, or stdin.
A folder contributes its *.txt, *.log, *.ndjson, *.jsonl and *.json files.

Output
  -f, --format FMT        table | json | ndjson | csv | cef | leef | leef2 | syslog |
                          markdown | html   (default: table on a terminal, else ndjson)
      --leef-delimiter C  LEEF 2.0 attribute delimiter: one character or xHH (default: ^)
      --hostname NAME     HOSTNAME field of syslog output (default: this machine's name)
      --include-raw       also emit lines that were not understood (json, ndjson)

Operations
      --filter F          keep matching records; F is category=, type=, feed=, file= (whole
                          value, * wildcard, any case) or indicator= (substring); a bare
                          value means indicator=. Repeat: same field ORs, fields AND.
      --since TIME        keep records at or after TIME (2024-04-15 or 2024-04-15T10:00:00Z;
                          no zone means UTC)
      --until TIME        keep records before TIME (a bare date means up to its end)
      --dedupe            keep the first record of each category + indicator
      --group-by KEY      count records per category | indicator | type | file | feed
      --top N             with --group-by: only the N largest groups
      --summary           print only the three summary lines, recomputed from the records

Forwarding
      --send URL          replay records to tcp://host:port or udp://host:port as syslog
                          lines (format syslog by default; cef, leef, leef2, json, ndjson
                          get an RFC 5424 header)
      --retries N         attempts after a failed line (default 3)
      --retry-delay SEC   wait between attempts (default 1)

Other
      --no-sidecar        read .txt reports even when a .ndjson sidecar is beside them
  -q, --quiet             do not name each bad line on stderr
  -h, --help              show this help

Exit status: 0 done (bad lines are counted, not fatal), 2 usage error, 4 --send target
unreachable after the retries, 5 nothing could be read, 6 --summary of a truncated report or
of an interrupted scan (the counts cover only part of it).

Examples
  ioclens report out/log_scanner_report20240415_100211.txt
  ioclens report --format html out/ > incident-42.html
  ioclens report --filter category=KL_Malicious_URL --filter type=ip --since 2024-04-01 out/
  ioclens report --group-by indicator --top 10 out/
  ioclens report --summary --filter 'category=KL_*_Hash_*' report.txt
  ioclens report --format cef --send tcp://arcsight.example:514 out/
  tail -n 1000 detections.log | ioclens report --format csv > detections.csv
`;
