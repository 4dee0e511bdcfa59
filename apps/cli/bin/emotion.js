#!/usr/bin/env node
// The `emotion` binary: runs the TypeScript sources through tsx (workspace packages are compiled just in time).
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
