/**
 * Internal: per-process caches for generated text. Nothing here is exported from
 * the package.
 *
 * An app with thousands of pods renders the same few configuration files again and
 * again (the same props give the same file). A cache keyed by the whole input
 * renders each distinct file once, and lets every pod share one string
 * instead of holding a copy. The output is exactly what an uncached render gives.
 */
export class TextCache<T> {
  private readonly entries = new Map<string, T>();

  /**
   * @param limit the number of distinct entries kept; the cache starts over when it is full
   */
  public constructor(private readonly limit = 256) {}

  /** The value for `key`, produced by `produce` the first time `key` is asked for. */
  public get(key: string, produce: () => T): T {
    let value = this.entries.get(key);
    if (value === undefined) {
      value = produce();
      if (this.entries.size >= this.limit) this.entries.clear();
      this.entries.set(key, value);
    }
    return value;
  }
}
