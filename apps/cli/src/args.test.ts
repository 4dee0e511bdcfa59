import { AppError } from "@emotion/protocol";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineCommand, parseArgv } from "./args";

const flags = { json: { type: "boolean" as const, description: "" }, outDir: { type: "string" as const, description: "" } };

describe("parseArgv", () => {
  it("reads boolean and string flags in both spellings, and positionals", () => {
    expect(parseArgv(["a.png", "--json", "--out-dir", "x"], flags, "t")).toEqual({ values: { json: true, outDir: "x" }, positionals: ["a.png"] });
    expect(parseArgv(["--out-dir=y", "--", "--json"], flags, "t")).toEqual({ values: { outDir: "y" }, positionals: ["--json"] });
  });

  it.each([
    [["--nope"], "unknown flag --nope"],
    [["--outDir", "x"], "unknown flag --outDir"],
    [["-x"], "unknown flag -x"],
    [["--out-dir"], "--out-dir needs a value"],
    [["--json=1"], "--json takes no value"],
    [["--json", "--json"], "--json is given more than once"],
  ])("rejects %j", (argv, message) => {
    expect(() => parseArgv(argv, flags, "t")).toThrow(message);
  });
});

describe("defineCommand", () => {
  const seen: unknown[] = [];
  const command = defineCommand({
    name: "t",
    summary: "test",
    positionals: [{ name: "input", label: "<input>", description: "" }],
    flags: { n: { type: "string", description: "" } },
    schema: z.object({ input: z.string({ error: "is required" }), n: z.coerce.number().int({ error: "must be an integer" }).default(1) }),
    async run(o) {
      seen.push(o);
    },
  });

  it("validates with zod and names the flag in a BAD_REQUEST error", async () => {
    await expect(command.main(["a", "--n", "1.5"])).rejects.toThrow("--n: must be an integer");
    await expect(command.main([])).rejects.toThrow("<input>: is required");
    await expect(command.main(["a", "b"])).rejects.toSatisfy((e) => e instanceof AppError && e.code === "BAD_REQUEST");
    expect(await command.main(["a", "--n", "3"])).toBe(0);
    expect(seen).toEqual([{ input: "a", n: 3 }]);
  });
});
