package io.glimpse.common.admission;

import io.glimpse.common.error.GlimpseException;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * At most {@code maxConcurrent} calls run; up to {@code maxQueued} more wait; anything beyond is
 * refused at once with RESOURCE_EXHAUSTED, so overload costs the caller a fast, clear answer
 * instead of an unbounded queue.
 */
public final class BoundedAdmission {
    /** Releases the slot when closed. */
    public interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    private final String what;
    private final int maxConcurrent;
    private final int maxQueued;
    private final Semaphore running;
    private final AtomicInteger waiting = new AtomicInteger();

    public BoundedAdmission(String what, int maxConcurrent, int maxQueued) {
        if (maxConcurrent < 1 || maxQueued < 0) {
            throw new IllegalArgumentException("maxConcurrent >= 1 and maxQueued >= 0 required");
        }
        this.what = what;
        this.maxConcurrent = maxConcurrent;
        this.maxQueued = maxQueued;
        this.running = new Semaphore(maxConcurrent, true);
    }

    /**
     * Waits for a slot while {@code stillWanted} holds (e.g. the call is not cancelled); throws
     * RESOURCE_EXHAUSTED when the queue is full and CANCELLED when the caller gave up.
     */
    public Permit admit(BooleanSupplier stillWanted) {
        if (!running.tryAcquire()) {
            if (waiting.incrementAndGet() > maxQueued) {
                waiting.decrementAndGet();
                throw GlimpseException.exhausted(what + " is busy: " + maxConcurrent + " running and " + maxQueued
                        + " queued; retry later or add replicas");
            }
            try {
                while (!running.tryAcquire(20, TimeUnit.MILLISECONDS)) {
                    if (!stillWanted.getAsBoolean()) {
                        throw GlimpseException.cancelled("gave up waiting for " + what);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw GlimpseException.cancelled("interrupted waiting for " + what);
            } finally {
                waiting.decrementAndGet();
            }
        }
        return running::release;
    }

    public int inFlight() {
        return maxConcurrent - running.availablePermits();
    }

    public int queued() {
        return waiting.get();
    }
}
