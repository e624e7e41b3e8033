package io.cleave.invoker;

import io.cleave.common.model.StartMode;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A placed call's way through its instance: sent on the instance's listener, then its end settled
 * (answer or error, the instance kept, retired or its JVM seed's idle instances with it) and
 * recorded. A call the instance never received, or that lost its remote child to its seed's loss,
 * runs again once another way. Runs on the invoker's loop, as {@link InstancePools} does.
 */
final class CallDispatch {
  private final InvokerLoop loop;
  private final InvokerSettings settings;
  private final InstanceHost host;
  private final InstanceClient client;
  private final CallRecords records;
  private final NodeMemory memory;
  private final Seeds seeds;
  private final RemoteChildLoss childLoss;
  private final InstanceRetirement retirement;
  private final Consumer<FunctionPool> schedule;
  private final Consumer<FunctionPool> parkAhead;

  /** {@code schedule} serves a pool's waiting calls again; {@code parkAhead} tops up its instances made ahead. */
  CallDispatch(InvokerLoop loop, InvokerSettings settings, InstanceHost host, InstanceClient client,
      CallRecords records, NodeMemory memory, Seeds seeds, RemoteChildLoss childLoss, InstanceRetirement retirement,
      Consumer<FunctionPool> schedule, Consumer<FunctionPool> parkAhead) {
    this.loop = loop;
    this.settings = settings;
    this.host = host;
    this.client = client;
    this.records = records;
    this.memory = memory;
    this.seeds = seeds;
    this.childLoss = childLoss;
    this.retirement = retirement;
    this.schedule = schedule;
    this.parkAhead = parkAhead;
  }

  /** Runs {@code pending} on {@code inst}, which the caller counted the call against. */
  void dispatch(FunctionPool pool, Pending pending, Instance inst) {
    memory.stopWaiting(pending);
    inst.active++;
    retirement.cancelIdle(inst);
    inst.lastUsedNanos = System.nanoTime();
    boolean handedOver = inst.parked;
    if (handedOver) {
      inst.parked = false;
      if (pool.seed != null) {
        seeds.forking(pool.seed);
      }
    }
    // A parked child's start was over before the call came: the call waited for none of it.
    CallRecords.Placed placed = new CallRecords.Placed(inst.served ? StartMode.WARM : inst.origin,
        inst.served || handedOver ? 0 : inst.initMs, inst.served ? null : inst.startNote, inst.seedNode,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pending.arrivedNanos));
    inst.served = true;
    int timeoutSeconds = Math.max(1, pool.fn.timeout());
    Instant deadline = Instant.now().plusSeconds(timeoutSeconds);
    loop.here(client.dispatch(inst.listener, pending.call, deadline)).onComplete(
        ar -> finish(pool, pending, inst, placed, timeoutSeconds,
            ar.succeeded() ? ar.result() : new InstanceClient.Broken(Causes.message(ar.cause()), true)));
  }

  private void finish(FunctionPool pool, Pending pending, Instance inst, CallRecords.Placed placed, int timeoutSeconds,
      InstanceClient.Outcome outcome) {
    if (outcome instanceof InstanceClient.Broken b && !pending.redispatched) {
      if (!b.delivered()) {
        // The instance is gone and the function never saw the call: replace the instance, run the call again.
        redispatch(pool, pending, inst);
        return;
      }
      if (inst.restoredFrom != null) {
        // A remote child dies mid-call when its seed's page server goes (node lost, seed revoked):
        // the call did not fail, its pages did, so it runs again another way.
        loop.here(childLoss.endedBySeedLoss(inst.id)).onComplete(reason -> {
          if (reason.succeeded() && reason.result() != null) {
            childLoss.cutOff(pool, inst, reason.result(), i -> retirement.retire(pool, i));
            redispatch(pool, pending, inst);
          } else {
            end(pool, pending, inst, placed, timeoutSeconds, outcome);
          }
        });
        return;
      }
    }
    end(pool, pending, inst, placed, timeoutSeconds, outcome);
  }

  private void redispatch(FunctionPool pool, Pending pending, Instance inst) {
    inst.active--;
    retirement.retire(pool, inst);
    pending.redispatched = true;
    pool.queue.addFirst(pending);
    schedule.accept(pool);
  }

  private void end(FunctionPool pool, Pending pending, Instance inst, CallRecords.Placed placed, int timeoutSeconds,
      InstanceClient.Outcome outcome) {
    CallRecords.OutputSlice slice = records.ended(pending.call, inst);
    CallEnd.of(outcome, placed.mode(), timeoutSeconds, inst.memoryMb, () -> loop.here(host.status(inst.id)))
        .onSuccess(end -> {
          if (end.answer() != null) {
            pending.promise.tryComplete(end.answer().ranOn(settings.node()));
          } else {
            pending.promise.tryFail(end.error());
          }
          inst.active--;
          inst.lastUsedNanos = System.nanoTime();
          if (end.retire() || inst.singleUse || !inst.version.equals(pool.version)) {
            inst.state = Instance.State.RETIRED;
          }
          if (inst.jvmSeed != null && end.crashed()) {
            // Its JVM seed is gone with every instance in it: the idle ones go now rather than fail the next calls.
            pool.jvmSeedLost(inst.jvmSeed).forEach(i -> retirement.retire(pool, i));
          }
          Future<Void> recorded = records.ran(pending, placed, end, slice);
          inst.logsSettled = inst.logsSettled.transform(v -> recorded);
          recorded.onComplete(v -> {
            if (inst.state == Instance.State.RETIRED) {
              retirement.destroyIfDone(pool, inst);
            }
          });
          if (inst.state == Instance.State.READY) {
            if (inst.active == 0) {
              retirement.armIdle(pool, inst);
            }
            schedule.accept(pool);
          }
          parkAhead.accept(pool);
        });
  }
}
