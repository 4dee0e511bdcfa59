// infra/Dockerfile, read with dockerfile-ast (no Docker in CI): a build stage with pnpm, a runtime stage
// that runs the compiled server as a non-root user, with the models inside and no tools fetched at start.
import { DockerfileParser, type Instruction } from "dockerfile-ast";
import { describe, expect, it } from "vitest";
import { readRepoFile } from "./support";

const dockerfile = DockerfileParser.parse(readRepoFile("infra/Dockerfile"));
const froms = dockerfile.getFROMs();
const instructions = dockerfile.getInstructions();

/** The instructions of each stage, in order: from its FROM up to the next one. */
const stages = froms.map((from, k) => {
  const start = from.getRange().start.line;
  const end = froms[k + 1]?.getRange().start.line ?? Infinity;
  return { name: from.getBuildStage(), instructions: instructions.filter((i) => i.getRange().start.line >= start && i.getRange().start.line < end) };
});
const final = stages.at(-1)!;
const build = stages[0]!;
const of = (stage: { instructions: Instruction[] }, keyword: string) => stage.instructions.filter((i) => i.getKeyword() === keyword);
const argumentsOf = (i: Instruction) => i.getArgumentsContent() ?? "";
const envOf = (stage: { instructions: Instruction[] }) =>
  Object.fromEntries(
    of(stage, "ENV").flatMap((i) =>
      argumentsOf(i)
        .split(/\s+/)
        .map((p) => p.split("=") as [string, string]),
    ),
  );

describe("infra/Dockerfile", () => {
  it("has a build stage and a separate runtime stage that copies from it", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build.name).toBeTruthy();
    const finalStart = froms.at(-1)!.getRange().start.line;
    const copiedFrom = dockerfile
      .getCOPYs()
      .filter((c) => c.getRange().start.line > finalStart)
      .map((c) => c.getFromFlag()?.getValue());
    expect(copiedFrom).toContain(build.name);
  });

  it("installs pnpm 10 from npm (never corepack) and skips onnxruntime-node's download", () => {
    const runs = of(build, "RUN").map(argumentsOf);
    expect(runs).toContain("npm install -g pnpm@10");
    expect(runs.join("\n")).not.toMatch(/corepack/);
    expect(runs.join("\n")).toMatch(/pnpm install --frozen-lockfile/);
    expect(runs.join("\n")).toMatch(/pnpm build/);
    expect(envOf(build).ONNXRUNTIME_NODE_INSTALL).toBe("skip");
  });

  it("runs the compiled server with node as a non-root user, port 3000, data in a volume", () => {
    const cmd = of(final, "CMD");
    expect(cmd).toHaveLength(1);
    expect(JSON.parse(argumentsOf(cmd[0]!))).toEqual(["node", "apps/server/dist/index.js"]);
    expect(of(final, "ENTRYPOINT")).toHaveLength(0);
    const users = of(final, "USER").map(argumentsOf);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    expect(of(final, "EXPOSE").map(argumentsOf)).toContain("3000");
    expect(envOf(final).PORT).toBe("3000");
    const dataDir = envOf(final).DATA_DIR;
    expect(dataDir).toBeTruthy();
    expect(of(final, "VOLUME").map(argumentsOf).join(" ")).toContain(`"${dataDir}"`);
  });

  it("checks /health with node (no curl in the slim image)", () => {
    const checks = of(final, "HEALTHCHECK");
    expect(checks).toHaveLength(1);
    const check = argumentsOf(checks[0]!);
    expect(check).toMatch(/^CMD \["node",/);
    expect(check).toContain("/health");
    expect(check).not.toMatch(/curl|wget/);
  });

  it("neither installs nor downloads anything in the runtime stage, nor runs TypeScript", () => {
    const runs = of(final, "RUN").map(argumentsOf).join("\n");
    expect(runs).not.toMatch(/\b(curl|wget|apt-get|pnpm|npm|npx|yarn|corepack)\b/);
    expect(final.instructions.map(argumentsOf).join("\n")).not.toMatch(/\btsx\b/);
  });

  it("puts the compiled server, the web app, the models and the migrations into the runtime files", () => {
    // The build stage gathers them (with their repository paths) into the folder the runtime stage copies.
    const gathered = of(build, "RUN")
      .map(argumentsOf)
      .find((r) => r.includes("cp -a --parents"));
    expect(gathered).toBeDefined();
    for (const path of ["apps/server/dist", "apps/web/dist", "models", "packages/db/migrations", "node_modules"]) {
      expect(gathered!.split(/\s+/), path).toContain(path);
    }
  });

  it(".dockerignore keeps local installs and builds out, and the models in", () => {
    const ignored = readRepoFile(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    for (const pattern of ["**/node_modules", "**/dist", ".git"]) expect(ignored).toContain(pattern);
    expect(ignored.filter((p) => /models|migrations|pnpm-lock/.test(p))).toEqual([]);
  });
});
