/**
 * The process environment as it is now, and a function that puts it back: for tests that set the
 * app's settings there (the host and the functions read them from it, as in Azure).
 */
export function savedEnvironment(): () => void {
  const saved = { ...process.env };
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  };
}
