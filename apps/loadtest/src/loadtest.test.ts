import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", ...args], { cwd: PACKAGE_DIR, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const percentiles = { p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number) };

describe("pnpm loadtest", () => {
  it("runs a small load against a server it starts and loses no reading", async () => {
    const { code, stdout, stderr } = await runCli(["--listeners", "5", "--fps", "2", "--seconds", "3", "--json"]);
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split("\n");
    const result = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(Object.keys(result).slice(0, 7)).toEqual(["sent", "acked", "stored", "lost", "ackMs", "dashboardMs", "serverRssMb"]);
    expect(result).toMatchObject({ sent: 30, acked: 30, stored: 30, lost: 0, ackMs: percentiles, dashboardMs: percentiles, nacked: 0, dashboardReceived: 30 });
    expect(result.serverRssMb).toBeGreaterThan(50);
    // The room mood the dashboard draws: about one a second, each showing the five listeners' faces.
    expect(result).toMatchObject({ moodMs: percentiles, mostPresent: 5, instances: 1 });
    expect(result.serverCpuSecondsPer1000Crops).toBeGreaterThan(0);
    expect(stdout).toContain("lost 0");
    // One progress line a second on stderr.
    expect(stderr).toMatch(/\[\s+1 s\] sent \d+/);
  });

  it("rejects a bad flag with exit code 2 and names it", async () => {
    const { code, stderr } = await runCli(["--fps", "fast"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--fps must be a number");
  });
});
