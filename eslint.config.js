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
    ignores: ["**/env.ts", "**/*.test.ts"],
    rules: { "no-restricted-properties": ["error", { object: "process", property: "env", message: "Read configuration from env.ts." }] },
  },
);
