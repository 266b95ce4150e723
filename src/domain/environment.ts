/**
 * The variables that are set to something. Unset and empty are the same thing: shells and `.env`
 * files (`.env.example` copied as it is) write "use the default" as `NAME=`.
 */
export function setVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1].trim() !== ''));
}
