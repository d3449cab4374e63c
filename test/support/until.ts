/**
 * Polls `check` until it returns something other than undefined or false, and returns that;
 * fails after `seconds`, naming what it waited for.
 */
export async function until<T>(what: string, check: () => Promise<T | undefined | false>, seconds = 60): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
