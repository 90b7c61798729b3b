/** Usage texts. Every example here is a command that works as written. */
import { SIEM_NAMES } from "../config/siem_profiles.ts";

export const MAIN_HELP = `ioclens — threat-intelligence lookup service and log scanner (CyberTrace-compatible)

Usage:
  ioclens <command> [options]

Commands:
  serve    run the lookup service (CyberTrace wire protocol on TCP, under a watchdog)
  scan     send log files or single indicators to the service and write a report
  report   reformat, filter and summarise saved scan results

Options:
  -h, --help       show this help (or: ioclens <command> --help)
  -v, --version    print the version

Examples:
  ioclens serve                              # embedded defaults and demo feeds, 127.0.0.1:9999
  ioclens serve -c kl_feed_service.conf
  ioclens scan -r -p /var/log/squid/access.log
  ioclens scan -r -u 'http://fakess123.nu' -i 192.0.2.0
  ioclens report --format csv log_scanner_report20261128_101500.txt

Exit codes: 0 ok, 1 detections (scan --fail-on-detect), 2 usage, 3 config, 4 service
unreachable, 5 I/O error, 6 partial scan, 130 interrupted.
`;

export const SERVE_HELP = `Usage: ioclens serve [options]

Runs the lookup service. Without -c it uses the embedded default config (listen on
127.0.0.1:9999, ReplyBack with LookupFinished events, key=value detections) and the embedded
demo feeds that hold CyberTrace's verification records (http://fakess123.nu, 192.0.2.0,
C912705B4BBB14EC7E78FA8B370532C9, ...).

Options:
  -c, --config FILE      service config (kl_feed_service.conf dialect)
      --check-config     validate the config (and FILE given with -c or as argument) and exit 0 or 3
      --print-config     print the effective config XML (a template to start from) and exit
      --siem NAME        with --print-config: the output formats one SIEM reads (docs/siem.md):
                         ${SIEM_NAMES.join(", ")}; default splunk
      --no-watchdog      run the service in this process, without the supervisor
      --log-level LEVEL  debug, info (default), warn or error (or IOCLENS_LOG_LEVEL)
      --log-format FMT   text (default) or json lines (or IOCLENS_LOG_FORMAT)
  -h, --help             show this help

Signals: SIGTERM/SIGINT stop cleanly (open work is answered, ServiceStopped is sent);
SIGHUP reloads the config and feeds (the old ones serve until the new ones are ready).

Examples:
  ioclens serve
  ioclens serve --print-config > kl_feed_service.conf
  ioclens serve --print-config --siem qradar > kl_feed_service.conf
  ioclens serve --check-config kl_feed_service.conf
  ioclens serve -c /etc/ioclens/kl_feed_service.conf --no-watchdog
  printf 'X-KF-ReplyBackPING' | nc 127.0.0.1 9999        # health probe: answers PONG
  curl -s http://127.0.0.1:9997/status                   # counters, feeds, queue (StatusEndpoint)
`;

export const SCAN_HELP = `Usage: ioclens scan [options]

Sends log lines (-p) or single values (-s/-u/-i) to the lookup service. With -r the answers
come back on the same connection and are written to log_scanner_report<YYYYMMDD_HHMMSS>.txt
in OutputDir (plus an .ndjson sidecar; -2, -3 … when the name is taken; the working directory
when OutputDir cannot be written); without -r the service sends detections to its own
configured target.

Options (compatible with CyberTrace's log_scanner):
  -r, --report           write the report (ReplyBack mode)
  -c, --config FILE      scanner config (log_scanner.conf dialect); default ./log_scanner.conf
  -p, --path PATH        a file, folder, FIFO or device; "-" reads standard input (repeatable)
  -s, --hash VALUE       an MD5, SHA1 or SHA256 (kind by length) (repeatable)
  -u, --url VALUE        a URL (repeatable; quote it in the shell)
  -i, --ip VALUE         an IP address (repeatable)
Ours:
      --recursive        descend into sub-folders of -p folders
      --include GLOB     only files whose name matches (repeatable)
      --exclude GLOB     skip files whose name matches (repeatable)
      --binary           also send files that contain NUL bytes
      --output FILE      write the report here instead of OutputDir
      --format FMT       text (default), json or ndjson report
      --fail-on-detect   exit 1 when anything was detected
      --quiet            print nothing but errors
      --check-config     validate the config (-c or argument) and exit 0 or 3
  -h, --help             show this help

Examples:
  ioclens scan -r -p logs/
  ioclens scan -r -p logs/ --recursive --include '*.log' --include '*.gz'
  ioclens scan -r -s C912705B4BBB14EC7E78FA8B370532C9 -u 'http://fakess123.nu' -i 192.0.2.0
  zcat access.log.gz | ioclens scan -r -p - --fail-on-detect
  ioclens scan --check-config log_scanner.conf
`;
