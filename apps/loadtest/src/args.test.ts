import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "./args";

describe("parseArgs", () => {
  it("reads the documented flags and fills defaults", () => {
    expect(parseArgs(["--listeners", "500", "--fps=4", "--seconds", "60", "--url", "http://localhost:3000/", "--json"])).toMatchObject({
      listeners: 500,
      fps: 4,
      seconds: 60,
      url: ["http://localhost:3000"],
      json: true,
    });
    expect(parseArgs(["--url", "http://a:3000, http://b:3000/", "--mood-only"])).toMatchObject({ url: ["http://a:3000", "http://b:3000"], moodOnly: true });
    expect(parseArgs(["--instances", "2"])).toMatchObject({ instances: 2 });
    expect(parseArgs([])).toMatchObject({ listeners: 50, fps: 4, seconds: 10, json: false });
  });

  it.each([
    [["--listeners", "many"], /--listeners must be a number/],
    [["--listeners", "2.5"], /--listeners must be a whole number/],
    [["--listeners", "0"], /--listeners must be between 1 and 5000/],
    [["--fps", "-1"], /--fps must be above 0/],
    [["--seconds"], /--seconds needs a value/],
    [["--url", "localhost:3000"], /--url must be http\(s\) URLs/],
    [["--url", "http://a:3000,ftp://b"], /--url must be http\(s\) URLs/],
    [["--instances", "9"], /--instances must be between 1 and 8/],
    [["--instances", "2", "--url", "http://a:3000"], /--instances and --url exclude each other/],
    [["--listner", "5"], /unknown flag --listner/],
    [["--json=yes"], /--json takes no value/],
    [["--session", "abc"], /--session, --code and --token go together/],
    [["--session", "a", "--code", "ABCD", "--token", "t"], /--session needs --url/],
  ])("rejects %j with a message naming the flag", (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});
