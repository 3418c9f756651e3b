/**
 * Seeded pseudo-random numbers. Every random draw in ghostlab goes through this module so that the
 * same seed always gives the same numbers, on every machine.
 *
 * The generator is xoshiro128** (Blackman & Vigna) seeded through SplitMix32; normals use the
 * Box–Muller transform (both values of a pair are used).
 *
 * @module
 */

/** Options for {@linkcode Rng.normal}. */
export interface NormalOptions {
  /** Mean of the distribution (default 0). */
  mean?: number;
  /** Standard deviation (default 1, must be ≥ 0). */
  std?: number;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * A seeded random number generator (xoshiro128**, period 2¹²⁸ − 1).
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * rng.uniform(); // in [0, 1)
 * rng.normal({ std: 0.1 });
 * ```
 */
export class Rng {
  #s = new Uint32Array(4);
  #spare: number | null = null;
  /** The seed this generator was created with. */
  readonly seed: number;

  /**
   * @param seed a non-negative integer below 2³²; the same seed always gives the same stream.
   * @throws {RangeError} if the seed is not an integer in [0, 2³²).
   */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
      throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
    }
    this.seed = seed;
    const sm = splitmix32(seed);
    for (let i = 0; i < 4; i++) this.#s[i] = sm();
    if ((this.#s[0] | this.#s[1] | this.#s[2] | this.#s[3]) === 0) this.#s[0] = 1;
  }

  /** Next raw 32-bit unsigned integer (xoshiro128** step). */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform float in [lo, hi). */
  uniformIn(lo: number, hi: number): number {
    if (!(hi >= lo)) throw new RangeError(`uniformIn needs hi >= lo, got [${lo}, ${hi})`);
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new RangeError(`int(n) needs a positive integer n, got ${n}`);
    }
    return Math.floor(this.uniform() * n);
  }

  /** Normal draw N(mean, std²) by the Box–Muller transform. */
  normal(opts: NormalOptions = {}): number {
    const mean = opts.mean ?? 0;
    const std = opts.std ?? 1;
    if (!(std >= 0)) throw new RangeError(`normal std must be >= 0, got ${std}`);
    let z: number;
    if (this.#spare !== null) {
      z = this.#spare;
      this.#spare = null;
    } else {
      let u = 0;
      while (u === 0) u = this.uniform();
      const v = this.uniform();
      const rad = Math.sqrt(-2 * Math.log(u));
      z = rad * Math.cos(2 * Math.PI * v);
      this.#spare = rad * Math.sin(2 * Math.PI * v);
    }
    return mean + std * z;
  }

  /**
   * Fills `out` with `scale` × N(0, 1) draws: exactly `out[k] = normal() * scale` for k = 0, 1, …
   * (the same numbers and the same generator state afterwards, the Box–Muller spare included),
   * about twice as fast — the xoshiro128** state lives in locals and the transform is inlined.
   * The noise of the RNN tasks (docs/ghost-mechanism.md §2.4) is drawn this way.
   */
  fillNormals(out: Float64Array, scale = 1): void {
    const n = out.length;
    let k = 0;
    if (n === 0) return;
    if (this.#spare !== null) {
      out[k++] = (0 + this.#spare) * scale;
      this.#spare = null;
    }
    const st = this.#s;
    let s0 = st[0] | 0, s1 = st[1] | 0, s2 = st[2] | 0, s3 = st[3] | 0;
    while (k < n) {
      let u = 0, v = 0;
      for (let draw = 0; draw < 2;) {
        // two xoshiro128** outputs (27 and 26 bits) → one uniform with 53 bits, as uniform() does
        let x = 0;
        for (let half = 0; half < 2; half++) {
          const m = Math.imul(s1, 5);
          const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
          const t = s1 << 9;
          s2 ^= s0;
          s3 ^= s1;
          s1 ^= s2;
          s0 ^= s3;
          s2 ^= t;
          s3 = (s3 << 11) | (s3 >>> 21);
          x = half === 0 ? (r >>> 5) * 67108864 : (x + (r >>> 6)) / 9007199254740992;
        }
        if (draw === 0) {
          u = x;
          if (u !== 0) draw = 1; // normal() redraws u while it is 0
        } else {
          v = x;
          draw = 2;
        }
      }
      const rad = Math.sqrt(-2 * Math.log(u));
      out[k++] = (0 + rad * Math.cos(2 * Math.PI * v)) * scale;
      const z2 = rad * Math.sin(2 * Math.PI * v);
      if (k < n) out[k++] = (0 + z2) * scale;
      else this.#spare = z2;
    }
    st[0] = s0;
    st[1] = s1;
    st[2] = s2;
    st[3] = s3;
  }

  /** A Float64Array of `n` normal draws N(mean, std²). */
  normals(n: number, opts: NormalOptions = {}): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal(opts);
    return out;
  }

  /** A Float64Array of `n` uniform draws in [lo, hi). */
  uniforms(n: number, lo = 0, hi = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniformIn(lo, hi);
    return out;
  }

  /**
   * `k` distinct integers drawn uniformly from [0, n) without replacement (partial Fisher–Yates),
   * in draw order.
   */
  choice(n: number, k: number): Int32Array {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`choice n must be an integer >= 0, got ${n}`);
    }
    if (!Number.isInteger(k) || k < 0 || k > n) {
      throw new RangeError(`choice k must be an integer in [0, n=${n}], got ${k}`);
    }
    // Sparse Fisher–Yates: O(k) memory, so drawing a few columns out of many is cheap.
    const swapped = new Map<number, number>();
    const out = new Int32Array(k);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const vi = swapped.get(i) ?? i;
      const vj = swapped.get(j) ?? j;
      out[i] = vj;
      swapped.set(j, vi);
    }
    return out;
  }

  /** Shuffles an array in place (Fisher–Yates) and returns it. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Derives a well-mixed 32-bit seed from a base seed and a list of integers (e.g. seed × run index),
 * so that ensembles get independent, reproducible streams.
 */
export function deriveSeed(base: number, ...parts: number[]): number {
  let h = splitmix32(base >>> 0)();
  for (const p of parts) h = splitmix32((h ^ Math.imul(p | 0, 0x27d4eb2d)) >>> 0)();
  return h >>> 0;
}
