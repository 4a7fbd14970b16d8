// Group commit for small, independent writes (decision 0130): requests that share a key (the same tenant,
// session, terminal and program) and arrive while an earlier group of that key is being written wait and
// are then written together in ONE transaction — one BEGIN, one session check, one read, one INSERT per
// table and one durable COMMIT for the whole group — and each caller gets its own answer.  Under light
// load a request finds nothing in flight and is written alone at once, so grouping adds no latency; under
// heavy load the groups grow by themselves, which is what keeps the per-dose cost (round trips, fsyncs)
// falling as the rate rises.
//
// The runner decides each item on its own (an invalid item is answered with its error and does not stop
// the others); if the transaction itself fails, every item of the group gets that failure and nothing of
// the group is stored.

export type Settled<O> = { readonly ok: true; readonly value: O } | { readonly ok: false; readonly error: unknown };

export interface GroupOptions<I, O> {
  /** Largest group written in one transaction. */
  readonly maxBatch: number;
  /** Groups of one key written at the same time (each on its own connection). */
  readonly maxInFlight: number;
  /** Writes one group; returns one answer per item, in order. */
  run(key: string, items: readonly I[]): Promise<readonly Settled<O>[]>;
}

interface Waiting<I, O> {
  readonly item: I;
  readonly resolve: (v: O) => void;
  readonly reject: (e: unknown) => void;
}

interface Lane<I, O> {
  readonly queue: Waiting<I, O>[];
  inFlight: number;
}

export interface GroupStats {
  readonly groups: number;
  readonly items: number;
  readonly largest: number;
}

export class GroupQueue<I, O> {
  readonly #lanes = new Map<string, Lane<I, O>>();
  #groups = 0;
  #items = 0;
  #largest = 0;

  constructor(private readonly opts: GroupOptions<I, O>) {
    if (opts.maxBatch < 1 || opts.maxInFlight < 1) throw new Error('maxBatch and maxInFlight must be at least 1');
  }

  /** Queues one item under `key`; resolves with its own answer once its group has committed. */
  submit(key: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      let lane = this.#lanes.get(key);
      if (!lane) {
        lane = { queue: [], inFlight: 0 };
        this.#lanes.set(key, lane);
      }
      lane.queue.push({ item, resolve, reject });
      this.#pump(key, lane);
    });
  }

  /** How many groups and items have been written (for the bench's notes and tests). */
  stats(): GroupStats {
    return { groups: this.#groups, items: this.#items, largest: this.#largest };
  }

  #pump(key: string, lane: Lane<I, O>): void {
    while (lane.inFlight < this.opts.maxInFlight && lane.queue.length > 0) {
      const group = lane.queue.splice(0, this.opts.maxBatch);
      lane.inFlight++;
      this.#groups++;
      this.#items += group.length;
      if (group.length > this.#largest) this.#largest = group.length;
      void this.#write(key, lane, group);
    }
    if (lane.inFlight === 0 && lane.queue.length === 0) this.#lanes.delete(key);
  }

  async #write(key: string, lane: Lane<I, O>, group: Waiting<I, O>[]): Promise<void> {
    try {
      const out = await this.opts.run(key, group.map((g) => g.item));
      if (out.length !== group.length) throw new Error(`group runner answered ${out.length} of ${group.length} items`);
      group.forEach((g, i) => {
        const r = out[i]!;
        if (r.ok) g.resolve(r.value);
        else g.reject(r.error);
      });
    } catch (e) {
      for (const g of group) g.reject(e);
    } finally {
      lane.inFlight--;
      this.#pump(key, lane);
    }
  }
}
