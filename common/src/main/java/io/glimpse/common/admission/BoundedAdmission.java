package io.glimpse.common.admission;

import io.glimpse.common.error.GlimpseException;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * At most {@code maxConcurrent} calls run; up to {@code maxQueued} more wait; anything beyond is
 * refused at once with RESOURCE_EXHAUSTED, so overload costs the caller a fast, clear answer
 * instead of an unbounded queue. The refusal carries a retry-after: how long a slot is held on
 * average (a moving average of recent calls), scaled by the calls already waiting for one.
 */
public final class BoundedAdmission {
    /** Releases the slot when closed. */
    public interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    private static final long MIN_RETRY_MILLIS = 50;

    private final String what;
    private final int maxConcurrent;
    private final int maxQueued;
    private final FifoSlots running;
    private final AtomicLong meanHoldMicros = new AtomicLong(100_000);
    private final AtomicLong refused = new AtomicLong();

    public BoundedAdmission(String what, int maxConcurrent, int maxQueued) {
        if (maxConcurrent < 1 || maxQueued < 0) {
            throw new IllegalArgumentException("maxConcurrent >= 1 and maxQueued >= 0 required");
        }
        this.what = what;
        this.maxConcurrent = maxConcurrent;
        this.maxQueued = maxQueued;
        this.running = new FifoSlots(maxConcurrent);
    }

    /**
     * Waits for a slot while {@code stillWanted} holds (e.g. the call is not cancelled); throws
     * RESOURCE_EXHAUSTED when the queue is full and CANCELLED when the caller gave up.
     */
    public Permit admit(BooleanSupplier stillWanted) {
        if (!running.acquire(stillWanted, what, maxQueued)) {
            refused.incrementAndGet();
            Duration retry = retryAfter();
            throw GlimpseException.exhausted(what + " is busy: " + maxConcurrent + " running and " + maxQueued
                    + " queued; retry in " + retry.toMillis() + " ms or add replicas", retry);
        }
        long start = System.nanoTime();
        return () -> {
            long held = (System.nanoTime() - start) / 1000;
            meanHoldMicros.updateAndGet(m -> m + (held - m) / 8);
            running.release();
        };
    }

    /** The hint a refused caller gets. */
    public Duration retryAfter() {
        long waves = 1 + (long) maxQueued / maxConcurrent;
        return Duration.ofMillis(Math.max(MIN_RETRY_MILLIS, meanHoldMicros.get() * waves / 1000));
    }

    public int inFlight() {
        return running.inUse();
    }

    public int queued() {
        return running.waiting();
    }

    /** Calls refused since start. */
    public long refused() {
        return refused.get();
    }
}
