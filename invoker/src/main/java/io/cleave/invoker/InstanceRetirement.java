package io.cleave.invoker;

import io.vertx.core.Vertx;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * How instances end: an idle timer per ready instance, retirement (no new calls), and deletion
 * once a retired instance's calls are done and their output was read. Touched on the invoker's
 * loop only.
 */
final class InstanceRetirement {
  private static final Logger LOG = Logger.getLogger(InstanceRetirement.class.getName());

  private final Vertx vertx;
  private final NodeMemory memory;
  private final InstanceHost host;

  InstanceRetirement(Vertx vertx, NodeMemory memory, InstanceHost host) {
    this.vertx = vertx;
    this.memory = memory;
    this.host = host;
  }

  void armIdle(FunctionPool pool, Instance inst) {
    cancelIdle(inst);
    long ms = Math.max(1, pool.fn.idleTimeout()) * 1000L;
    inst.idleTimer = vertx.setTimer(ms, t -> {
      inst.idleTimer = -1;
      if (inst.state == Instance.State.READY && inst.active == 0) {
        retire(pool, inst);
      }
    });
  }

  void cancelIdle(Instance inst) {
    if (inst.idleTimer >= 0) {
      vertx.cancelTimer(inst.idleTimer);
      inst.idleTimer = -1;
    }
  }

  void retire(FunctionPool pool, Instance inst) {
    inst.state = Instance.State.RETIRED;
    cancelIdle(inst);
    destroyIfDone(pool, inst);
  }

  /** Instances parked in a JVM seed that serves no calls any more go, so the seed ends with its last instance. */
  private void retireParkedOf(FunctionPool pool, String jvm) {
    if (pool.hostsCalls(jvm)) {
      return;
    }
    for (Instance i : new java.util.ArrayList<>(pool.instances)) {
      if (jvm.equals(i.jvmSeed) && i.parked && i.state == Instance.State.READY) {
        retire(pool, i);
      }
    }
  }

  /** A retired instance goes once its calls are done and their output was read (deleting it removes the output). */
  void destroyIfDone(FunctionPool pool, Instance inst) {
    if (inst.destroyed || inst.active > 0 || inst.id == null) {
      return;
    }
    inst.destroyed = true;
    pool.instances.remove(inst);
    if (inst.jvmSeed != null) {
      pool.jvms.give(inst.jvmSeed);
      retireParkedOf(pool, inst.jvmSeed);
    }
    memory.release(inst.memoryMb);
    String id = inst.id;
    inst.logsSettled.onComplete(v -> host.delete(id)
        .onFailure(e -> LOG.log(Level.WARNING, "stopping instance " + id + " failed: " + Causes.message(e))));
  }
}
