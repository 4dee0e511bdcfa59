// Worker threads start without the parent's module loaders (the pool passes execArgv: []), so this
// bootstrap registers tsx itself: the TypeScript worker and the workspace packages it imports then load
// the same way whether the server runs under `tsx`, `node --import tsx` or vitest.
import { register } from "tsx/esm/api";

register();
await import("./inference.worker.ts");
