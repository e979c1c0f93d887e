/**
 * The newest `limit` items appended, oldest first: a ring buffer, so appending to a full
 * log drops the oldest item in constant time.
 */
export class BoundedLog<T> {
  private readonly items: T[] = [];
  /** Where the oldest item is once the log is full (the next one to be overwritten). */
  private oldest = 0;

  constructor(private readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`a log limit must be a positive integer, got ${limit}`);
  }

  push(item: T): void {
    if (this.items.length < this.limit) {
      this.items.push(item);
      return;
    }
    this.items[this.oldest] = item;
    this.oldest = (this.oldest + 1) % this.limit;
  }

  /** The newest `count` items, oldest first. */
  last(count: number): T[] {
    const length = this.items.length;
    const n = Math.max(0, Math.min(count, length));
    const out: T[] = [];
    for (let i = length - n; i < length; i += 1) {
      const item = this.items[(this.oldest + i) % length];
      if (item !== undefined) out.push(item);
    }
    return out;
  }

  get length(): number {
    return this.items.length;
  }
}
