/**
 * TF.js (float32, CPU backend) implementation of the same forward passes (docs/ghost-mechanism.md §2.1–2.5),
 * written in the plain N-dimensional form (no κ-reduction), used as the independent autodiff
 * gradient oracle of the hand-written BPTT in the tests. Not used for training.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { makeTask, type TaskSpec } from "../tasks/mod.ts";
import { layoutOf, type ModelSpec, resolveModel } from "./model.ts";

let ready: Promise<boolean> | null = null;

/**
 * Loss, autodiff gradient (tf.grads) and outputs of one epoch in TF.js float32 for named
 * parameters, initial states `r0` (batch × N) and noise `xi` (steps × batch × N, optional).
 */
export async function tfLossAndGrad(
  model: ModelSpec,
  taskSpec: TaskSpec,
  params: Record<string, ArrayLike<number>>,
  r0: ArrayLike<number>,
  xi?: ArrayLike<number>,
): Promise<{ loss: number; grad: Record<string, number[]>; outputs: number[] }> {
  ready ??= tf.setBackend("cpu");
  await ready;
  const task = makeTask(taskSpec);
  const m = resolveModel(model, task);
  const layout = layoutOf(m);
  const { N, alpha } = m;
  const S = task.steps, B = task.batch;
  const names = layout.names;
  const shapeOf = (name: string): number[] => {
    const sh = layout.shapes[names.indexOf(name)];
    // vectors used as column (N×1) read-outs
    if ((name === "W_out") && m.kind !== "rankOne") return [sh[0], 1];
    if (name === "W_in") return [1, sh[0]];
    return sh;
  };
  const xs = names.map((n) => tf.tensor(Array.from(params[n]), shapeOf(n), "float32"));
  const u = tf.tensor2d(Array.from(task.inputs), [S, B]);
  const y = tf.tensor2d(Array.from(task.targets), [S, B]);
  const x0 = tf.tensor2d(Array.from(r0), [B, N]);
  const noise = xi ? tf.tensor3d(Array.from(xi), [S, B, N]) : null;
  let outputs: number[] = [];
  const forward = (...ps: tf.Tensor[]): tf.Scalar => {
    const P: Record<string, tf.Tensor> = {};
    names.forEach((n, i) => (P[n] = ps[i]));
    const outs: tf.Tensor[] = [];
    let x: tf.Tensor = x0;
    const act = (z: tf.Tensor) => (m.readout === "tanh" ? tf.tanh(z) : tf.sigmoid(z));
    if (m.kind === "rankOne") {
      const c = m.trainConfidence ? P.c : tf.scalar(m.confidence);
      for (let t = 0; t < S; t++) {
        const kappa = tf.sum(tf.mul(x, P.n));
        const phi = tf.tanh(tf.add(tf.mul(P.m, kappa), P.b));
        x = tf.add(tf.mul(1 - alpha, x), tf.mul(alpha, phi));
        const k2 = tf.sum(tf.mul(x, P.n));
        outs.push(tf.reshape(tf.sigmoid(tf.mul(c, tf.sub(k2, m.threshold))), [B]));
      }
    } else {
      const readout = (r: tf.Tensor): tf.Tensor => {
        if (m.kind === "lowRank") {
          return tf.reshape(
            act(
              tf.add(
                tf.matMul(
                  tf.matMul(r as tf.Tensor2D, P.S_l as tf.Tensor2D),
                  P.W_out as tf.Tensor2D,
                ),
                P.b_out,
              ),
            ),
            [B],
          );
        }
        const z = tf.add(tf.matMul(r as tf.Tensor2D, P.W_out as tf.Tensor2D), P.b_out);
        return tf.reshape(m.kind === "rankK" ? tf.sigmoid(z) : act(z), [B]);
      };
      for (let t = 0; t < S; t++) {
        if (m.readoutTiming === "before" && m.kind !== "rankK") outs.push(readout(x));
        let pre: tf.Tensor;
        const x2 = x as tf.Tensor2D;
        if (m.kind === "rankK") {
          pre = tf.matMul(tf.matMul(x2, P.m as tf.Tensor2D), P.n as tf.Tensor2D);
        } else if (m.kind === "fullRank") pre = tf.matMul(x2, P.W as tf.Tensor2D);
        else pre = tf.matMul(tf.matMul(x2, P.S_l as tf.Tensor2D), P.S_r as tf.Tensor2D);
        pre = tf.add(pre, P.b);
        if (m.hasInput) {
          const ut = tf.reshape(tf.slice(u, [t, 0], [1, B]), [B, 1]);
          pre = tf.add(pre, tf.matMul(ut, P.W_in as tf.Tensor2D));
        }
        if (noise) pre = tf.add(pre, tf.reshape(tf.slice(noise, [t, 0, 0], [1, B, N]), [B, N]));
        x = tf.add(tf.mul(1 - alpha, x), tf.mul(alpha, tf.tanh(pre)));
        if (m.readoutTiming === "after" || m.kind === "rankK") outs.push(readout(x));
      }
    }
    const o = tf.stack(outs); // S × B
    outputs = Array.from(o.dataSync());
    return tf.mul(task.lossScale, tf.sum(tf.square(tf.sub(o, y)))) as tf.Scalar;
  };
  const { value, grads } = tf.valueAndGrads(forward)(xs);
  const grad: Record<string, number[]> = {};
  names.forEach((n, i) => (grad[n] = Array.from(grads[i].dataSync())));
  const loss = (await value.data())[0];
  tf.dispose([...xs, ...grads, value, u, y, x0, ...(noise ? [noise] : [])]);
  return { loss, grad, outputs };
}
