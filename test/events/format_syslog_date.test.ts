import { describe, expect, test } from "bun:test";
import { formatSyslogDate } from "../../src/events/format_syslog_date.ts";

describe("formatSyslogDate()", () => {
  test.each([
    [new Date(2024, 1, 2, 11, 57, 59), "Feb 02 11:57:59"],
    [new Date(2024, 3, 16, 9, 5, 41), "Apr 16 09:05:41"],
    [new Date(2023, 11, 31, 23, 0, 0), "Dec 31 23:00:00"],
    [new Date(2024, 0, 1, 0, 0, 0, 999), "Jan 01 00:00:00"],
  ])("formats %p in local time", (date, expected) => {
    expect(formatSyslogDate(date.getTime())).toBe(expected);
  });
});
