package io.glimpse.runner.engine;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.runner.schedule.Sequence;
import io.glimpse.runner.schedule.StepPlan;
import io.glimpse.runner.schedule.StepScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * The runner's one thread of model work: asks the scheduler for a step, has the executor run it,
 * samples each generation's next token and tells the scheduler who ended. Finishing and failing a
 * generation happen here and nowhere else.
 */
final class StepLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StepLoop.class);
    private final StepScheduler<Generation> scheduler;
    private final BatchExecutor executor;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    StepLoop(StepScheduler<Generation> scheduler, BatchExecutor executor) {
        this.scheduler = scheduler;
        this.executor = executor;
        threads.add(new Thread(this::decodeLane, "runner-decode"));
        for (int i = 0; i < scheduler.limits().prefillLanes(); i++) {
            threads.add(new Thread(this::prefillLane, "runner-prefill-" + i));
        }
        for (Thread t : threads) {
            t.setDaemon(true);
            t.start();
        }
    }

    private void decodeLane() {
        while (!closed) {
            try {
                scheduler.awaitStep(100);
                step(scheduler.next());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Throwable t) {   // a bug here must not stop every later generation
                LOG.error("runner step failed", t);
            }
        }
    }

    /** Runs prompt chunks beside the decode lane; a prompt's last chunk gives its first token. */
    private void prefillLane() {
        while (!closed) {
            StepPlan.PrefillChunk<Generation> c;
            try {
                c = scheduler.awaitChunk(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (c != null) {
                boolean ended = prefill(c);
                scheduler.chunkDone(c, ended);
                if (ended) {
                    finish(c.sequence().payload());
                }
            }
        }
    }

    /** Runs one chunk; true when the generation ends with it (its first token ended it, or the run failed). */
    private boolean prefill(StepPlan.PrefillChunk<Generation> c) {
        Generation g = c.sequence().payload();
        try {
            if (c.from() == 0) {
                g.prefillStartNanos = System.nanoTime();
            }
            executor.prefill(g, c.from(), c.to());
            if (c.last()) {
                g.decodeStartNanos = System.nanoTime();
                return !sample(g);
            }
            return false;
        } catch (RuntimeException e) {
            fail(g, e);
            return true;
        }
    }

    private void step(StepPlan<Generation> plan) {
        for (StepPlan.Departure<Generation> d : plan.departures()) {
            fail(d.sequence().payload(), d.reason() == StepPlan.Reason.DEADLINE
                    ? new GlimpseException(GlimpseException.Kind.DEADLINE_EXCEEDED,
                    "generation stopped: its deadline passed after " + d.sequence().decoded() + " decode steps")
                    : GlimpseException.cancelled("generation stopped: the call was cancelled"));
        }
        if (plan.idle()) {
            executor.idle();
            scheduler.completed(plan, List.of(), 0, 0);
            return;
        }
        List<Sequence<Generation>> ended = new ArrayList<>();
        long t0 = System.nanoTime();
        decode(plan.decode(), ended);
        long t1 = System.nanoTime();
        if (plan.prefill() != null && prefill(plan.prefill())) {
            ended.add(plan.prefill().sequence());
        }
        long t2 = System.nanoTime();
        scheduler.completed(plan, ended, t1 - t0, t2 - t1);
        for (Sequence<Generation> s : ended) {
            finish(s.payload());
        }
    }

    /** The decode batch's step and each core-neuron generation's own; those that end join {@code ended}. */
    private void decode(List<Sequence<Generation>> rows, List<Sequence<Generation>> ended) {
        if (rows.isEmpty()) {
            executor.decode(List.of());
            return;
        }
        List<Generation> members = new ArrayList<>();
        for (Sequence<Generation> s : rows) {
            members.add(s.payload());
        }
        try {
            executor.decode(members);
        } catch (RuntimeException e) {
            LOG.warn("decode batch of {} failed: {}", members.size(), e.toString());
            for (Sequence<Generation> s : rows) {
                if (!s.payload().core()) {
                    fail(s.payload(), e);
                    ended.add(s);
                }
            }
        }
        for (Sequence<Generation> s : rows) {
            Generation g = s.payload();
            if (ended.contains(s)) {
                continue;
            }
            if (g.core()) {
                try {
                    executor.decodeCore(g);
                } catch (RuntimeException e) {
                    fail(g, e);
                    ended.add(s);
                    continue;
                }
            }
            if (!sample(g)) {
                ended.add(s);
            }
        }
    }

    /** The generation's next token from its last logits; false when it ends here. */
    private static boolean sample(Generation g) {
        if (g.cancel.isCancelled() || g.done.isDone()) {
            return false;
        }
        try {
            return g.progress.next(g.logits);
        } catch (RuntimeException e) {   // the caller's stream is gone: as good as cancelled
            g.cancel.cancel();
            return false;
        }
    }

    private static void finish(Generation g) {
        long now = System.nanoTime();
        g.done.complete(new GenerationResult(g.progress.text(), g.layout.length(), g.layout.visualTokens(),
                g.progress.generated().size(), g.progress.finish(), (g.prefillStartNanos - g.submittedNanos) / 1000,
                (g.decodeStartNanos - g.prefillStartNanos) / 1000, (now - g.decodeStartNanos) / 1000));
        g.release();
    }

    private static void fail(Generation g, Throwable t) {
        GlimpseException e = t instanceof GlimpseException ge ? ge
                : new GlimpseException(GlimpseException.Kind.INTERNAL, "generation failed: " + t.getMessage(), t);
        g.done.completeExceptionally(e);
        g.release();
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        for (Thread t : threads) {
            t.join(5000);
        }
        for (Sequence<Generation> s : scheduler.drain()) {
            fail(s.payload(), GlimpseException.cancelled("the runner is shutting down"));
        }
    }
}
