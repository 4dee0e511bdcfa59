import { describe, expect, it } from "vitest";
import { matchRoute } from "./router";

describe("matchRoute", () => {
  it("maps the server's SPA paths to pages", () => {
    expect(matchRoute("/")).toEqual({ name: "home" });
    expect(matchRoute("/join/AB3K9Q")).toEqual({ name: "join", code: "AB3K9Q" });
    expect(matchRoute("/dashboard/5f0c")).toEqual({ name: "dashboard", sessionId: "5f0c" });
    expect(matchRoute("/report/5f0c/")).toEqual({ name: "report", sessionId: "5f0c" });
    expect(matchRoute("/upload")).toEqual({ name: "upload" });
    expect(matchRoute("/upload/5f0c")).toEqual({ name: "upload", sessionId: "5f0c" });
    expect(matchRoute("/models")).toEqual({ name: "models" });
  });

  it("answers not_found for anything else", () => {
    expect(matchRoute("/join")).toEqual({ name: "not_found" });
    expect(matchRoute("/upload/x/y")).toEqual({ name: "not_found" });
    expect(matchRoute("/dashboard/a/b")).toEqual({ name: "not_found" });
    expect(matchRoute("/settings")).toEqual({ name: "not_found" });
  });
});
