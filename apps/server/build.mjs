// Compiles the server to plain JavaScript (dist/index.js and the inference worker dist/inference.worker.mjs),
// so production runs `node dist/index.js` without tsx. Workspace packages (@emotion/*) are bundled; every
// npm package stays external and is loaded from node_modules at run time (native ones cannot be bundled,
// and pglite, pdfkit or swagger-ui read files that sit beside their own code).
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const SERVER_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = join(SERVER_DIR, "../..");
const OUT_DIR = join(SERVER_DIR, "dist");

/**
 * Modules whose `import.meta.url` must stay the bundle's own: the pool starts `./inference.worker.mjs`
 * beside itself, which in dist is the compiled worker. Every other bundled module keeps the location of
 * its source file (see keepSourceLocation), so its paths resolve as under tsx.
 */
const DIST_RELATIVE = new Set([join(SERVER_DIR, "src/live/inference-pool.ts")]);

const toPosix = (p) => p.split(sep).join("/");
const packageNameOf = (specifier) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/");
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));

/** The workspace package (directory and manifest) that holds a source file. */
function packageOf(file) {
  for (let dir = dirname(file); dir.startsWith(ROOT); dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return { dir, manifest: readJson(join(dir, "package.json")) };
  }
  throw new Error(`${file} is in no package of the workspace`);
}

/**
 * Paths built from `import.meta.url` (models/, packages/db/migrations, createRequire in @emotion/vision,
 * apps/web/dist) are relative to their source file. In the bundle that URL is replaced by the source
 * file's URL, computed from the bundle's own location at run time, so the same relative layout works in
 * the repository and in the container image (which keeps it) with no path repeated here.
 */
const keepSourceLocation = {
  name: "keep-source-location",
  setup(b) {
    b.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      const loader = /\.[cm]?ts$/.test(args.path) ? "ts" : "js";
      if (DIST_RELATIVE.has(args.path) || !text.includes("import.meta.url")) return { contents: text, loader };
      const sourceUrl = `new URL(${JSON.stringify(toPosix(relative(OUT_DIR, args.path)))}, import.meta.url).href`;
      return { contents: text.replaceAll("import.meta.url", sourceUrl), loader };
    });
  },
};

/** Bundles @emotion/* and leaves every other package external, noting who imports what. */
function externalPackages(imports) {
  return {
    name: "external-packages",
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        if (args.path.startsWith("@emotion/")) return undefined;
        imports.push({ name: packageNameOf(args.path), importer: args.importer });
        return { path: args.path, external: true };
      });
    },
  };
}

/**
 * The bundle imports packages from dist/, i.e. from @emotion/server's node_modules, where pnpm links only
 * the server's own dependencies. A package that only a workspace package depends on (postgres for
 * @emotion/db, pdfkit for @emotion/analytics) is linked into dist/node_modules from that package's
 * node_modules. Fails when an import would be missing from a production install, or when two packages
 * would need different copies of one dependency.
 */
function linkExternals(imports) {
  const server = readJson(join(SERVER_DIR, "package.json"));
  const links = new Map();
  for (const { name, importer } of imports) {
    const owner = packageOf(importer);
    const declared = { ...owner.manifest.dependencies, ...owner.manifest.peerDependencies };
    if (name in (server.dependencies ?? {})) {
      const ownCopy = join(owner.dir, "node_modules", name);
      const serverCopy = realpathSync(join(SERVER_DIR, "node_modules", name));
      if (name in declared && existsSync(ownCopy) && realpathSync(ownCopy) !== serverCopy) {
        throw new Error(`${owner.manifest.name} and @emotion/server resolve different copies of ${name}`);
      }
      continue;
    }
    if (owner.dir === SERVER_DIR || !(name in (owner.manifest.dependencies ?? {}))) {
      throw new Error(`${relative(ROOT, importer)} imports ${name}, which is not a production dependency of ${owner.manifest.name}`);
    }
    const target = join(owner.dir, "node_modules", name);
    const previous = links.get(name);
    if (previous && realpathSync(previous) !== realpathSync(target)) throw new Error(`two packages need different copies of ${name}`);
    links.set(name, target);
  }
  for (const [name, target] of links) {
    const link = join(OUT_DIR, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), target), link, "dir");
  }
  return [...links.keys()];
}

rmSync(OUT_DIR, { recursive: true, force: true });
const imports = [];
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  sourcesContent: false,
  // Stack traces name the TypeScript file and line (the source maps are beside the bundles).
  banner: { js: "process.setSourceMapsEnabled(true);" },
  plugins: [externalPackages(imports), keepSourceLocation],
  logLevel: "warning",
};
await Promise.all([
  build({ ...common, entryPoints: [join(SERVER_DIR, "src/index.ts")], outfile: join(OUT_DIR, "index.js") }),
  build({ ...common, entryPoints: [join(SERVER_DIR, "src/live/inference.worker.ts")], outfile: join(OUT_DIR, "inference.worker.mjs") }),
]);
if (imports.some((i) => i.name === "tsx")) throw new Error("the compiled server must not load tsx at run time");
const linked = linkExternals(imports);
process.stdout.write(`built ${relative(ROOT, OUT_DIR)}: index.js, inference.worker.mjs; linked from workspace packages: ${linked.join(", ") || "none"}\n`);
