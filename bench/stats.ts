// Percentiles over recorded samples (nearest rank), in the samples' unit.
export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarize(samples: ArrayLike<number>, count = samples.length): Summary {
  const sorted = Float64Array.from({ length: count }, (_, i) => samples[i] ?? 0).sort();
  const rank = (p: number) => (count === 0 ? Number.NaN : sorted[Math.min(count - 1, Math.max(0, Math.ceil((p / 100) * count) - 1))] ?? Number.NaN);
  return { count, p50: rank(50), p99: rank(99), max: count ? (sorted[count - 1] ?? Number.NaN) : Number.NaN };
}

/** A growable list of doubles that does not allocate per sample. */
export class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  summary(): Summary {
    return summarize(this.data, this.length);
  }
}
