/** Database backends for describe.each: PGlite always, Postgres when a URL is given. */
export function dbBackends(testDatabaseUrl: string | undefined): Array<[string, { url?: string }]> {
  const list: Array<[string, { url?: string }]> = [["pglite", {}]];
  if (testDatabaseUrl) list.push(["postgres", { url: testDatabaseUrl }]);
  return list;
}
