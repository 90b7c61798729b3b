/**
 * The folders of src/ are layers: a module may import from its own folder or from a folder
 * below it, never from one above (docs/architecture.md explains the order). This test reads
 * the import graph of src/ (the TypeScript preprocessor, so imports inside comments and
 * examples do not count) and names each offending import as `file → file`.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import ts from "typescript";

/** Lowest first: each folder may import only from itself and the folders before it. */
const LAYERS = ["runtime", "io", "matching", "feeds", "config", "events", "protocol", "retroscan", "service", "watchdog", "report", "scanner", "cli"] as const;

/** The entry point: the one module nothing imports. */
const ENTRY = "src/main.ts";

const ROOT = join(import.meta.dir, "..", "..");

/** src/-relative module → the src/ modules it imports (type-only and dynamic imports included). */
type ImportGraph = ReadonlyMap<string, readonly string[]>;

function readImportGraph(): ImportGraph {
  const graph = new Map<string, string[]>();
  const files = (readdirSync(join(ROOT, "src"), { recursive: true }) as string[])
    .map((file) => join("src", file).split("\\").join("/"))
    .filter((file) => file.endsWith(".ts"));
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), "utf8"), true, true);
    graph.set(
      file,
      importedFiles
        .map((imported) => imported.fileName)
        .filter((specifier) => specifier.startsWith("."))
        .map((specifier) => normalize(join(dirname(file), specifier)).split("\\").join("/"))
        .filter((target) => target.startsWith("src/") && target.endsWith(".ts")),
    );
  }
  return graph;
}

/**
 * The folder a module belongs to, or undefined for a file directly in src/: the entry, and
 * leaves such as version.ts that any folder may import and that import nothing from src/.
 */
function layerOf(file: string): string | undefined {
  const parts = file.split("/");
  return parts.length > 2 ? parts[1] : undefined;
}

/** Every import that goes from a folder to one above it, or to a folder the order does not know. */
function upwardImports(graph: ImportGraph): string[] {
  const rank = (layer: string): number => (LAYERS as readonly string[]).indexOf(layer);
  const found: string[] = [];
  for (const [from, targets] of graph) {
    const fromLayer = layerOf(from);
    if (fromLayer === undefined) {
      if (from !== ENTRY) found.push(...targets.map((to) => `${from} → ${to} (a file directly in src/ imports nothing from src/)`));
      continue;
    }
    if (rank(fromLayer) < 0) {
      found.push(`${from}: folder "${fromLayer}" is not in the layer order`);
      continue;
    }
    for (const to of targets) {
      const toLayer = layerOf(to);
      if (toLayer === undefined || toLayer === fromLayer) continue;
      if (rank(toLayer) > rank(fromLayer)) found.push(`${from} → ${to} (${fromLayer} may not import ${toLayer})`);
    }
  }
  return found;
}

/** Modules no other module imports, apart from the entry and type declaration files. */
function unimportedModules(graph: ImportGraph): string[] {
  const imported = new Set([...graph.values()].flat());
  return [...graph.keys()].filter((file) => file !== ENTRY && !file.endsWith(".d.ts") && !imported.has(file));
}

/** Imports of a folder's private `_` helpers from outside that folder. */
function privateImports(graph: ImportGraph): string[] {
  const found: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      if (to.split("/").pop()!.startsWith("_") && dirname(to) !== dirname(from)) found.push(`${from} → ${to} (a _ helper is private to ${dirname(to)}/)`);
    }
  }
  return found;
}

describe("the import graph of src/", () => {
  const graph = readImportGraph();

  test("has no import from a folder to a folder above it", () => {
    expect(upwardImports(graph)).toEqual([]);
  });

  test("has no module that nothing imports", () => {
    expect(unimportedModules(graph)).toEqual([]);
  });

  test("imports a folder's _ helpers only from that folder", () => {
    expect(privateImports(graph)).toEqual([]);
  });

  test("is read from the real files", () => {
    // Guards the checks above against passing on an empty or unresolved graph.
    expect(graph.get("src/cli/scan_command.ts")).toContain("src/scanner/run_scan.ts");
    expect(graph.get(ENTRY)).toContain("src/cli/main.ts");
  });
});

describe("the checks", () => {
  const graph: ImportGraph = new Map([
    ["src/main.ts", ["src/cli/a.ts"]],
    ["src/cli/a.ts", ["src/scanner/b.ts", "src/io/_c.ts"]],
    ["src/scanner/b.ts", ["src/cli/a.ts", "src/scanner/d.ts"]],
    ["src/scanner/d.ts", []],
    ["src/io/_c.ts", []],
    ["src/io/orphan.ts", ["src/io/_c.ts"]],
    ["src/plugins/e.ts", ["src/io/_c.ts"]],
    ["src/leaf.ts", ["src/scanner/d.ts"]],
  ]);

  test("name an upward import as file → file, and a folder outside the order", () => {
    expect(upwardImports(graph)).toEqual([
      "src/scanner/b.ts → src/cli/a.ts (scanner may not import cli)",
      'src/plugins/e.ts: folder "plugins" is not in the layer order',
      "src/leaf.ts → src/scanner/d.ts (a file directly in src/ imports nothing from src/)",
    ]);
  });

  test("name the modules nothing imports, but not the entry", () => {
    expect(unimportedModules(graph)).toEqual(["src/io/orphan.ts", "src/plugins/e.ts", "src/leaf.ts"]);
  });

  test("name a _ helper imported from another folder", () => {
    expect(privateImports(graph)).toEqual([
      "src/cli/a.ts → src/io/_c.ts (a _ helper is private to src/io/)",
      "src/plugins/e.ts → src/io/_c.ts (a _ helper is private to src/io/)",
    ]);
  });
});
