/**
 * Argument checks shared by the whole library (one home: every module validates through these). Every check throws an error that names the
 * argument and its valid range.
 *
 * @module
 */

/** Throws unless `v` is a finite number. */
export function requireFinite(name: string, v: number): void {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new RangeError(`${name} must be a finite number, got ${v}`);
  }
}

/** Throws unless `v` is a finite number > 0. */
export function requirePositive(name: string, v: number): void {
  if (typeof v !== "number" || !Number.isFinite(v) || !(v > 0)) {
    throw new RangeError(`${name} must be a finite number > 0, got ${v}`);
  }
}

/** Throws unless `v` is a finite number ≥ 0. */
export function requireNonNegative(name: string, v: number): void {
  if (typeof v !== "number" || !Number.isFinite(v) || !(v >= 0)) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${v}`);
  }
}

/** Throws unless `v` is an integer ≥ `min`. */
export function requireInteger(name: string, v: number, min: number): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  }
}

/** Throws unless every entry of `a` is finite (and the array is non-empty when `nonEmpty`). */
export function requireFiniteArray(name: string, a: ArrayLike<number>, nonEmpty = true): void {
  if (a === null || typeof a !== "object" || typeof a.length !== "number") {
    throw new TypeError(`${name} must be an array of finite numbers, got ${a}`);
  }
  if (nonEmpty && a.length === 0) throw new RangeError(`${name} must not be empty`);
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) {
      throw new RangeError(`${name}[${i}] must be a finite number, got ${a[i]}`);
    }
  }
}

/**
 * Throws unless `a` is a non-empty array of finite numbers whose length is a multiple of `dim`
 * (states stored row-major, count×dim); returns the count.
 */
export function requireRows(name: string, a: ArrayLike<number>, dim: number): number {
  requireFiniteArray(name, a);
  if (a.length % dim !== 0) {
    throw new RangeError(
      `${name} must be row-major count×dim (dim = ${dim}), got length ${a.length}`,
    );
  }
  return a.length / dim;
}

/**
 * Throws unless `a` is an array of exactly `n` finite numbers; `what` describes the expected
 * shape in the message (e.g. "N×K", "dim").
 */
export function requireLength(name: string, a: ArrayLike<number>, n: number, what = "n"): void {
  if (a === null || typeof a !== "object" || typeof a.length !== "number") {
    throw new TypeError(`${name} must be an array of ${what} = ${n} finite numbers, got ${a}`);
  }
  if (a.length !== n) {
    throw new RangeError(`${name} must have ${what} = ${n} entries, got ${a.length}`);
  }
  requireFiniteArray(name, a, false);
}
