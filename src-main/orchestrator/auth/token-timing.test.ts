// A statistical timing test of token comparison (docs/SECURITY.md "Credentials and scopes"): tokens
// that share all but their last character with a valid one must take no longer to refuse than random
// tokens. Rounds time one batch of each kind back to back, in a random order; without a leak, "the
// prefix batch was slower" is a coin flip. The bounds are wide (load shifts both batches alike, so it
// pushes the count toward one half, never out of the band), and a control run proves the same
// statistic catches an early-exit comparison.
import { randomBytes, randomInt } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TokenSet } from "./token-set.js";

const ROUNDS = 300;
const BATCH = 200;

function hex(n: number): string {
  return randomBytes(n / 2).toString("hex");
}

/**
 * `valid` with only its last three characters changed (at random, never all three kept); made through a
 * Buffer so it is a flat string like the random ones. Varied, not one fixed near miss: the set finds a
 * token by its digest in a Map, and the same digest looked up 200 times in a row finds the CPU's caches
 * warm (the near misses came out ~2 % faster than the random tokens), which is no leak but moved the
 * statistic toward its lower bound.
 */
function nearMiss(valid: string): string {
  let tail = valid.slice(-3);
  while (tail === valid.slice(-3)) tail = hex(4).slice(0, 3);
  return Buffer.from(valid.slice(0, -3) + tail, "latin1").toString("latin1");
}

function timeBatch(check: (t: string) => unknown, tokens: readonly string[]): number {
  const t0 = process.hrtime.bigint();
  for (const t of tokens) check(t);
  return Number(process.hrtime.bigint() - t0);
}

/** In how many rounds the near-miss batch was slower, and the median ratio of their times. */
function compare(check: (t: string) => unknown, valid: string): { slowerShare: number; medianRatio: number } {
  // Fresh strings of both kinds every round: neither batch gains from caches the other lacks.
  const randoms = () => Array.from({ length: BATCH }, () => hex(valid.length));
  const nearMisses = () => Array.from({ length: BATCH }, () => nearMiss(valid));
  for (let i = 0; i < 20; i++) {
    timeBatch(check, randoms());
    timeBatch(check, nearMisses());
  }
  let slower = 0;
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const random = randoms();
    const prefix = nearMisses();
    let a: number;
    let b: number;
    if (randomInt(2) === 0) {
      a = timeBatch(check, prefix);
      b = timeBatch(check, random);
    } else {
      b = timeBatch(check, random);
      a = timeBatch(check, prefix);
    }
    if (a > b) slower++;
    ratios.push(a / b);
  }
  ratios.sort((x, y) => x - y);
  return { slowerShare: slower / ROUNDS, medianRatio: ratios[Math.floor(ROUNDS / 2)] as number };
}

describe("token comparison timing", () => {
  it("refuses a token matching all but its last character as fast as a random one", () => {
    const set = new TokenSet();
    const valid = hex(64);
    set.addToken(valid, "config");
    set.addToken(hex(64), "config");
    for (let i = 0; i < 20; i++) set.addDigest(randomBytes(32), hex(6), `k${i}`, ["inference"]);
    expect(set.match(valid)).not.toBeNull();
    const result = compare((t) => set.match(t), valid);
    console.log(`token timing: near-miss slower in ${(result.slowerShare * 100).toFixed(1)} % of ${ROUNDS} rounds of ${BATCH}; median time ratio ${result.medianRatio.toFixed(3)}`);
    // Under no leak the share is ~50 % (σ ≈ 2.9 % for 300 rounds). A leak makes near misses slower: the
    // upper bounds are the test (the control below shows the statistic crosses them). Near misses coming
    // out faster is no leak (22.7 % once, with other test files running on the same two cores); the
    // lower bounds only catch a broken measurement.
    expect(result.slowerShare).toBeGreaterThan(0.1);
    expect(result.slowerShare).toBeLessThan(0.75);
    expect(result.medianRatio).toBeGreaterThan(0.6);
    expect(result.medianRatio).toBeLessThan(1.25);
  });

  it("(control) the same statistic catches an early-exit comparison", () => {
    const valid = hex(64);
    // What timingSafeEqual over digests replaces: a character loop that stops at the first difference.
    const leaky = (t: string): boolean => {
      if (t.length !== valid.length) return false;
      for (let i = 0; i < t.length; i++) if (t.charCodeAt(i) !== valid.charCodeAt(i)) return false;
      return true;
    };
    const result = compare(leaky, valid);
    console.log(`token timing (control, early exit): near-miss slower in ${(result.slowerShare * 100).toFixed(1)} % of rounds; median ratio ${result.medianRatio.toFixed(3)}`);
    expect(result.slowerShare).toBeGreaterThan(0.75);
  });
});
