import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/.turbo/**", "training/.*/**", "data/**", "**/*.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-syntax": ["error", { selector: "ThrowStatement > Literal", message: "Throw an AppError, never a string." }],
    },
  },
  {
    files: ["apps/server/src/**/*.ts", "packages/**/*.ts"],
    // spawn.ts starts a server child for tools and tests and hands it this process's environment.
    ignores: ["**/env.ts", "**/*.test.ts", "apps/server/src/spawn.ts"],
    rules: { "no-restricted-properties": ["error", { object: "process", property: "env", message: "Read configuration from env.ts." }] },
  },
);
