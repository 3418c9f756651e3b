// The Slurm job-array script (tools/slurm/sweep_array.sh): its shard logic run directly, and a real
// one-node Slurm on localhost (munged + slurmctld + slurmd from Debian's slurm-wlm and munge,
// started by tools/slurm/local_cluster.sh) running the array on the tiny fixture sweep; merging the
// shards gives the single-machine file byte for byte.
import assert from "node:assert/strict";
import { runSweepDefinition } from "../lib/sweep/mod.ts";
import { sweep as tiny } from "./fixtures/tiny_sweep.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const TINY = "tests/fixtures/tiny_sweep.ts";
const dec = new TextDecoder();

async function tempDir(): Promise<string> {
  await Deno.mkdir(`${ROOT}/build`, { recursive: true });
  return await Deno.makeTempDir({ dir: `${ROOT}/build`, prefix: "slurm_test_" });
}

async function bash(args: string[], env: Record<string, string> = {}) {
  const o = await new Deno.Command("bash", { args, cwd: ROOT, env: { NO_COLOR: "1", ...env } })
    .output();
  return { code: o.code, stdout: dec.decode(o.stdout), stderr: dec.decode(o.stderr) };
}

async function singleRun(dir: string): Promise<string> {
  const file = `${dir}/single.jsonl`;
  await runSweepDefinition(tiny, { file });
  return await Deno.readTextFile(file);
}

/** Null when a local Slurm can be started here, else why not (local_cluster.sh check). */
function slurmUsable(): string | null {
  const o = new Deno.Command("bash", { args: ["tools/slurm/local_cluster.sh", "check"], cwd: ROOT })
    .outputSync();
  return o.code === 0 ? null : dec.decode(o.stderr).trim().replace(/^local_cluster\.sh: /, "");
}

Deno.test("sweep_array.sh: shard = SLURM_ARRAY_TASK_ID of the array's count; merge = single run", async () => {
  const dir = await tempDir();
  const main = `${dir}/tiny.jsonl`;
  const array = {
    SLURM_ARRAY_TASK_MIN: "0",
    SLURM_ARRAY_TASK_MAX: "2",
    SLURM_ARRAY_TASK_COUNT: "3",
  };
  for (const id of ["2", "0", "1"]) {
    const r = await bash([
      "tools/slurm/sweep_array.sh",
      "tiny-test",
      "--module",
      TINY,
      "--file",
      main,
    ], {
      ...array,
      SLURM_ARRAY_TASK_ID: id,
      SLURM_SUBMIT_DIR: ROOT,
      SLURM_CPUS_PER_TASK: "1",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`tiny\\.shard-${id}-of-3\\.jsonl: 4/4 runs`));
  }
  const m = await bash(["-c", `deno task sweep merge tiny-test --module ${TINY} --file ${main}`]);
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stdout, /merged 3 shard file\(s\).*12\/12 runs \(complete\)/);
  assert.equal(await Deno.readTextFile(main), await singleRun(dir));
  // misuse is refused with a message
  const notArray = await bash(["tools/slurm/sweep_array.sh", "tiny-test"]);
  assert.equal(notArray.code, 2);
  assert.match(notArray.stderr, /not a job-array task; submit with sbatch --array=0-\(n-1\)/);
  const offset = await bash(["tools/slurm/sweep_array.sh", "tiny-test"], {
    SLURM_ARRAY_TASK_ID: "1",
    SLURM_ARRAY_TASK_MIN: "1",
    SLURM_ARRAY_TASK_MAX: "3",
    SLURM_ARRAY_TASK_COUNT: "3",
  });
  assert.equal(offset.code, 2);
  assert.match(offset.stderr, /the array must be 0-\(n-1\) with step 1/);
  await Deno.remove(dir, { recursive: true });
});

const why = slurmUsable();
Deno.test({
  name: `one-node Slurm on localhost: sbatch --array=0-2 + merge = single run${
    why ? ` (skipped: ${why})` : ""
  }`,
  ignore: why !== null,
  async fn() {
    const dir = await tempDir();
    const main = `${dir}/tiny.jsonl`;
    const start = await bash(["tools/slurm/local_cluster.sh", "start"]);
    assert.equal(start.code, 0, `the local Slurm did not start: ${start.stderr}`);
    const cluster = start.stdout.trim();
    try {
      const env = { SLURM_CONF: `${cluster}/slurm.conf` };
      const sub = await bash([
        "-c",
        `sbatch --wait --array=0-2 --cpus-per-task=1 --output=${dir}/slurm-%a.out ` +
        `tools/slurm/sweep_array.sh tiny-test --module ${TINY} --file ${main}`,
      ], env);
      const logs = await Promise.all(
        [0, 1, 2].map((i) => Deno.readTextFile(`${dir}/slurm-${i}.out`).catch(() => "")),
      );
      assert.equal(sub.code, 0, `sbatch failed: ${sub.stderr}\n${logs.join("\n")}`);
      assert.match(sub.stdout, /Submitted batch job \d+/);
      for (let i = 0; i < 3; i++) {
        assert.match(logs[i], new RegExp(`shard-${i}-of-3\\.jsonl: 4/4 runs`), logs[i]);
      }
      const m = await bash([
        "-c",
        `deno task sweep merge tiny-test --module ${TINY} --file ${main}`,
      ]);
      assert.equal(m.code, 0, m.stderr);
      assert.equal(await Deno.readTextFile(main), await singleRun(dir));
    } finally {
      await bash(["tools/slurm/local_cluster.sh", "stop", cluster]);
    }
    await Deno.remove(dir, { recursive: true });
  },
});
