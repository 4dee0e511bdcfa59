import { randomUUID } from "node:crypto";
import type { TestProject } from "vitest/node";

/** One id per `vitest run`, so the browser tests build the app once and share it. */
export default function setup(project: TestProject): void {
  project.provide("testRunId", randomUUID());
}
