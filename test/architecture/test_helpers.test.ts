/**
 * Where test helpers live and what they are called (test/README.md states the rule): helpers
 * shared by several folders in test/_support/, a folder's own helpers as `_<name>.ts` beside its
 * tests, every helper named in snake_case after what it provides, spawned programs
 * `<name>-fixture.ts`. This test lists the files under test/ and scripts/, reads their imports
 * (the TypeScript preprocessor, so imports inside comments do not count) and names each file or
 * import that breaks the rule.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import ts from "typescript";

const ROOT = join(import.meta.dir, "..", "..");

/** The folder of helpers that any test folder (and scripts/) may import. */
const SUPPORT = "test/_support";

/** Names that say nothing about what a helper provides: the five patterns this rule replaced. */
const VAGUE_NAME = /(^|_)(fixtures?|helpers?|utils?|common|shared|misc|run)$/;

const SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** Repository-relative paths of the TypeScript files under `folder`, data fixtures excluded. */
function tsFiles(folder: string): string[] {
  return (readdirSync(join(ROOT, folder), { recursive: true }) as string[])
    .map((file) => join(folder, file).split("\\").join("/"))
    .filter((file) => file.endsWith(".ts") && !file.startsWith("test/fixtures/"));
}

/** Why `file` (a path under test/) breaks the naming rule, or undefined when it keeps it. */
function namingProblem(file: string): string | undefined {
  const name = file.split("/").pop()!;
  if (/\.(test|system)\.ts$/.test(name)) return undefined;
  const spawned = /^(.+)-fixture\.ts$/.exec(name);
  if (spawned) return SNAKE_CASE.test(spawned[1]!) ? undefined : `${file}: a spawned program is named <snake_case>-fixture.ts`;
  const folder = dirname(file);
  const parts = folder.split("/");
  let stem: string;
  if (folder === SUPPORT) {
    if (name.startsWith("_")) return `${file}: a helper in ${SUPPORT}/ is shared, so its name has no _ prefix`;
    stem = name.slice(0, -".ts".length);
  } else if (parts.length === 2 && parts[1] !== "_support") {
    if (!name.startsWith("_")) return `${file}: not a test (*.test.ts, *.system.ts), a spawned program (*-fixture.ts) or a helper (_<name>.ts)`;
    stem = name.slice(1, -".ts".length);
  } else {
    return `${file}: a helper lives in ${SUPPORT}/ or directly in one test folder`;
  }
  if (!SNAKE_CASE.test(stem)) return `${file}: a helper is named in snake_case`;
  if (VAGUE_NAME.test(stem)) return `${file}: "${stem}" does not say what the helper provides`;
  return undefined;
}

/** Each relative import in `files` as [importer, imported], both repository-relative. */
function importsOf(files: readonly string[]): [string, string][] {
  const found: [string, string][] = [];
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), "utf8"), true, true);
    for (const { fileName } of importedFiles) {
      if (fileName.startsWith(".")) found.push([file, normalize(join(dirname(file), fileName)).split("\\").join("/")]);
    }
  }
  return found;
}

/** Imports of a test folder's private `_` helper from outside that folder. */
function privateHelperImports(imports: readonly (readonly [string, string])[]): string[] {
  return imports
    .filter(([from, to]) => to.startsWith("test/") && to.split("/").pop()!.startsWith("_") && dirname(to) !== dirname(from))
    .map(([from, to]) => `${from} → ${to} (private to ${dirname(to)}/; a shared helper belongs in ${SUPPORT}/)`);
}

describe("the test helpers", () => {
  const testFiles = tsFiles("test");
  const imports = importsOf([...testFiles, ...tsFiles("scripts")]);

  test("live in test/_support/ or in one test folder, named after what they provide", () => {
    expect(testFiles.map(namingProblem).filter((problem) => problem !== undefined)).toEqual([]);
  });

  test("are imported from another folder only when they live in test/_support/", () => {
    expect(privateHelperImports(imports)).toEqual([]);
  });

  test("are read from the real files", () => {
    // Guards the checks above against passing on an empty or unresolved file list.
    expect(testFiles).toContain(`${SUPPORT}/test_service.ts`);
    expect(imports).toContainEqual(["scripts/runtime_smoke.ts", `${SUPPORT}/self_signed_certificate.ts`]);
  });
});

describe("the checks", () => {
  test.each([
    ["test/service/session.test.ts", undefined],
    ["test/system/html_chromium.system.ts", undefined],
    ["test/scanner/scan_tail-fixture.ts", undefined],
    ["test/_support/test_service.ts", undefined],
    ["test/service/_fake_socket.ts", undefined],
    ["test/scanner/scanTail-fixture.ts", "test/scanner/scanTail-fixture.ts: a spawned program is named <snake_case>-fixture.ts"],
    ["test/_support/_recording_io.ts", "test/_support/_recording_io.ts: a helper in test/_support/ is shared, so its name has no _ prefix"],
    ["test/cli/io.ts", "test/cli/io.ts: not a test (*.test.ts, *.system.ts), a spawned program (*-fixture.ts) or a helper (_<name>.ts)"],
    ["test/_tls.ts", "test/_tls.ts: a helper lives in test/_support/ or directly in one test folder"],
    ["test/service/deep/_x.ts", "test/service/deep/_x.ts: a helper lives in test/_support/ or directly in one test folder"],
    ["test/service/_fakeSocket.ts", "test/service/_fakeSocket.ts: a helper is named in snake_case"],
    ["test/config/_fixture.ts", 'test/config/_fixture.ts: "fixture" does not say what the helper provides'],
    ["test/events/_fixtures.ts", 'test/events/_fixtures.ts: "fixtures" does not say what the helper provides'],
    ["test/feeds/_helpers.ts", 'test/feeds/_helpers.ts: "helpers" does not say what the helper provides'],
    ["test/report/_run.ts", 'test/report/_run.ts: "run" does not say what the helper provides'],
    ["test/_support/service_fixture.ts", 'test/_support/service_fixture.ts: "service_fixture" does not say what the helper provides'],
  ] as const)("%s → %p", (file, problem) => {
    expect(namingProblem(file)).toBe(problem);
  });

  test("name a private helper imported from another folder, but not a shared one", () => {
    expect(
      privateHelperImports([
        ["test/compat/a.test.ts", "test/service/_fake_socket.ts"],
        ["scripts/bench/x.ts", "test/config/_fixture_files.ts"],
        ["test/compat/a.test.ts", "test/compat/_replay_socket.ts"],
        ["test/compat/a.test.ts", "test/_support/test_service.ts"],
        ["test/service/b.test.ts", "src/service/_bmp_twin.ts"],
      ]),
    ).toEqual([
      "test/compat/a.test.ts → test/service/_fake_socket.ts (private to test/service/; a shared helper belongs in test/_support/)",
      "scripts/bench/x.ts → test/config/_fixture_files.ts (private to test/config/; a shared helper belongs in test/_support/)",
    ]);
  });
});
